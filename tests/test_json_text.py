"""`yibao evaluate --format json` writes the same text with orjson as with json.dumps(indent=2)."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from engine.core.output import json_bytes, json_text, write_json
from engine.core.paths import data_dir
from engine.policy.policyset import load_policy_set
from engine.settle.case import read_case
from engine.settle.evaluate import Evaluator
from engine.settle.explain import result_json


def _same(value: object) -> None:
    assert json_text(value) == json.dumps(value, ensure_ascii=False, indent=2)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", ["cq-2023-dibao.yaml", "cq-2023-becomes-dibao-mid-year.yaml", "cq-2025-waiting-period.yaml"])
def test_result_documents_written_identically(name: str, lang: str) -> None:
    ps = load_policy_set()
    res = result_json(Evaluator(ps, lang).settle(read_case(data_dir("examples") / name)), ps)
    _same(res)
    # what `yibao evaluate --format json` writes: the same bytes, without the search for floats
    assert json_bytes(res, floats=False) == json.dumps(res, ensure_ascii=False, indent=2).encode("utf-8")


def test_values_orjson_writes_differently_fall_back() -> None:
    for value in ({"a": 0.1, "b": [1e16, float("nan")]}, {"n": 2 ** 70}, {1: "x"}, {"t": ()},
                  {"s": "引号\" \\ \n \t \u2028 \x7f", "e": [], "o": {}}):
        _same(value)
    with pytest.raises(TypeError):
        json_text({"d": Decimal("1.10")})  # neither writer takes a Decimal: money is written as text before


def _streamed(value: dict, key: str, floats: bool = True) -> bytes:
    import io

    out = io.BytesIO()
    write_json(out, value, floats, key)
    return out.getvalue()


def test_a_result_streamed_encounter_by_encounter_is_the_same_bytes() -> None:
    # `yibao evaluate --format json` writes the encounters one at a time (core.output.write_json): not one byte differs
    ps = load_policy_set()
    case = read_case(data_dir("examples") / "cq-2023-becomes-dibao-mid-year.yaml")
    for lang in ("zh", "en"):
        res = result_json(Evaluator(ps, lang).settle(case), ps)
        assert len(res["encounters"]) >= 2
        assert _streamed(res, "encounters", floats=False) == json_bytes(res, floats=False)
    many = {"a": 1, "items": [{"k": i, "s": "x" * 5000, "n": [i, {"d": "\n  \"items\": []"}]} for i in range(40)], "z": {}}
    assert _streamed(many, "items") == json_bytes(many)  # several 60 KB pieces; the key's text inside a string is no key


@pytest.mark.parametrize("value", [{"items": []}, {"items": [1]}, {"items": [0.1, {"f": 2.5}], "b": 0.5}, {"x": 1},
                                   {"items": "text"}, {"first": [], "items": [[], {}], "last": None},
                                   {"items": [{"i": i} for i in range(9)] + [{"f": 0.1, "s": "引号"}] + [[1, []]] * 9}])
def test_edge_values_streamed_are_the_same_bytes(value: dict) -> None:
    assert _streamed(value, "items") == json_bytes(value)  # floats: json.dumps's text, piece by piece as a whole
