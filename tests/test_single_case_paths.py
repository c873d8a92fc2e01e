"""The single case's fast paths read and settle exactly as the plain ones: JSON read fast, plans shared, sentences later."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from hypothesis import example, given, strategies as st

from engine.cli.main import main
from engine.core.limits import may_nest_deeper, text_depth
from engine.core.problems import InputError
from engine.policy.load import load_file, load_text
from engine.policy.policyset import load_policy_set
from engine.settle.case import case_from_data, check_loaded, parse_case, read_case
from engine.settle.evaluate import Evaluator
from engine.settle.explain import result_json
from engine.settle.kernel import Figures, Kind, scale

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("cq-*.yaml"))
UNKNOWNS = Path(__file__).parent / "fixtures" / "unknowns"


def _plain(data):
    """A loaded case as JSON-ready data (dates as ISO text, decimals as text)."""
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data if isinstance(data, (str, int, bool)) or data is None else str(data)


def test_a_json_case_reads_as_the_loader_reads_it():
    # every shipped example written as JSON: the fast reading gives the very Case the YAML loader gives
    for path in EXAMPLES:
        text = json.dumps(_plain(load_file(path)[0].data), ensure_ascii=False, indent=1)
        assert parse_case(text, "x") == check_loaded(*load_text(text, "x")), path.name


def test_a_bad_json_case_is_still_located_by_line_and_column(tmp_path):
    data = _plain(load_file(EXAMPLES[0])[0].data)
    data["encounters"][0]["eligible_cost"] = "-5.00"
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(data, indent=1), encoding="utf-8")
    try:
        read_case(f)
    except InputError as e:
        (p,) = [p for p in e.problems if "eligible_cost" in str(p.field)]
        line = f.read_text().splitlines()[p.line - 1]
        assert '"eligible_cost": "-5.00"' in line, (p, line)  # the loader's position, found after the fast path refused
    else:
        raise AssertionError("a negative cost was accepted")


@given(st.text(alphabet='[]{}" ,\\a1', max_size=120))
@example('"[[[[[[' + "[" * 60 + '"')  # brackets inside a string count too: may_nest_deeper may say True, never a wrong False
@example("[" * 51 + "]" * 51)
def test_the_fast_nesting_check_never_misses_what_the_exact_one_finds(text):
    # limits.may_nest_deeper (regular expressions, in C) runs before json.loads; text_depth is the exact scan
    for limit in (3, 50):
        if text_depth(text, limit) is not None:
            assert may_nest_deeper(text, limit)


def test_a_part_not_computed_is_null_in_the_trace_too(capsys):
    # the unknowns fixture: assistance reaches a dibao holder but has no rate -> paid null, and its trace entry null
    assert main(["evaluate", str(UNKNOWNS / "case.yaml"), "--policies", str(UNKNOWNS / "policies"), "--format", "json"]) == 0
    res = json.loads(capsys.readouterr().out)
    enc = res["encounters"][0]
    assert enc["paid"]["medical_assistance"] is None
    (entry,) = [t for t in enc["trace"] if t["step"] == "medical_assistance.paid"]
    assert entry["value"] is None and "未计算" in entry["text"]


def test_sentences_written_on_first_reading_are_the_same_sentences():
    ps = load_policy_set()
    case = read_case(ROOT / "examples" / "cq-2023-dibao.yaml")
    ev = Evaluator(ps)
    a, b = ev.settle(case), ev.settle(case)  # the second settlement reuses the first's plans
    assert a.unwritten and all(e[0]["text"] is None for e in a.unwritten)
    texts = [t["text"] for e in a.encounters for t in e["trace"] if t["step"].endswith(".paid")]
    assert all(texts) and not a.unwritten
    assert json.dumps(result_json(a, ps), ensure_ascii=False) == json.dumps(result_json(b, ps), ensure_ascii=False)
    # basic insurance's sentence shows the kernel's own amounts: its payment is in it
    paid = a.encounters[0]["paid"]["basic_insurance"]
    (basic,) = [t for t in a.encounters[0]["trace"] if t["step"] == "basic_insurance.paid"]
    assert basic["value"] == paid and basic["text"].endswith(f"支付 {paid} 元")


def test_the_kernel_row_memo_never_serves_an_object_that_took_a_freed_ones_id():
    kind = Kind("f", "in_scope", "encounter", "none", False, False)
    f = Figures(on=True, rates=(Figures().rates[0] + 1,))
    stale = Figures(on=True)  # another object, as if it had held f's id before being freed
    memo = {(id(f), 1, 1, 1): (stale, (0, 1, 0, 0, 0, 0))}
    sc = scale(kind, [f], memo)
    assert sc.rows[0]["r0"] == 1  # f's own rate (1 over 1), not the stale row's 0


STEPS = Path(__file__).parent / "fixtures" / "synthetic-steps" / "policies"
FUNDS = "110000/synthetic-province-funds.yaml"


def steps_copy(tmp_path: Path, **edits: str) -> Path:
    """The synthetic-steps set copied without its minors' rule (2025), text replaced in its province funds document
    (pairs written 'old=>new')."""
    import shutil

    root = tmp_path / "policies"
    shutil.copytree(STEPS, root)
    doc = root / FUNDS
    text = "\n".join(line for line in doc.read_text(encoding="utf-8").splitlines() if "minor-rate-plus-5" not in line) + "\n"
    for pair in edits.values():
        old, new = pair.split("=>")
        assert old in text, old
        text = text.replace(old, new, 1)
    doc.write_text(text, encoding="utf-8")
    return root


def _year(birth: str | None = None) -> dict:
    enc = lambda i, d: {"id": i, "date": d, "type": "inpatient", "hospital_level": 2, "total_cost": "50000.00",  # noqa: E731
                        "eligible_cost": "40000.00", "out_of_catalogue_cost": "5000.00"}
    person = {"id": "p", "region": "110000", "scheme": "resident", "categories": ["jiandang_pinkun"]}
    if birth:
        person["birth_date"] = birth
    return {"person": person, "encounters": [enc("h1", "2024-03-01"), enc("h2", "2024-09-01")]}


def test_a_step_declared_anew_mid_year_is_named_as_the_last_encounter_declared_it(tmp_path):
    # review of 0.3.0: the plans' first declaration had replaced 0.2.0's rule (the year's last encounter's)
    from engine.settle.case import case_from_data

    root = steps_copy(tmp_path, cut="effective: {from: 2024-01-01}=>effective: {from: 2024-01-01, until: 2024-07-01}")
    b = (root / FUNDS).read_text(encoding="utf-8").replace("effective: {from: 2024-01-01, until: 2024-07-01}", "effective: {from: 2024-01-01}", 1)
    b = b.replace("id: synthetic-province-funds", "id: synthetic-province-funds-b", 1)
    b = b.replace("effective: {from: 2024-01-01}", "effective: {from: 2024-07-01}", 1).replace("en: synthetic banded fund}", "en: synthetic banded fund B}", 1)
    (root / "110000" / "b.yaml").write_text(b, encoding="utf-8")
    ps = load_policy_set(root)
    assert not ps.problems, ps.problems[:3]
    res = result_json(Evaluator(ps).settle(case_from_data(_year())), ps)
    (band,) = [s for s in res["payment_steps"] if s["id"] == "band_fund"]
    assert band["declared_by"] == "synthetic-province-funds-b#band_fund" and band["name"]["en"] == "synthetic banded fund B"


def test_a_step_for_minors_keys_encounters_by_age_even_when_no_rule_tests_an_age(tmp_path):
    # review of 0.3.0 (a bug as old as 0.2.0): only rules made the age part of an encounter's key, so a step whose `who`
    # has age_below paid an 18-year-old as the 17-year-old of the same key earlier in the year
    from engine.settle.case import case_from_data

    root = steps_copy(tmp_path, who="who: {categories: [jiandang_pinkun]}=>who: {categories: [jiandang_pinkun], age_below: 18}")
    ps = load_policy_set(root)
    assert not ps.problems, ps.problems[:3]
    assert not ps.resolver.ages  # no rule tests an age: only the step does
    case = _year("2006-06-01")  # 17 on 2024-03-01, 18 on 2024-09-01
    together = [e["paid"]["band_fund"] for e in Evaluator(ps).settle(case_from_data(case)).encounters]
    alone = [Evaluator(ps).settle(case_from_data(dict(case, encounters=[e]))).encounters[0]["paid"]["band_fund"] for e in case["encounters"]]
    assert together[1] == alone[1] == "0.00" and together[0] == alone[0] != "0.00"


def test_brackets_inside_strings_never_hide_nesting_past_the_limit():
    # review of 0.3.0: "]" inside strings cancelled real brackets in the fast check; 1,000 levels crashed json.loads
    from engine.core.limits import JSONLimit, strict_json

    for n in (51, 1000):
        text = '{"a": ' + '["]", ' * n + "0" + ', "["]' * n + "}"
        assert may_nest_deeper(text) and text_depth(text) is not None
        try:
            strict_json(text)
        except JSONLimit as e:
            assert "51" in str(e)
        else:
            raise AssertionError("nesting past the limit accepted")
        try:
            parse_case(text, "deep.json")
        except InputError as e:
            assert any("50" in str(p) for p in e.problems)  # the loader's own refusal, located
        else:
            raise AssertionError("a case nested past the limit accepted")


def test_the_case_schema_is_closed_at_every_level():
    # case.parse_case reads JSON with plain_json(closed=True), which skips the depth scan: only a schema where every
    # value has a type (and every object lists its keys) refuses data nested past the limit by itself
    schema = json.loads((ROOT / "schema" / "case.schema.json").read_text(encoding="utf-8"))
    open_places = []

    def walk(node, where, is_schema):
        if not isinstance(node, dict):
            return
        if is_schema and not {"type", "enum", "const", "$ref", "oneOf", "anyOf", "allOf"} & node.keys():
            open_places.append(where)
        if node.get("type") == "object" and node.get("additionalProperties") is not False:
            open_places.append(where + " (keys)")
        if node.get("type") == "array" and "items" not in node:
            open_places.append(where + " (items)")
        for k, v in node.items():
            if k in ("properties", "$defs", "definitions", "patternProperties"):
                for name, sub in v.items():
                    walk(sub, f"{where}/{k}/{name}", True)
            elif k in ("items", "additionalProperties") and isinstance(v, dict):
                walk(v, f"{where}/{k}", True)
            elif k in ("oneOf", "anyOf", "allOf"):
                for i, sub in enumerate(v):
                    walk(sub, f"{where}/{k}/{i}", True)

    walk(schema, "", True)
    assert open_places == []


def _long_year(k: int) -> dict:
    """A Chongqing 2020 dibao person-year of k inpatient encounters (the benchmark's shape)."""
    encs = [{"id": f"e-{i}", "date": f"2020-{1 + i * 12 // k:02d}-{1 + i % 28:02d}", "type": "inpatient", "hospital_level": 1 + i % 3,
             "in_pooling_area": True, "hospital_admin_level": "county", "total_cost": f"{12000 + 97 * i}.00", "eligible_cost": f"{10000 + 83 * i}.00"} for i in range(k)]
    return {"person": {"id": "p", "region": "500000", "scheme": "resident", "contribution_tier": 1, "birth_date": "1980-01-01",
                       "categories": ["dibao"]}, "encounters": encs}


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path):
    # review of 0.4.0's first cut: the result written in pieces left bytes in stdout's buffer when the reader had gone,
    # and Python's flush at exit printed "Exception ignored ... BrokenPipeError" and exited 120 (a user's environment
    # buffers stdout: PYTHONUNBUFFERED, set on the benchmark machine, hid it)
    import os
    import subprocess
    import sys

    f = tmp_path / "year.json"
    f.write_text(json.dumps(_long_year(40)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    p = subprocess.Popen([sys.executable, "-m", "engine.cli.main", "evaluate", str(f), "--format", "json"], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # the reader is gone before the first byte
    err = p.stderr.read().decode()
    assert p.wait() == 0 and err == ""


def test_json_nested_almost_as_deep_as_python_goes_is_refused_located(tmp_path):
    # review of 0.4.0's first cut: JSON cases are read without the depth scan (the schema is closed), but at ~980 levels
    # jsonschema's own error message recursed too deep: a traceback (the service: 500). The loader refuses it, located.
    # Run as a user runs it: a fresh process has the stack depth where this happened (pytest's own frames move it).
    import subprocess
    import sys

    base = json.dumps(_long_year(1))
    for depth in (978, 980, 981):
        for nested in ("[" * depth + '"x"' + "]" * depth, '{"a": ' * depth + "1" + "}" * depth):
            f = tmp_path / f"deep-{depth}-{nested[0]}.json"
            f.write_text(base.replace('"categories": ["dibao"]', f'"categories": ["dibao", {nested}]'), encoding="utf-8")
            r = subprocess.run([sys.executable, "-m", "engine.cli.main", "evaluate", str(f), "--lang", "en"], cwd=ROOT,
                               capture_output=True, text=True)
            assert r.returncode == 2 and "Traceback" not in r.stderr and "50" in r.stderr and f.name in r.stderr, r.stderr[-500:]


def test_amounts_above_the_total_are_named_as_written():
    # review of 0.4.0's first cut: the checks compared (and named) amounts rounded to the fen, so 100.004 above 100.001
    # was no longer reported; they compare the amounts as written, and the encounter keeps them to the fen
    case = _long_year(1)
    case["encounters"][0].update(total_cost=Decimal("100.001"), eligible_cost=Decimal("100.004"))
    try:
        case_from_data(case)
    except InputError as e:
        words = " ".join(str(p.message) for p in e.problems)
        assert "100.004" in words and "100.001" in words and len(e.problems) == 3, e.problems
    else:
        raise AssertionError("amounts with three decimals accepted")
    case["encounters"][0].update(total_cost=150, eligible_cost=Decimal("99.5"))
    enc = case_from_data(case).encounters[0]
    assert (str(enc.total_cost), str(enc.eligible_cost)) == ("150.00", "99.50")
