"""YAML scenario tests: load them, run them against a policy set, report pass/fail (`yibao test`)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from engine.policy.load import Loaded, load_file
from engine.policy.policyset import REPO_ROOT, PolicySet, display_path
from engine.core.messages import Text, msg, tr
from engine.core.problems import InputError, MissingParameter, Problem

DEFAULT_DIR = REPO_ROOT / "tests" / "scenarios"
_TOP_KEYS = ("document", "scenarios")
_SC_KEYS = ("name", "case", "expect", "expect_error")


@dataclass
class Scenario:
    """One scenario: a case, and what its result must contain (or the error it must fail with)."""

    file: str
    line: int
    document: str
    name: str
    case_data: dict[str, Any]
    expect: dict[str, Any] | None
    expect_error: str | None
    loaded: Loaded | None = field(default=None, repr=False, compare=False)
    loc: tuple = field(default=(), repr=False, compare=False)


@dataclass
class ScenarioResult:
    """The outcome of one scenario."""

    scenario: Scenario
    passed: bool
    mismatches: list[str]
    result: dict[str, Any] | None
    error: str | None


class _CaseView(Loaded):
    """The `case` sub-tree of a scenario file, so case problems point at lines of that file."""

    def __init__(self, parent: Loaded, prefix: tuple) -> None:
        super().__init__(parent.path, parent.data, parent.positions)
        self.data = _get(parent.data, prefix)
        self.prefix = prefix

    def where(self, loc: tuple) -> tuple[int, int]:
        return super().where(self.prefix + tuple(loc))


def _get(data: Any, loc: tuple) -> Any:
    for k in loc:
        data = data[k]
    return data


def scenario_files(paths: list[Path]) -> list[Path]:
    """Every scenario file named or below a named folder, in a stable order."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted(x for x in p.rglob("*") if x.suffix in (".yaml", ".yml") and x.is_file())
        else:
            out.append(p)
    return out


def load_scenario_files(paths: list[Path]) -> tuple[list[Scenario], list[Problem]]:
    """Load scenario files (or folders of them); every structural or case problem is reported at its line."""
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    files = scenario_files(paths)
    for p in paths:
        if not Path(p).exists():
            problems.append(Problem(str(p), 1, 1, Text("scenario.not_found")))
    for path in files:
        if not path.exists():
            continue
        loaded, probs = load_file(path, display_path(path))
        problems += probs
        if loaded is None or probs:
            continue
        got, probs = _scenarios_of(loaded)
        scenarios += got
        problems += probs
    return scenarios, sorted(problems)


def _scenarios_of(ld: Loaded) -> tuple[list[Scenario], list[Problem]]:
    d = ld.data
    if not isinstance(d, dict):
        return [], [ld.problem((), Text("scenario.file_mapping"))]
    out: list[Problem] = [ld.problem((k,), Text("scenario.unknown_key", key=k, allowed=", ".join(_TOP_KEYS))) for k in d if k not in _TOP_KEYS]
    doc = d.get("document")
    if not isinstance(doc, str) or not doc:
        out.append(ld.problem(("document",), Text("scenario.document")))
    items = d.get("scenarios")
    if not isinstance(items, list) or not items:
        out.append(ld.problem(("scenarios",), Text("scenario.list")))
        return [], out
    found: list[Scenario] = []
    names: set[str] = set()
    for i, s in enumerate(items):
        at = ("scenarios", i)
        if not isinstance(s, dict):
            out.append(ld.problem(at, Text("scenario.mapping")))
            continue
        bad = [ld.problem(at + (k,), Text("scenario.unknown_key", key=k, allowed=", ".join(_SC_KEYS))) for k in s if k not in _SC_KEYS]
        name = s.get("name")
        if not isinstance(name, str) or not name.strip():
            bad.append(ld.problem(at + ("name",), Text("scenario.name")))
        elif name in names:
            bad.append(ld.problem(at + ("name",), Text("scenario.duplicate_name", name=name)))
        names.add(name if isinstance(name, str) else "")
        if not isinstance(s.get("case"), dict):
            bad.append(ld.problem(at + ("case",), Text("scenario.case")))
        has_x, has_e = "expect" in s, "expect_error" in s
        if has_x == has_e:
            bad.append(ld.problem(at, Text("scenario.one_expect")))
        elif has_x and (not isinstance(s["expect"], dict) or not s["expect"]):
            bad.append(ld.problem(at + ("expect",), Text("scenario.expect")))
        elif has_e and (not isinstance(s["expect_error"], str) or not s["expect_error"]):
            bad.append(ld.problem(at + ("expect_error",), Text("scenario.expect_error")))
        if not bad and has_x:
            try:
                parse_case(_CaseView(ld, at + ("case",)))
            except InputError as exc:
                bad += exc.problems or [ld.problem(at + ("case",), str(exc))]
        out += bad
        if bad:
            continue
        line = ld.where(at)[0]
        found.append(Scenario(ld.path, line, doc if isinstance(doc, str) else "", name, s["case"],
                              s.get("expect"), s.get("expect_error"), ld, at + ("case",)))
    return found, out


