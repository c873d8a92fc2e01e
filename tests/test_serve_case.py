"""The service reads a case exactly as `yibao evaluate` does: same Case, or the same problems at the same places."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from strategies import cases, facts

from engine.core.problems import InputError
from engine.policy.load import load_file
from engine.policy.policyset import canonical_value
from engine.serve.errors import Refusal
from engine.serve.reading import CASE_NAME, read_case
from engine.settle.case import parse_case

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def outcome(fn, text):
    """('case', Case) or ('problems', [...]) or ('limit', code)."""
    try:
        return "case", fn(text)
    except InputError as exc:
        return "problems", [(p.line, p.col, p.field, p.message) for p in exc.problems]
    except Refusal as exc:
        if exc.key != "serve.bad_case":
            return "limit", exc.key
        return "problems", [(p.line, p.col, p.field, p.message) for p in exc.problems]


def same_as_cli(text: str) -> None:
    served = outcome(read_case, text)
    cli = outcome(lambda t: parse_case(t, CASE_NAME), text)
    if served[0] == "limit":  # the service's own limits (JSON only, encounters per case) refuse more, never less
        assert served[1] in ("serve.bad_json", "serve.too_many_encounters"), served
        return
    assert served == cli


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("style", ["compact", "indented", "escaped"])
def test_examples_read_the_same(path, style):
    data = canonical_value(load_file(path)[0].data)
    text = {"compact": json.dumps(data, ensure_ascii=False, separators=(",", ":")),
            "indented": json.dumps(data, ensure_ascii=False, indent=2),
            "escaped": json.dumps(data, ensure_ascii=True)}[style]
    kind, case = outcome(read_case, text)
    assert kind == "case"
    assert case == parse_case(text, CASE_NAME)


JSONISH = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12)
                       | st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**6, max_value=10**6),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


def _dump(v):
    """JSON text with Decimals written as JSON numbers."""
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _dump(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(_dump(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


@given(data=st.data())
def test_valid_and_mutated_cases_read_the_same(data):
    f = facts("shipped")
    case = data.draw(cases(f, max_encounters=3))
    if data.draw(st.booleans()):  # break one value: a wrong type, an odd number, a stray key, odd text
        target = case["person"] if data.draw(st.booleans()) else data.draw(st.sampled_from(case["encounters"]))
        key = data.draw(st.sampled_from(sorted(target) + ["extra"]))
        target[key] = data.draw(JSONISH)
    same_as_cli(_dump(case))


def test_caches_start_afresh_and_answers_stay_the_same(monkeypatch):
    from engine.serve import limits
    from engine.serve.versions import load_catalog

    monkeypatch.setattr(limits, "REFRESH_EVERY", 3)
    served = load_catalog([], [str(ROOT / "policies")]).default
    case = read_case(json.dumps(canonical_value(load_file(ROOT / "examples" / "cq-2023-dibao.yaml")[0].data)))
    first_ev, fp = served.evaluator, served.fingerprint
    answers = [json.dumps(served.settle(case), sort_keys=True) for _ in range(7)]
    assert len(set(answers)) == 1
    assert served.evaluator is not first_ev and served.fingerprint == fp
    assert json.loads(answers[0])["encounters"][0]["paid"]["basic_insurance"] == "34790.00"  # (50000 - 300) x 0.70, level 2
