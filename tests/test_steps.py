"""Payment steps declared in YAML: batch == single case over every step kind (SYNTHETIC set), and the declarations' checks."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth import document, write_set
from test_batch import columns, compare
from engine.policy.policyset import load_policy_set, require_valid
from engine.settle.kernel import Kind

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "synthetic-steps" / "policies"
CATS = ("", "jiandang_pinkun", "dibao", "tekun", "dibao|tekun", "jiandang_pinkun|tekun", "youfu", "youfu|dibao")


def _step(sid: str, order: int, cats: list[str], **arith) -> dict:
    s = {"id": sid, "name": {"zh": f"合成{sid}", "en": f"synthetic {sid}"}, "order": order, "clause": "X", "quote": {"en": "synthetic"},
         "provenance": {"status": "unverified", "note": "synthetic"}, **arith}
    if cats:
        s["who"] = {"categories": cats}
    return s


def _rule(rid: str, parameter: str, value, cats: list[str] | None = None) -> dict:
    r = {"id": rid, "clause": "X", "quote": {"en": "synthetic"}, "parameter": parameter, "set": value,
         "provenance": {"status": "unverified", "note": "synthetic"}}
    if cats:
        r["who"] = {"categories": cats}
    return r


def _minor_rule() -> dict:
    """Minors +5 points on the inpatient rate from 2024-07-01 (an age rule in the middle of the year)."""
    r = _rule("minor-plus-5", "basic_insurance.inpatient.rate", None)
    del r["set"]
    r.update({"add": "0.05", "who": {"age_below": 18}, "effective": {"from": "2024-07-01", "until": "2025-01-01"}})
    return r


EXTRA = document("synthetic-extra-steps", "110000", [
    _rule("year-deductible", "year_fund.deductible", 500),
    _rule("year-rate", "year_fund.rate", [{"from": 0, "rate": "0.20"}, {"from": "2000.00", "rate": "0.30"}]),
    _rule("year-cap", "year_fund.annual_cap", 3000),
    _rule("plain-rate", "plain_fund.rate", "0.10"),
    _rule("plain-cap", "plain_fund.annual_cap", 1000, ["tekun"]),
    _rule("plain-cap-dibao", "plain_fund.annual_cap", None, ["dibao"]),
    _minor_rule(),
], start="2024-01-01", steps=[
    # per-encounter deductible with bands on the year's accumulated amount; no deductible at all, accumulated yearly
    _step("year_fund", 65, ["dibao", "jiandang_pinkun"], base="in_scope", accumulation="year", deductible="encounter", rate="marginal", annual_cap=True),
    _step("plain_fund", 66, ["tekun", "dibao"], base="self_pay", accumulation="year", deductible="none", rate="flat", annual_cap=True),
])


@pytest.fixture(scope="module")
def steps_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("steps-policies")
    shutil.copytree(FIXTURE, root, dirs_exist_ok=True)
    return require_valid(load_policy_set(write_set(root, [EXTRA])))


def test_the_set_covers_every_step_kind(steps_set):
    kinds = [steps_set.steps.kinds[i] for i in steps_set.steps.ids]
    assert {k.base for k in kinds} == {"in_scope", "out_of_scope", "self_pay"}
    assert {(k.accumulation, k.deductible) for k in kinds if not k.ceiling} == {
        ("encounter", "encounter"), ("encounter", "none"), ("year", "year"), ("year", "encounter"), ("year", "none")}
    assert {k.rate for k in kinds} == {"flat", "marginal", None}
    assert any(k.share_limit for k in kinds) and any(k.ceiling for k in kinds) and any(k.annual_cap for k in kinds)
    assert Kind("x", "self_pay", "encounter", "none", False, True)  # the kernel's view of a ceiling step


@st.composite
def claims(draw):
    """Person-years of 1-6 encounters in 2024 with out-of-catalogue costs, categories that may change mid-year."""
    rows = []
    for p in range(draw(st.integers(1, 6))):
        days = sorted(draw(st.lists(st.integers(0, 365), min_size=1, max_size=6)))
        before, after = draw(st.sampled_from(CATS)), draw(st.sampled_from(CATS))
        split = draw(st.integers(0, 366))
        born = draw(st.sampled_from(("", "2010-05-05", "1990-01-01", "2006-08-15")))  # the last turns 18 on 2024-08-15
        for d in days:
            total = draw(st.one_of(st.integers(0, 30_000_000), st.integers(0, 2_000_000), st.integers(0, 5000)))
            eligible = total * draw(st.integers(0, 100)) // 100
            ooc = (total - eligible) * draw(st.integers(0, 100)) // 100
            rows.append({"person_id": f"p{p}", "region": "110000", "categories": before if d < split else after, "scheme": "resident",
                         "date": (dt.date(2024, 1, 1) + dt.timedelta(days=d)).isoformat(), "type": "inpatient",
                         "hospital_level": str(draw(st.integers(1, 3))), "total_cost": f"{total // 100}.{total % 100:02d}",
                         "eligible_cost": f"{eligible // 100}.{eligible % 100:02d}", "out_of_catalogue_cost": f"{ooc // 100}.{ooc % 100:02d}",
                         "in_pooling_area": draw(st.sampled_from(("true", "false", ""))),
                         "hospital_admin_level": draw(st.sampled_from(("county", "municipal", ""))), "birth_date": born})
    return rows


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(claims())
def test_property_batch_equals_single_case_for_every_step_kind(steps_set, rows):
    # a youfu encounter needs in_pooling_area (and, inside, hospital_admin_level) for county_tilt: both paths refuse it
    lacking = {r["person_id"] for r in rows if "youfu" in r["categories"]
               and (r["in_pooling_area"] == "" or (r["in_pooling_area"] == "true" and r["hospital_admin_level"] == ""))}
    lacking |= {r["person_id"] for r in rows if r["birth_date"] == "" and r["date"] >= "2024-07-01"}  # the age rule needs it
    assert compare(steps_set, columns(rows)) == sum(r["person_id"] not in lacking for r in rows)


def test_claims_without_out_of_catalogue_cost_are_refused_where_a_step_needs_it(steps_set):
    rows = [{"person_id": "a", "region": "110000", "categories": "dibao", "date": "2024-05-01", "type": "inpatient",
             "hospital_level": "2", "total_cost": "1000.00", "eligible_cost": "800.00"}]
    st_ = __import__("engine.batch.settle", fromlist=["Batch"]).Batch(steps_set).settle(columns(rows))
    assert st_.error[0] >= 0 and "out_of_catalogue_cost" in st_.errors[st_.error[0]]


def _bad(tmp_path, steps, rules=()) -> list[str]:
    doc = document("bad-steps", "110000", list(rules), start="2024-01-01", steps=steps)
    return [p.message for p in load_policy_set(write_set(tmp_path, [doc])).problems]


def test_a_ceiling_step_takes_no_rate_and_a_rate_step_needs_one(tmp_path):
    probs = _bad(tmp_path, [_step("c", 40, ["tekun"], base="self_pay", accumulation="encounter", ceiling=True, rate="flat"),
                            _step("r", 41, ["tekun"], base="self_pay", accumulation="encounter")])
    assert len(probs) == 2, probs


def test_a_rule_for_an_undeclared_step_is_named(tmp_path):
    probs = _bad(tmp_path, [_step("real_fund", 40, ["tekun"], base="in_scope", accumulation="encounter", rate="flat")],
                 [_rule("typo", "reel_fund.rate", "0.50")])
    assert any("reel_fund.rate belongs to no payment step" in p for p in probs), probs


def test_one_id_one_arithmetic(tmp_path):
    a = document("steps-a", "CN", [], start="2024-01-01", steps=[_step("f", 40, [], base="in_scope", accumulation="year", deductible="year", rate="flat")])
    b = document("steps-b", "110000", [], start="2024-01-01", steps=[_step("f", 40, [], base="in_scope", accumulation="encounter", rate="flat")])
    probs = [p.message for p in load_policy_set(write_set(tmp_path, [a, b])).problems]
    assert any("one id, one arithmetic" in p for p in probs), probs


def test_diff_says_which_steps_were_added_removed_or_changed(tmp_path):
    from engine.review.diff import render_markdown, run_diff

    base, head = tmp_path / "base", tmp_path / "head"
    shutil.copytree(FIXTURE, base)
    shutil.copytree(FIXTURE, head)
    f = head / "110000" / "synthetic-province-funds.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("    ceiling: true", "    ceiling: true\n    waiting_period: true", 1), encoding="utf-8")
    rep = run_diff(str(base), str(head), impact=False, release=False)
    assert [e["step"] for e in rep["steps"]["changed"]] == ["synthetic-province-funds#ceiling_fund"]
    assert "等待期内不支付" in rep["steps"]["changed"][0]["zh"] and "等待期" not in rep["steps"]["changed"][0]["before"]["zh"]
    assert rep["moves_money"] and "### 支付步骤" in render_markdown(rep) and "### Payment steps" in render_markdown(rep, "en")


def test_params_lists_the_order_of_payment(steps_set):
    from engine.settle.params import params_table, steps_table

    steps = steps_table(steps_set, "110000", dt.date(2024, 6, 1))
    assert [s["id"] for s in steps][:4] == ["basic_insurance", "serious_illness", "medical_assistance", "band_fund"]
    rows = {r["parameter"]: r for r in params_table(steps_set, "110000", dt.date(2024, 6, 1), ["dibao", "tekun"], None, "resident")}
    assert rows["tilt_assist.rate"]["value"] == "0.70" and rows["tilt_assist.rate"]["treatment"] == "tekun"  # 就高不叠加
    assert rows["ceiling_fund.ceiling"]["value"] == "0.10"


def test_a_rule_for_a_figure_the_step_does_not_use_is_named(tmp_path):
    probs = _bad(tmp_path, [_step("real_fund", 40, ["tekun"], base="in_scope", accumulation="encounter", rate="flat")],
                 [_rule("rate", "real_fund.rate", "0.50"), _rule("share", "real_fund.share_limit", "0.30")])
    assert probs == ["real_fund.share_limit: payment step 'real_fund' uses no share_limit (declare it in the step, or drop the rule)"], probs


def test_a_set_that_declares_only_a_further_fund_keeps_the_engines_three_tiers(tmp_path):
    from synth import baseline

    doc = document("only-a-fund", "500000", [_rule("fund-rate", "extra_fund.rate", "0.10")], start="2020-01-01",
                   steps=[_step("extra_fund", 40, [], base="self_pay", accumulation="encounter", rate="flat")])
    ps = require_valid(load_policy_set(write_set(tmp_path, [baseline(), doc])))
    ids = [s.id for s in ps.steps.in_force("500000", dt.date(2020, 6, 1))]
    assert ids == ["basic_insurance", "serious_illness", "medical_assistance", "extra_fund"]


def test_batch_output_and_report_carry_the_further_funds(tmp_path, capsys):
    import csv as csvmod

    from engine.cli.main import main

    claims = tmp_path / "claims.csv"
    claims.write_text("person_id,region,categories,date,type,hospital_level,total_cost,eligible_cost\n"
                      "a,110000,tekun,2024-06-01,inpatient,1,10000.05,10000.05\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["batch", str(claims), "-o", str(out), "--policies", str(FIXTURE)]) == 0
    row = next(csvmod.DictReader(out.open(encoding="utf-8")))
    # as the hand-worked scenario f-7: tilt (5500.02 - 5000) x 0.70 -> 350.01, ceiling 5150.01 - 1000.005 -> 4150.01
    assert (row["basic_insurance"], row["tilt_assist"], row["ceiling_fund"], row["out_of_pocket"]) == ("4500.03", "350.01", "4150.01", "1000.00")
    capsys.readouterr()
    assert main(["report", str(claims), "--policies", str(FIXTURE), "--format", "json"]) == 0
    import json

    total = json.loads(capsys.readouterr().out)["total"]
    assert (total["other_funds"], total["paid_total"]) == ("4500.02", "9000.05")  # 350.01 + 4150.01; + basic 4500.03


def _fund_rows(ooc: list[str]) -> list[dict]:
    """A registered poor person in 2020 (Chongqing): 健康扶贫基金 pays; 扶贫济困医疗基金 and 精准脱贫保 reach her without a rate."""
    return [{"person_id": "jk", "region": "500000", "categories": "jiandang_pinkun", "scheme": "resident", "tier": "1",
             "date": f"2020-0{i + 3}-01", "type": "inpatient", "hospital_level": "1", "total_cost": "10000.00",
             "eligible_cost": "9000.00", "out_of_catalogue_cost": o, "in_pooling_area": "true", "hospital_admin_level": "county"}
            for i, o in enumerate(ooc)]


def test_a_step_without_its_rate_is_null_only_when_something_is_owed_on_its_base():
    # r0: out-of-catalogue 0.00: the two out-of-catalogue funds have nothing to pay on, 0.00 is a fact (not in `missing`);
    # r1: out-of-catalogue 1000.00 (total 10000 = 9000 in scope + 1000 outside): they are not computed (null, listed)
    from engine.batch.case import person_year_case
    from engine.batch.settle import Batch
    from engine.settle.evaluate import Evaluator
    from engine.settle.explain import result_json as result
    ps = load_policy_set(None)
    c = columns(_fund_rows(["0.00", "1000.00"]))
    res = result(Evaluator(ps).settle(person_year_case(c, [0, 1])), ps)
    e0, e1 = res["encounters"]
    for fund in ("fupin_jikun_fund", "jingzhun_tuopin_bao"):
        assert e0["paid"][fund] == "0.00" and e1["paid"][fund] is None
        assert [m["encounter"] for m in res["missing"] if m["part"] == fund] == ["r1"]
        assert [u["encounter"] for u in res["undetermined"]["items"] if u["part"] == fund] == ["r1"]
    # basic (9000 - 50) x 0.90 = 8055.00; SI 0.00 (945 owed < 6596.50); assistance null; 健康扶贫基金 0.00 (945 < 1000)
    assert e0["paid"]["basic_insurance"] == "8055.00" and e0["paid"]["jiankang_fupin_fund"] == "0.00"
    st_ = Batch(ps).settle(c)
    assert [bool(st_.unknown["fupin_jikun_fund"][i]) for i in (0, 1)] == [False, True]
    assert compare(ps, c) == 2


def test_rule_place_conditions_batch_equals_single_case():
    # 2020 dibao, tier 1, level 2, eligible 20000 (cq-2018-medical-poverty-alleviation 2.1.0): at a county hospital inside
    # Chongqing the tilts apply, (20000 - 150) x 0.75 = 14887.50; at a municipal one or outside, (20000 - 300) x 0.65 = 12805.00;
    # without hospital_admin_level the rule's fact is missing: both paths refuse, naming the field
    from engine.batch.settle import Batch
    ps = load_policy_set(None)
    rows = [{"person_id": p, "region": "500000", "categories": "dibao", "scheme": "resident", "tier": "1", "date": "2020-06-10",
             "type": "inpatient", "hospital_level": "2", "total_cost": "22000.00", "eligible_cost": "20000.00",
             "in_pooling_area": pool, "hospital_admin_level": admin}
            for p, pool, admin in (("a", "true", "county"), ("b", "true", "municipal"), ("c", "false", "county"), ("d", "true", ""))]
    c = columns(rows)
    assert compare(ps, c) == 3
    st_ = Batch(ps).settle(c)
    assert [int(v) for v in st_.paid["basic_insurance"][:3]] == [1488750, 1280500, 1280500]
    assert st_.error[3] >= 0 and "hospital_admin_level" in st_.errors[st_.error[3]]