def parse_case(view: Loaded):
    """Check a case sub-tree with the engine's case checks (schema and semantics)."""
    from engine.settle.case import check_loaded

    return check_loaded(view, [])


def check_documents(scenarios: list[Scenario], ps: PolicySet) -> list[Problem]:
    """A problem for every scenario file naming a document the policy set does not have."""
    out: dict[str, Problem] = {}
    for sc in scenarios:
        if sc.document not in ps.documents and sc.file not in out:
            where = sc.loaded.where(("document",)) if sc.loaded else (1, 1)
            out[sc.file] = Problem(sc.file, where[0], where[1], f"document '{sc.document}' is not in the policy set", "document")
    return list(out.values())


def run_scenario(ps: PolicySet, sc: Scenario) -> ScenarioResult:
    """Settle the scenario's case and compare the result with what it expects."""
    from engine.settle.case import case_from_data
    from engine.settle.evaluate import Evaluator
    from engine.settle.explain import result_json

    if sc.document not in ps.documents:
        return ScenarioResult(sc, False, [Text("scenario.unknown_document", doc=sc.document)], None, None)
    result: dict[str, Any] | None = None
    error: str | None = None
    try:
        case = parse_case(_CaseView(sc.loaded, sc.loc)) if sc.loaded is not None else case_from_data(sc.case_data, sc.file)
        result = result_json(Evaluator(ps).settle(case), ps)
    except MissingParameter as exc:
        error = Text("usage.reason", zh=msg("error.missing_value", "zh", detail=exc.message, hint=exc.hint),
                     en=f"missing value: {exc}: {exc.hint}")
    except InputError as exc:
        error = Text("usage.reason", zh="；".join([exc.render("zh")] + [p.render("zh") for p in exc.problems]),
                     en="; ".join([str(exc)] + [str(p) for p in exc.problems]))
    if sc.expect_error is not None:
        if error is None:
            return ScenarioResult(sc, False, [Text("scenario.expected_error_settled", expected=sc.expect_error)], result, None)
        if sc.expect_error not in error:
            return ScenarioResult(sc, False, [Text("scenario.expected_error_other", expected=sc.expect_error, got=error)], None, error)
        return ScenarioResult(sc, True, [], None, error)
    if error is not None:
        return ScenarioResult(sc, False, [Text("scenario.did_not_settle", error=error)], None, error)
    mismatches = compare(sc.expect, _keyed(result))
    return ScenarioResult(sc, not mismatches, mismatches, result, None)


def _keyed(result: dict[str, Any]) -> dict[str, Any]:
    """The result with encounters keyed by id, as scenarios write them."""
    out = dict(result)
    out["encounters"] = {e["id"]: e for e in result["encounters"]}
    return out


