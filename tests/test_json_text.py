"""`yibao evaluate --format json` writes the same text with orjson as with json.dumps(indent=2)."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from engine.core.output import json_bytes, json_text
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
