"""`yibao docs`: build (mkdocs build --strict) or serve the docs site generated from the policies."""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from engine.cli.common import EXIT_FAIL, EXIT_OK, h, lang_arg
from engine.core.messages import Text, msg
from engine.policy.policyset import REPO_ROOT
from engine.core.problems import InputError, KeyedInputError

NEEDED = {"mkdocs": "mkdocs", "material": "mkdocs-material", "mkdocs_gen_files": "mkdocs-gen-files",
          "mkdocs_literate_nav": "mkdocs-literate-nav"}


def missing_tools() -> list[str]:
    """Distributions the build needs that are not installed."""
    return [dist for mod, dist in NEEDED.items() if importlib.util.find_spec(mod) is None]


def mkdocs_command(args: argparse.Namespace, config: Path) -> list[str]:
    """The mkdocs command line for these options."""
    if args.output is None:
        args.output = str(REPO_ROOT / "site")
    if args.serve:
        return [sys.executable, "-m", "mkdocs", "serve", "--strict", "-f", str(config), "-a", args.addr]
    return [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(Path(args.output).resolve())]


def cmd_docs(args: argparse.Namespace) -> int:
    """Build or serve the site; exit 1 if mkdocs reports a problem (strict mode)."""
    if not args.serve:
        check_site_output(args)
    config = REPO_ROOT / "mkdocs.yml"
    if not config.is_file():
        raise InputError(Text("usage.docs_no_config", path=config))
    missing = missing_tools()
    if missing:
        raise InputError(Text("usage.docs_tools", missing=", ".join(missing)))
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true")
    if args.policies:
        if not Path(args.policies).is_dir():
            raise InputError(Text("usage.not_a_folder", option="--policies", value=args.policies))
        env["YIBAO_POLICIES"] = str(Path(args.policies).resolve())
    if args.serve:
        try:
            rc = subprocess.run(mkdocs_command(args, config), cwd=REPO_ROOT, env=env).returncode
        except KeyboardInterrupt:
            return EXIT_OK
    else:
        try:
            rc = _build(args, config, env)
        except _BuildFailed as exc:
            rc = exc.args[0]
    if rc != 0:
        print("yibao docs: " + msg("docs.failed", args.lang, rc=rc), file=sys.stderr)
        return EXIT_FAIL
    if not args.serve:
        print("yibao docs: " + msg("docs.built", args.lang, path=Path(args.output).resolve()), file=sys.stderr)
    return EXIT_OK


def check_site_output(args: argparse.Namespace) -> Path:
    """The site folder, refused before anything runs when it is a source folder or a non-empty folder that is no site."""
    if args.output is None:
        args.output = str(REPO_ROOT / "site")
    out = Path(args.output).resolve()
    root = REPO_ROOT.resolve()
    guarded = [root / n for n in ("policies", "schema", "examples", "docs", "engine", "tests", ".git")]
    if root.is_relative_to(out) or any(out.is_relative_to(g) for g in guarded):
        raise KeyedInputError("error.output_is_input", path=args.output, input=str(REPO_ROOT))
    if out.is_dir() and any(out.iterdir()) and not (out / "index.html").is_file():
        raise KeyedInputError("error.site_folder_not_a_site", path=args.output)
    return out


def _build(args: argparse.Namespace, config: Path, env: dict[str, str]) -> int:
    """mkdocs build into a temporary folder that replaces the output folder only when the build succeeded."""
    from engine.core.output import atomic_folder

    out = check_site_output(args)
    with atomic_folder(out) as tmp:
        cmd = mkdocs_command(argparse.Namespace(**{**vars(args), "output": str(tmp)}), config)
        rc = subprocess.run(cmd, cwd=REPO_ROOT, env=env).returncode
        if rc != 0:
            raise _BuildFailed(rc)
    return rc


class _BuildFailed(Exception):
    """mkdocs failed: the temporary folder is dropped and the old site stays."""


def _add_docs(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="DIR", help=h(p, "docs_output"))
    p.add_argument("--serve", action="store_true", help=h(p, "serve"))
    p.add_argument("--addr", default="127.0.0.1:8000", help=h(p, "addr"))
    p.add_argument("--policies", metavar="DIR", help=h(p, "policies"))
    lang_arg(p)
    p.set_defaults(func=cmd_docs)


COMMANDS = {
    "docs": ("help.cmd.docs", _add_docs),
}
