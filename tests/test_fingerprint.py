"""The fingerprint: stable under file order, file names, key order, whitespace and comments; changed by any value."""
from __future__ import annotations

import datetime as dt
import importlib.util
import random
import tempfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.policy.policyset import PolicySet, load_policy_set, release_version

_spec = importlib.util.spec_from_file_location("synthetic_policy", Path(__file__).parent / "fixtures" / "synthetic_policy.py")
syn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(syn)

# SYNTHETIC documents (invented figures).
DOCS = [
    syn.baseline("0.70"),
    syn.doc("syn-tilt", [syn.rule("halve", "basic_insurance.inpatient.deductible", "scale", Decimal("0.5"),
                                  who={"schemes": ["resident"], "categories": ["tekun"]})], start="2024-07-01"),
    syn.doc("syn-cap", [syn.rule("cap", "serious_illness.annual_cap", "set", Decimal(200000))], notes=[
        {"kind": "interpretation", "text": {"zh": "合成说明", "en": "SYNTHETIC note"}}]),
]


def shuffled(v: Any, rng: random.Random) -> Any:
    """The same data with every mapping's keys in a random order."""
    if isinstance(v, dict):
        keys = list(v)
        rng.shuffle(keys)
        return {k: shuffled(v[k], rng) for k in keys}
    if isinstance(v, list):
        return [shuffled(x, rng) for x in v]
    return v


def fingerprint_of(files: dict[str, str]) -> str:
    """Fingerprint of a folder holding these files (the set must be valid)."""
    with tempfile.TemporaryDirectory() as d:
        for name, text in files.items():
            (Path(d) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(d) / name).write_text(text, encoding="utf-8")
        ps = load_policy_set(d)
        assert not ps.problems, ps.problems
        return ps.fingerprint


VERSION = release_version(Path(tempfile.gettempdir()) / "policies")  # a folder outside a checkout: the package's version
REFERENCE = fingerprint_of({f"{d['id']}.yaml": syn.dump(d) for d in DOCS})


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), names=st.permutations(["a.yaml", "sub/b.yaml", "z/y/c.yml"]),
       comment=st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=20))
def test_stable_under_file_order_names_keys_and_comments(seed: int, names: list[str], comment: str) -> None:
    rng = random.Random(seed)
    files = {}
    for name, d in zip(names, rng.sample(DOCS, len(DOCS))):
        text = syn.dump(shuffled(d, rng), comment)
        files[name] = text.replace("\n", "\n\n", rng.randint(0, 3))  # blank lines in the first few places
    assert fingerprint_of(files) == REFERENCE


def leaves(v: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every scalar in a document."""
    if isinstance(v, dict):
        return [p for k, x in v.items() for p in leaves(x, path + (k,))]
    if isinstance(v, list):
        return [p for i, x in enumerate(v) for p in leaves(x, path + (i,))]
    return [path]


def changed(v: Any) -> Any:
    """A different scalar of the same kind."""
    if isinstance(v, bool):
        return not v
    if isinstance(v, (int, Decimal)):
        return v + Decimal("0.01")
    if isinstance(v, dt.date):
        return v + dt.timedelta(days=1)
    if v is None:
        return "x"
    return v + "·"


ALL_LEAVES = [(i, p) for i, d in enumerate(DOCS) for p in leaves(d)]


def fake_set(docs: list[dict[str, Any]]) -> PolicySet:
    """A policy set of raw documents (the fingerprint needs only their data)."""
    return PolicySet("mem", {d["id"]: SimpleNamespace(raw=d) for d in docs}, {}, VERSION)


@settings(max_examples=60, deadline=None)
@given(which=st.sampled_from(ALL_LEAVES))
def test_changes_when_any_value_changes(which: tuple) -> None:
    i, path = which
    docs = [syn.copy_doc(d) for d in DOCS]
    target = docs[i]
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = changed(target[path[-1]])
    assert fake_set(docs).fingerprint != fake_set(DOCS).fingerprint


def test_fake_set_agrees_with_loading() -> None:
    assert fake_set(DOCS).fingerprint == REFERENCE
