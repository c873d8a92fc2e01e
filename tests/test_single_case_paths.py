"""The single case's fast paths read and settle exactly as the plain ones: JSON read fast, plans shared, sentences later."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import example, given, strategies as st

from engine.cli.main import main
from engine.core.limits import may_nest_deeper, text_depth
from engine.core.problems import InputError
from engine.policy.load import load_file, load_text
from engine.policy.policyset import load_policy_set
from engine.settle.case import check_loaded, parse_case, read_case
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
