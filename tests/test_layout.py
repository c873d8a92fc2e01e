"""The engine's layout: subpackages in layers, imports running one way only, no circle, modules of modest size."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[1] / "engine"
# Lower layers never import higher ones; packages of one layer never import each other.
LAYERS = [{"core"}, {"policy"}, {"settle"}, {"batch", "review"}, {"serve"}, {"cli"}, {"site"}]
RANK = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    return {".".join(p.relative_to(ENGINE.parent).with_suffix("").parts).removesuffix(".__init__"): p
            for p in sorted(ENGINE.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """Every engine module a file imports at run time, at top level or inside a function (not for type checking)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                   for n in ast.walk(block)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine"):
            assert node.level == 0, f"{path}: relative import; use absolute engine.* imports"
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("engine"))
    return out


def _package(mod: str) -> str | None:
    parts = mod.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANK) else None


def test_every_subpackage_has_a_layer():
    pkgs = {p.name for p in ENGINE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert pkgs <= set(RANK), f"subpackages without a layer: {pkgs - set(RANK)}"
    assert not [p.name for p in ENGINE.glob("*.py") if p.name != "__init__.py"], "modules belong in a subpackage"


def test_imports_run_one_way():
    mods = _modules()
    wrong = []
    for mod, path in mods.items():
        src = _package(mod)
        for target in _imports(path) & set(mods):
            dst = _package(target)
            if src and dst and src != dst and RANK[dst] >= RANK[src]:
                wrong.append(f"{mod} imports {target} ({src} -> {dst})")
    assert not wrong, "imports running back up or sideways:\n" + "\n".join(sorted(wrong))


def test_no_import_circle():
    mods = _modules()
    graph = {m: sorted(_imports(p) & set(mods) - {m}) for m, p in mods.items()}
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for n in graph[m]:
            if n.endswith("__init__") or n == "engine" or n.count(".") == 1 and n.split(".")[1] in RANK:
                continue  # a package's own __init__ holds only its docstring
            if state.get(n) == 1:
                pytest.fail("import circle: " + " -> ".join(stack[stack.index(n):] + [n]))
            if not state.get(n):
                visit(n, stack + [n])
        state[m] = 2

    for m in graph:
        if not state.get(m):
            visit(m, [m])


def test_modules_are_small_and_say_what_they_do():
    for mod, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= MAX_LINES, f"{mod}: {len(text.splitlines())} lines (at most {MAX_LINES})"
        assert ast.get_docstring(ast.parse(text)), f"{mod}: no module docstring"
