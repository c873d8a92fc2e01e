"""Fuzzing: malformed policy documents and cases give only the engine's clear errors, never an uncaught exception.

F1  Mutated real policy documents (deleted keys, changed types, swapped dates, tabs, aliases, duplicate keys, tags,
    impossible dates, random bytes) -> load_policy_set reports Problems and never raises.
F2  Documents generated from schema/policy.schema.json, with random departures from it -> same.
F3  Mutated and schema-generated cases -> parse_case raises only InputError; a case that parses settles or raises
    only InputError / MissingParameter.
F4  The command line (`yibao validate`, `yibao evaluate`, `yibao test`) on fuzzed files returns 0, 1 or 2 and never
    prints a traceback.
F5  Mutated bundles (keys deleted or retyped, floats, NaN, huge numbers, duplicate documents, deep nesting, cuts)
    -> load_bundle gives a policy set or raises only InputError.
F6  Hostile numbers and nesting in cases and policy documents (costs of 1e26 and more, thousands of digits, 30,000
    levels) -> only the engine's clear errors.
Failures found so far are replayed as @example's; the default and ci profiles are derandomized (a fixed seed).
Examples per target: conftest.FUZZ_EXAMPLES (at least 2,000 in the ci profile).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import tempfile
from decimal import Decimal
from pathlib import Path

import yaml
from hypothesis import example, given, note, settings
from hypothesis import strategies as st

from conftest import FUZZ_EXAMPLES, ROOT, SYNTHETIC
from engine.settle.case import parse_case
from engine.cli.main import main
from engine.settle.evaluate import Evaluator
from engine.policy.load import load_file
from engine.policy.policyset import load_policy_set
from engine.core.problems import InputError, MissingParameter
from engine.policy.bundle import bundle_text, load_bundle
from strategies import policy_set

FUZZ = settings(max_examples=FUZZ_EXAMPLES)
POLICY_FILES = sorted((ROOT / "policies").rglob("*.yaml")) + sorted((SYNTHETIC / "policies").rglob("*.yaml"))
CASE_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.yaml"))]


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v)))


def dump(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def _plain(path: Path):
    loaded, _ = load_file(path)
    return loaded.data


def _scenario_cases():
    out = []
    for f in sorted((ROOT / "tests" / "scenarios").rglob("*.yaml")):
        for s in _plain(f)["scenarios"]:
            out.append(s["case"])
    return out


POLICY_DATA = [_plain(p) for p in POLICY_FILES]
CASE_DATA = [_plain_text for _plain_text in (yaml.safe_load(t) for t in CASE_TEXTS)] + _scenario_cases()

# -- data mutations ---------------------------------------------------------------------------------------------
ODD = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.text(max_size=12),
                st.decimals(allow_nan=False, allow_infinity=False, places=3), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
                st.builds(list), st.builds(dict), st.builds(lambda: {"x": 1}), st.builds(lambda: [1, "a"]),  # fresh objects:
                st.just("2021-02-30"), st.just("-1.005"))  # a shared [] mutated later would make generation flaky


def _paths(v, path=()):
    yield path
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _paths(x, path + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _paths(x, path + (i,))


def _swap_dates(v):
    if isinstance(v, dict):
        if "from" in v and "until" in v:
            v["from"], v["until"] = v["until"], v["from"]
        for x in v.values():
            _swap_dates(x)
    elif isinstance(v, list):
        for x in v:
            _swap_dates(x)


@st.composite
def mutated_data(draw, sources):
    """A deep copy of a real document with a few keys deleted, retyped or renamed and dates swapped."""
    data = json.loads(json.dumps(draw(st.sampled_from(sources)), default=str))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for k in path[:-1]:
            parent = parent[k]
        op = draw(st.sampled_from(["delete", "retype", "rename", "swap", "duplicate"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "retype":
            parent[path[-1]] = draw(ODD)
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = parent.pop(path[-1])
        elif op == "swap":
            _swap_dates(data)
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(json.loads(json.dumps(parent[path[-1]], default=str)))
    return dump(data)


@st.composite
def mutated_text(draw, text_source):
    """Text-level damage: tabs, anchors and aliases, duplicate keys, tags, impossible dates, random bytes, cuts."""
    text = draw(text_source)
    lines = text.splitlines() or [""]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["tab", "alias", "dupkey", "tag", "date", "bytes", "cut", "bom", "deep"]))
        if op == "tab":
            lines[i] = "\t" + lines[i]
        elif op == "alias":
            lines.insert(i, "a: &x [1, 2]\nb: *x")
        elif op == "dupkey":
            lines.insert(i, lines[i])
        elif op == "tag":
            lines[i] = lines[i].replace(": ", ": !!python/object:os.system ", 1)
        elif op == "date":
            lines[i] = lines[i].replace("-0", "-3", 1)
        elif op == "bytes":
            lines[i] = lines[i] + draw(st.text(max_size=6))
        elif op == "cut":
            lines = lines[: i + 1]
            lines[-1] = lines[-1][: draw(st.integers(0, len(lines[-1])))]
        elif op == "bom":
            lines[i] = "\ufeff" + lines[i]
        elif op == "deep":
            lines.insert(i, "deep: " + "[" * 60 + "]" * 60)
    return "\n".join(lines)


def _file_text(p: Path) -> str:
    return p.read_text(encoding="utf-8")


POLICY_TEXT = st.sampled_from([_file_text(p) for p in POLICY_FILES])
CASE_TEXT = st.sampled_from(CASE_TEXTS + [dump(c) for c in CASE_DATA])

# -- schema-driven generation -------------------------------------------------------------------------------------


def from_schema(schema: dict, root: dict, depth: int = 0) -> st.SearchStrategy:
    """Values that mostly follow a JSON schema (types, enums, required keys), sometimes not."""
    if "$ref" in schema:
        ref = schema["$ref"].split("/")[-1]
        schema = root.get("$defs", {}).get(ref, {})
    if depth > 6:
        return st.none()
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([from_schema(s, root, depth + 1) for s in schema[key]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    t = schema.get("type")
    if isinstance(t, list):
        return st.one_of([from_schema({**schema, "type": x}, root, depth) for x in t])
    if t == "object" or "properties" in schema:
        props = schema.get("properties", {})
        req = [k for k in schema.get("required", []) if k in props]
        opt = [k for k in props if k not in req]

        @st.composite
        def obj(draw):
            out = {k: draw(from_schema(props[k], root, depth + 1)) for k in req}
            for k in draw(st.lists(st.sampled_from(opt), unique=True, max_size=4)) if opt else []:
                out[k] = draw(from_schema(props[k], root, depth + 1))
            return out
        return obj()
    if t == "array":
        return st.lists(from_schema(schema.get("items", {}), root, depth + 1), max_size=3)
    if t == "string":
        if schema.get("format") == "date":
            return st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)).map(lambda d: d.isoformat())
        return st.one_of(st.text(max_size=10), st.sampled_from(["500000", "CN", "tekun", "2021-10-28", "1.00", "x#y"]))
    if t == "integer":
        return st.integers(-2, 5)
    if t == "number":
        return st.decimals(min_value=-1, max_value=10**6, places=2, allow_nan=False)
    if t == "boolean":
        return st.booleans()
    return ODD


def _schema(name: str) -> dict:
    return json.loads((ROOT / "schema" / f"{name}.schema.json").read_text(encoding="utf-8"))


POLICY_SCHEMA, CASE_SCHEMA = _schema("policy"), _schema("case")
SCHEMA_POLICY = from_schema(POLICY_SCHEMA, POLICY_SCHEMA).map(dump)
SCHEMA_CASE = from_schema(CASE_SCHEMA, CASE_SCHEMA).map(dump)

ANY_POLICY = st.one_of(mutated_data(POLICY_DATA), mutated_text(POLICY_TEXT), SCHEMA_POLICY,
                       st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
ANY_CASE = st.one_of(mutated_data(CASE_DATA), mutated_text(CASE_TEXT), SCHEMA_CASE, st.text(max_size=200))


def _policy_folder(text: str | bytes) -> Path:
    root = Path(tempfile.mkdtemp(prefix="yibao-fuzz-"))
    (root / "CN").mkdir()
    p = root / "CN" / "fuzzed.yaml"
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return root


def _cleanup(root: Path) -> None:
    import shutil

    shutil.rmtree(root, ignore_errors=True)


@FUZZ
@given(text=ANY_POLICY)
def test_f1_f2_malformed_policy_documents_give_only_problems(text):
    note(text[:2000])
    root = _policy_folder(text)
    try:
        ps = load_policy_set(root)  # must not raise: every problem is a Problem
        for p in ps.problems:
            assert p.path and p.line >= 1 and p.message
    finally:
        _cleanup(root)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_f1_random_bytes_as_a_policy_file(raw):
    root = _policy_folder(raw)
    try:
        load_policy_set(root)
    finally:
        _cleanup(root)


_DIBAO = (ROOT / "examples" / "cq-2023-dibao.yaml").read_text(encoding="utf-8")


@FUZZ
@given(text=ANY_CASE)
@example(text=_DIBAO.replace('"22000.00"', "1e26").replace('"20000.00"', "1e26"))  # decimal.InvalidOperation (found by F3)
@example(text=_DIBAO.replace('"22000.00"', "1e9999"))
@example(text=_DIBAO.replace('"22000.00"', "9" * 5000))  # int() over Python's 4,300-digit limit
@example(text=_DIBAO.replace('"22000.00"', '"' + "9" * 30 + '"'))
@example(text="a: " + "[" * 500 + "]" * 500)  # RecursionError in the builder
@example(text="a: " + "[" * 30_000 + "]" * 30_000)  # libyaml's composer crashed (segmentation fault)
@example(text=_DIBAO.replace("contribution_tier: 1", "contribution_tier: 1\n  enrolment: {coverage_start: 2020-01-01, lapsed_years: 8000}"))
def test_f3_malformed_cases_give_only_clear_errors(text):
    note(text[:2000])
    try:
        case = parse_case(text, "fuzzed-case.yaml")
    except InputError as exc:
        assert str(exc) and all(p.line >= 1 for p in exc.problems)
        return
    try:
        Evaluator(policy_set("shipped")).settle(case)
    except (InputError, MissingParameter) as exc:
        assert str(exc)


def _run_cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(args)
    return rc, err.getvalue()


@FUZZ
@given(text=ANY_CASE, which=st.sampled_from(["evaluate", "evaluate-json", "test", "validate"]))
def test_f4_cli_returns_0_1_or_2_without_traceback(text, which):
    note(text[:2000])
    with tempfile.TemporaryDirectory(prefix="yibao-fuzz-cli-") as tmp:
        f = Path(tmp) / "input.yaml"
        f.write_text(text, encoding="utf-8", errors="surrogatepass")
        policies = str(SYNTHETIC / "policies")
        if which == "evaluate":
            args = ["evaluate", str(f), "--policies", policies]
        elif which == "evaluate-json":
            args = ["evaluate", str(f), "--policies", policies, "--format", "json", "--strict"]
        elif which == "test":
            args = ["test", str(f), "--policies", policies]
        else:
            (Path(tmp) / "CN").mkdir()
            (Path(tmp) / "CN" / "doc.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
            args = ["validate", tmp]
        rc, err = _run_cli(args)
    assert rc in (0, 1, 2), rc
    assert "Traceback" not in err


# -- F5: bundles ----------------------------------------------------------------------------------------------------
BUNDLE = json.loads(bundle_text(policy_set("shipped")))


@st.composite
def mutated_bundle(draw):
    """The shipped bundle with values deleted or retyped, floats, NaN, huge numbers, duplicates, nesting or cuts."""
    data = json.loads(json.dumps(BUNDLE))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent = data
        for k in path[:-1]:
            parent = parent[k]
        op = draw(st.sampled_from(["delete", "retype", "float", "nan", "huge", "deep", "duplicate", "version"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "retype":
            parent[path[-1]] = json.loads(json.dumps(draw(ODD), default=str))
        elif op == "float":
            parent[path[-1]] = draw(st.floats(allow_nan=False, allow_infinity=False))
        elif op == "nan":
            parent[path[-1]] = draw(st.sampled_from([float("nan"), float("inf"), -float("inf")]))
        elif op == "huge":
            parent[path[-1]] = draw(st.sampled_from([10**26, -(10**50), "1" + "0" * 40, "0." + "1" * 39, "HUGE"]))
        elif op == "deep":
            n = draw(st.integers(40, 3000))
            parent[path[-1]] = "DEEP"
            return json.dumps(data).replace('"DEEP"', "[" * n + "]" * n, 1)
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(json.loads(json.dumps(parent[path[-1]])))
        elif op == "version":
            data["version"] = draw(st.text(max_size=8))
    text = json.dumps(data, ensure_ascii=False).replace('"HUGE"', "9" * 4400)  # json.dumps cannot write such an int
    if draw(st.integers(0, 9)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    return text


@FUZZ
@given(text=mutated_bundle())
@example(text=json.dumps({**BUNDLE, "version": "9.9.9"}))  # accepted before: the fingerprint did not cover the version
@example(text=json.dumps({**BUNDLE, "documents": BUNDLE["documents"] + BUNDLE["documents"][:1]}))  # duplicate id dropped
@example(text=json.dumps({**BUNDLE, "documents": {}}))  # AttributeError before
@example(text=json.dumps(BUNDLE).replace('"0.7"', "0.7", 1))
@example(text=json.dumps(BUNDLE).replace('"0.7"', "NaN", 1))
@example(text='{"format": "yibao-rules-bundle/1", "documents": ' + "[" * 100_000 + "]" * 100_000 + "}")
def test_f5_malformed_bundles_give_only_clear_errors(text):
    note(text[:2000])
    with tempfile.TemporaryDirectory(prefix="yibao-fuzz-bundle-") as tmp:
        f = Path(tmp) / "b.json"
        f.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            ps = load_bundle(f)
        except InputError as exc:
            assert str(exc)
            return
    assert ps.version == BUNDLE["version"] and ps.fingerprint == BUNDLE["fingerprint"]


# -- F6: hostile numbers and nesting ---------------------------------------------------------------------------------
HOSTILE_NUMBER = st.one_of(
    st.integers(10, 9000).map(lambda n: f"1e{n}"), st.integers(-9000, -10).map(lambda n: f"1e{n}"),
    st.integers(16, 6000).map(lambda n: "9" * n), st.integers(16, 60).map(lambda n: '"' + "1" * n + '"'),
    st.integers(21, 60).map(lambda n: "0." + "0" * n + "1"), st.sampled_from([".inf", "-.inf", ".nan", "1_000", "0x1F", "1e26"]),
    st.decimals(allow_nan=False, allow_infinity=False).map(str))
NESTING = st.tuples(st.integers(1, 30_000), st.sampled_from(["[", "{a: ", "- "])).map(
    lambda t: (t[1] * t[0]) + ("x" if t[1] == "- " else ("]" if t[1] == "[" else "}") * t[0]))


@FUZZ
@given(field=st.sampled_from(['"55000.00"', '"50000.00"', "2023-06-10", "2\n", "cq-2023-dibao"]),
       value=st.one_of(HOSTILE_NUMBER, NESTING))
def test_f6_hostile_numbers_and_nesting_in_a_case(field, value):
    text = _DIBAO.replace(field, value if "\n" not in field else value + "\n", 1)
    note(text[:500])
    try:
        case = parse_case(text, "hostile.yaml")
    except InputError as exc:
        assert all(p.line >= 1 for p in exc.problems)
        return
    try:
        Evaluator(policy_set("shipped")).settle(case)
    except (InputError, MissingParameter) as exc:
        assert str(exc)


_BASELINE = (ROOT / "policies" / "500000" / "2017-resident-inpatient-benefits.yaml").read_text(encoding="utf-8")


@FUZZ
@given(value=st.one_of(HOSTILE_NUMBER, NESTING))
@example(value="1e9999")  # a deductible of 1e9999 passed validation
def test_f6_hostile_numbers_and_nesting_in_a_policy(value):
    import re

    text = re.sub(r"(\n    set: )[0-9.]+", lambda m: m.group(1) + value, _BASELINE, count=1)
    root = _policy_folder(text)
    try:
        ps = load_policy_set(root)
        if value in ("1e9999", "1e26"):
            assert ps.problems
    finally:
        _cleanup(root)