def compare(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every place where `actual` does not contain `expected` (mappings match partially)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Text("scenario.expected_mapping", path=path, got=_fmt_value(actual))]
        out: list[str] = []
        for k, v in expected.items():
            sub = f"{path}.{k}" if path else str(k)
            if k not in actual:
                out.append(Text("scenario.got_nothing", path=sub, expected=_fmt_value(v)))
            else:
                out += compare(v, actual[k], sub)
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [Text("scenario.mismatch", path=path, expected=_fmt_value(expected), got=_fmt_value(actual))]
        return [m for i, (e, a) in enumerate(zip(expected, actual)) for m in compare(e, a, f"{path}[{i}]")]
    return [] if _same(expected, actual) else [Text("scenario.mismatch", path=path, expected=_fmt_value(expected), got=_fmt_value(actual))]


def _same(e: Any, a: Any) -> bool:
    """Strings must be equal; numbers written unquoted compare by value; true/false/null must be identical."""
    if isinstance(e, bool) or e is None or isinstance(a, bool) or a is None:
        return e is a
    if isinstance(e, dt.date):
        e = e.isoformat()
    if isinstance(e, (int, Decimal)):
        y = _num(a)
        return y is not None and y == Decimal(e)
    return isinstance(a, (str, int)) and str(e) == str(a)


def _num(v: Any) -> Decimal | None:
    try:
        return Decimal(str(v))
    except (InvalidOperation, ValueError):
        return None


def _fmt_value(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


# -- report ----------------------------------------------------------------
WORDS = {
    "zh": {"title": "场景测试", "pass": "通过", "fail": "未通过", "summary": "共 {n} 个场景：通过 {p}，未通过 {f}",
           "expected_error": "预期报错", "error": "运行出错", "policy_set": "政策集"},
    "en": {"title": "Scenario tests", "pass": "PASS", "fail": "FAIL", "summary": "{n} scenarios: {p} passed, {f} failed",
           "expected_error": "expected error", "error": "error", "policy_set": "policy set"},
}


def render_report(results: list[ScenarioResult], ps: PolicySet, lang: str = "zh") -> str:
    """A pass/fail report a policy officer can read, grouped by document."""
    W = WORDS[lang]
    lines = [f"{W['title']} · {W['policy_set']} {ps.version} {ps.fingerprint[:19]}…", ""]
    by_doc: dict[str, list[ScenarioResult]] = {}
    for r in results:
        by_doc.setdefault(r.scenario.document, []).append(r)
    for doc, rs in by_doc.items():
        title = ps.documents[doc].title.get(lang) or ps.documents[doc].title.get("zh", "") if doc in ps.documents else ""
        lines.append(f"{doc}  {title}")
        for r in rs:
            sc = r.scenario
            mark = f"✓ {W['pass']}" if r.passed else f"✗ {W['fail']}"
            lines.append(f"  {mark}  {sc.name}  ({sc.file}:{sc.line})")
            if r.passed and sc.expect_error:
                lines.append(f"      {W['expected_error']}: {tr(r.error, lang)}")
            for m in r.mismatches:
                lines.append(f"      {tr(m, lang)}")
        lines.append("")
    n, p = len(results), sum(r.passed for r in results)
    lines.append(W["summary"].format(n=n, p=p, f=n - p))
    return "\n".join(lines)


def report_json(results: list[ScenarioResult], ps: PolicySet) -> dict[str, Any]:
    """The machine-readable report."""
    n, p = len(results), sum(r.passed for r in results)
    return {"policy_set": {"version": ps.version, "fingerprint": ps.fingerprint},
            "summary": {"scenarios": n, "passed": p, "failed": n - p},
            "results": [{"file": r.scenario.file, "line": r.scenario.line, "document": r.scenario.document,
                         "name": r.scenario.name, "passed": r.passed, "mismatches": r.mismatches, "error": r.error}
                        for r in results]}


__all__ = ["Scenario", "ScenarioResult", "load_scenario_files", "run_scenario", "check_documents", "compare",
           "render_report", "report_json"]
