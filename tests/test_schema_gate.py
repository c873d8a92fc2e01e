"""The fast schema gate (fastjsonschema, same schema and format checks) never accepts what jsonschema refuses."""
from __future__ import annotations

import copy
import os
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

if not os.environ.get("CI"):
    pytest.importorskip("fastjsonschema")

from engine.policy import schemas  # noqa: E402
from engine.policy.load import load_file  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
POLICY_FILES = sorted([*(ROOT / "policies").rglob("*.yaml"), *(ROOT / "tests" / "fixtures").rglob("policies/**/*.yaml"),
                       *(ROOT / "examples" / "synthetic-policies").rglob("*.yaml"), *(ROOT / "tests" / "invalid").rglob("*.yaml")])
CASE_FILES = sorted((ROOT / "examples").glob("*.yaml"))


def fast_ok(name, data) -> bool:
    try:
        schemas.fast_validator(name)(schemas.jsonable(data))
        return True
    except Exception:  # noqa: BLE001
        return False


def full_ok(name, data) -> bool:
    return schemas.validator(name).is_valid(schemas.jsonable(data))


def test_both_contract_schemas_compile():
    assert schemas.fast_validator("case") is not None and schemas.fast_validator("policy") is not None


@pytest.mark.parametrize("path", POLICY_FILES + CASE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_gets_the_same_verdict(path):
    loaded, problems = load_file(path)
    if loaded is None or problems:
        pytest.skip("refused by the loader before any schema check")
    name = "case" if path in CASE_FILES else "policy"
    assert fast_ok(name, loaded.data) == full_ok(name, loaded.data)


def test_invalid_fixtures_include_schema_refusals():
    refused = [p for p in POLICY_FILES if "invalid" in p.parts and (ld := load_file(p))[0] is not None and not ld[1]
               and not full_ok("policy", ld[0].data)]
    assert refused and not any(fast_ok("policy", load_file(p)[0].data) for p in refused)


VALUES = st.recursive(st.none() | st.booleans() | st.integers(-3, 10**6) | st.sampled_from(["", "x", "2023-02-30", "2023-06-10",
                      "0.5", "resident", "inpatient", "dibao", "500000", "https://example.org", "set", "1.0.0"])
                      | st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10, max_value=10**6),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                          st.sampled_from(["id", "from", "until", "set", "1", "2", "3", "zh", "en", "x", "share_of", "share", "year"]),
                          inner, max_size=3), max_leaves=6)


def _mutate(data, draw) -> None:
    """Replace or add one value somewhere in the document."""
    node = data
    for _ in range(draw(st.integers(0, 4))):
        kids = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        kids = [(k, v) for k, v in kids if isinstance(v, (dict, list)) and v]
        if not kids:
            break
        node = draw(st.sampled_from(kids))[1]
    if isinstance(node, dict):
        key = draw(st.sampled_from(sorted(node) + ["extra"]))
        node[key] = draw(VALUES)
    elif isinstance(node, list) and node:
        node[draw(st.integers(0, len(node) - 1))] = draw(VALUES)


_DOCS = [(("case" if p in CASE_FILES else "policy"), ld[0].data) for p in POLICY_FILES + CASE_FILES
         if (ld := load_file(p))[0] is not None and not ld[1] and full_ok("case" if p in CASE_FILES else "policy", ld[0].data)]


@given(data=st.data())
def test_a_mutated_document_is_never_accepted_by_the_gate_alone(data):
    name, doc = data.draw(st.sampled_from(_DOCS))
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 2))):
        _mutate(doc, data.draw)
    if fast_ok(name, doc):
        assert full_ok(name, doc), "the gate accepted a document jsonschema refuses"


def test_decimal_amounts_still_pass_through_the_full_check():
    case = {"person": {"id": "p", "region": "500000", "scheme": "resident", "contribution_tier": Decimal("1")},
            "encounters": [{"id": "e", "date": "2023-01-01", "type": "inpatient", "hospital_level": 2,
                            "total_cost": Decimal("1.5"), "eligible_cost": "1.00"}]}
    assert fast_ok("case", case) == full_ok("case", case)
