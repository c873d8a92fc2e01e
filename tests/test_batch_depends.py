"""A step's figures are shared between batch keys that differ only in fields the step does not test (SYNTHETIC data)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from engine.batch.claims import generate
from engine.batch.depends import depends
from engine.batch.settle import Batch
from engine.policy.policyset import load_policy_set
from test_batch import columns
from test_steps import claims, steps_set  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped():
    return load_policy_set(ROOT / "policies")


def _both(ps, c) -> tuple[Batch, Batch]:
    """The chunk settled with each step's figures shared by what it depends on, and with every key resolved on its own."""
    shared, own = Batch(ps), Batch(ps)
    own._shared = None
    return shared, own


def assert_same_keys(ps, *chunks) -> int:
    """Every key's figures (numbers, error words, unknown) and every settled figure agree; returns the number of keys."""
    shared, own = _both(ps, chunks[0])
    for c in chunks:
        a, b = shared.settle(c), own.settle(c)
        assert (a.oop == b.oop).all() and (a.error == b.error).all() and a.errors == b.errors
        for sid in ps.steps.ids:
            assert (a.paid[sid] == b.paid[sid]).all() and (a.unknown[sid] == b.unknown[sid]).all(), sid
    assert len(shared.kps) == len(own.kps)
    for x, y in zip(shared.kps, own.kps):
        assert x.cover_err == y.cover_err
        assert x.steps == y.steps  # every field of Figures: the error's words name this key's person (the day: each row's)
    return len(shared.kps)


def test_shipped_policies_share_figures_exactly(shipped):
    # 2019-2024 on the shipped Chongqing set: thousands of keys, many refused (figures not found) with words naming each
    # key's own person and day; a second chunk meets the first's keys and new ones
    assert assert_same_keys(shipped, generate(30_000, seed=11), generate(10_000, seed=12)) > 1000
    shared = Batch(shipped)
    shared.settle(generate(30_000, seed=11))
    assert len(shared._shared.memo) * 5 < len(shared.kps) * len(shipped.steps.ids)  # resolved far fewer times than keys x steps
    assert any(f.err for k in shared.kps for f in k.steps.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(claims())
def test_every_step_kind_shares_figures_exactly(steps_set, rows):  # noqa: F811
    # ages, places, hospital administrative levels, categories, bands: keys differ in every field the steps test
    assert_same_keys(steps_set, columns(rows))


def test_a_step_depends_on_the_fields_its_rules_in_force_test(steps_set):  # noqa: F811
    # synthetic-extra-steps: year_fund's rules test nothing, its declaration the categories dibao and jiandang_pinkun;
    # the minors' rule on basic_insurance.inpatient.rate is in force from 2024-07-01 only: the age counts from then on
    res, steps = steps_set.resolver, steps_set.steps
    may, july = dt.date(2024, 5, 1), dt.date(2024, 7, 1)
    year = {s.id: s for s in steps.in_force("110000", may)}["year_fund"]
    d = depends(res.in_force("110000", may), year)
    assert d.categories == {"dibao", "jiandang_pinkun"}
    assert not (d.scheme or d.tier or d.encounter_type or d.hospital_level or d.age or d.place or d.admin)
    basic = {s.id: s for s in steps.in_force("110000", may)}["basic_insurance"]
    assert not depends(res.in_force("110000", may), basic).age
    assert depends(res.in_force("110000", july), basic).age
    assert depends(res.in_force("110000", may), None) == depends({}, None)  # a step not in force pays nothing to anyone


def test_a_missing_figure_kept_for_other_keys_holds_no_chunk(shipped):
    # the memo keeps a copy of each missing-parameter error, never the raised one (its traceback holds the chunk's frames)
    b = Batch(shipped)
    b.settle(generate(5_000, seed=5))
    kept = [v for v in b._shared.memo.values() if isinstance(v, Exception)]
    assert kept and all(v.__traceback__ is None and v.__cause__ is None and v.__context__ is None for v in kept)


def test_a_step_starting_where_no_rule_changes_splits_the_batch_keys(tmp_path):
    # older than this change: the batch keyed encounters by the days the rules change only, so a step declared from
    # 2024-05-15 (its rules in force all year) paid, or not, as the first row of the key had it, for the whole key.
    # plain_fund (synthetic-extra-steps, tekun): nothing on 2024-03-01, before its declaration; on 2024-06-01 it pays, and
    # every step of both encounters is paid as the single case pays it
    import copy
    import shutil

    import test_steps as T
    from synth import write_set
    from test_batch import compare

    extra = copy.deepcopy(T.EXTRA)
    next(s for s in extra["steps"] if s["id"] == "plain_fund")["effective"] = {"from": "2024-05-15"}
    shutil.copytree(T.FIXTURE, tmp_path, dirs_exist_ok=True)
    ps = load_policy_set(write_set(tmp_path, [extra]))
    assert not ps.problems
    assert dt.date(2024, 5, 15) not in ps.resolver.change_dates("110000")  # no rule changes that day
    rows = [{"person_id": f"p{i}", "region": "110000", "categories": "tekun", "scheme": "resident", "date": d, "type": "inpatient",
             "hospital_level": "2", "total_cost": "20000.00", "eligible_cost": "15000.00", "out_of_catalogue_cost": "1000.00",
             "in_pooling_area": "true", "hospital_admin_level": "county", "birth_date": "1990-01-01"}
            for i, d in enumerate(("2024-03-01", "2024-06-01"))]
    c = columns(rows)
    st = Batch(ps).settle(c)
    assert st.paid["plain_fund"][0] == 0 and st.paid["plain_fund"][1] > 0
    assert compare(ps, c) == 2  # every step of both encounters as the single case pays it
