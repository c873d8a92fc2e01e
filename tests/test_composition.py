"""Composition: a provincial rule that implements a national tilt replaces it; categories never stack (就高不叠加)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from engine.settle.case import case_from_data
from engine.settle.evaluate import Evaluator
from engine.policy.policyset import load_policy_set
from engine.policy.resolve import Profile

from synth import baseline, document, rule, write_set

D = Decimal


def _national_and_provincial(tmp_path, implements: bool):
    national = document("synthetic-national", "CN", [
        rule("tilt", "basic_insurance.inpatient.rate", "add", "0.05", {"categories": ["dibao"]}),
    ], start="2020-01-01")
    extra = {"implements": ["synthetic-national#tilt"]} if implements else {}
    provincial = document("synthetic-provincial", "500000", [
        rule("tilt", "basic_insurance.inpatient.rate", "add", "0.10", {"categories": ["dibao"]}, **extra),
    ], start="2021-01-01", until="2022-01-01")
    return load_policy_set(write_set(tmp_path, [baseline(), national, provincial]))


def _rate(ps, day: str, cats=("dibao",), region="500000") -> Decimal:
    prof = Profile(region, dt.date.fromisoformat(day), frozenset(cats), "resident", None, "inpatient", 2)
    return ps.resolver.resolve("basic_insurance.inpatient.rate", prof).value


def test_provincial_rule_implementing_a_national_tilt_replaces_it(tmp_path):
    ps = _national_and_provincial(tmp_path, implements=True)
    assert ps.problems == []
    # 2020: only the national tilt: 0.50 + 0.05
    assert _rate(ps, "2020-06-01") == D("0.55")
    # 2021: the provincial rule replaces the national one: 0.50 + 0.10, never 0.50 + 0.05 + 0.10
    assert _rate(ps, "2021-01-01") == D("0.60")
    assert _rate(ps, "2021-12-31") == D("0.60")
    # 2022-01-01: the provincial rule ended (until is exclusive): national again
    assert _rate(ps, "2022-01-01") == D("0.55")


def test_an_undeclared_provincial_adjustment_on_top_of_a_national_one_is_an_error(tmp_path):
    ps = _national_and_provincial(tmp_path, implements=False)
    msgs = [p.message for p in ps.problems]
    assert any("synthetic-provincial#tilt adjusts basic_insurance.inpatient.rate for the same people as synthetic-national#tilt from 2021-01-01" in m for m in msgs), msgs


def test_the_trace_shows_which_rule_applied_and_never_both(tmp_path):
    ps = _national_and_provincial(tmp_path, implements=True)
    case = case_from_data({"person": {"id": "p", "region": "500000", "scheme": "resident", "categories": ["dibao"]},
                           "encounters": [{"id": "e", "date": "2021-05-01", "type": "inpatient", "hospital_level": 2,
                                           "total_cost": "11000.00", "eligible_cost": "11000.00"}]})
    s = Evaluator(ps).settle(case)
    rules = [t["rule"] for t in s.encounters[0]["trace"] if t["step"] == "basic_insurance.inpatient.rate"]
    assert rules == ["synthetic-baseline#rate", "synthetic-provincial#tilt"]
    # (11000 - 1000) x 0.60 = 6000.00
    assert s.encounters[0]["paid"]["basic_insurance"] == "6000.00"


def test_two_categories_never_stack(tmp_path):
    tilts = document("synthetic-tilts", "500000", [
        rule("dibao-rate", "basic_insurance.inpatient.rate", "add", "0.10", {"categories": ["dibao"]}),
        rule("canji-rate", "basic_insurance.inpatient.rate", "add", "0.05", {"categories": ["zhongdu_canji"]}),
        rule("dibao-deductible", "basic_insurance.inpatient.deductible", "scale", "0.5", {"categories": ["dibao"]}),
        rule("tekun-deductible", "basic_insurance.inpatient.deductible", "set", 0, {"categories": ["tekun"]}),
    ])
    ps = load_policy_set(write_set(tmp_path, [baseline(), tilts]))
    assert ps.problems == []
    # dibao + zhongdu_canji: the better tilt (+0.10), not +0.15
    assert _rate(ps, "2020-06-01", ("dibao", "zhongdu_canji")) == D("0.60")
    assert _rate(ps, "2020-06-01", ("zhongdu_canji",)) == D("0.55")
    prof = Profile("500000", dt.date(2020, 6, 1), frozenset({"dibao", "tekun"}), "resident", None, "inpatient", 2)
    ded = ps.resolver.resolve("basic_insurance.inpatient.deductible", prof)
    # dibao halves 1000 to 500; tekun sets 0: the better is 0, and the halving is not applied on top
    assert ded.value == 0 and ded.category == "tekun"
    # a person holding both is settled at deductible 0 and rate 0.60 (dibao's): 就高 per parameter
    case = case_from_data({"person": {"id": "p", "region": "500000", "scheme": "resident", "categories": ["dibao", "tekun"]},
                           "encounters": [{"id": "e", "date": "2020-06-01", "type": "inpatient", "hospital_level": 2,
                                           "total_cost": "5000.00", "eligible_cost": "5000.00"}]})
    # (5000 - 0) x 0.60 = 3000.00
    assert Evaluator(ps).settle(case).encounters[0]["paid"]["basic_insurance"] == "3000.00"


def test_a_rule_is_in_force_on_its_from_day_and_not_on_its_until_day(tmp_path):
    ps = _national_and_provincial(tmp_path, implements=True)
    assert _rate(ps, "2020-12-31") == D("0.55")
    assert _rate(ps, "2021-01-01") == D("0.60")
    assert _rate(ps, "2022-01-01") == D("0.55")


def test_shipped_chongqing_2020_dibao_tilts_cite_their_sources(tmp_path):
    ps = load_policy_set()
    prof = Profile("500000", dt.date(2020, 6, 10), frozenset({"dibao"}), "resident", 1, "inpatient", 2)
    ded = ps.resolver.resolve("basic_insurance.inpatient.deductible", prof)
    rate = ps.resolver.resolve("basic_insurance.inpatient.rate", prof)
    thr = ps.resolver.resolve("serious_illness.threshold", prof)
    si = ps.resolver.resolve("serious_illness.rate", prof)
    # 300 halved; 0.65 + 0.10; 13193 halved; bands 0.50 / 0.60 each + 0.05
    assert (ded.value, rate.value, thr.value) == (D("150.0"), D("0.75"), D("6596.5"))
    assert si.value == ((D(0), D("0.55")), (D(186807), D("0.65")))
    assert ded.steps[-1].rule.key == "cq-2018-medical-poverty-alleviation#inpatient-deductible-halved"
    assert rate.steps[-1].rule.key == "cq-2018-medical-poverty-alleviation#inpatient-rate-plus-10"
    assert thr.steps[-1].rule.key == "cq-2018-medical-poverty-alleviation#serious-illness-threshold-halved"
    assert si.steps[-1].rule.key == "cq-2018-medical-poverty-alleviation#serious-illness-rate-plus-5"
    assert si.steps[0].rule.key == "cq-2016-serious-illness-insurance-rate-adjustment#bands-2020"
    assert "区县级" in rate.steps[-1].rule.quote["zh"]

def test_shipped_chongqing_2020_premium_subsidies_by_category():
    # 2020 tier-1 contribution 250 (inferred); key objects 100%, other relief objects 70% (上游新闻 2019-07-05)
    ps = load_policy_set()

    def share(cat):
        rv = ps.resolver.resolve("premium.subsidy_share", Profile("500000", dt.date(2020, 1, 1), frozenset({cat}), "resident", 1))
        return None if rv is None else rv.value

    assert [share(c) for c in ("dibao", "tekun", "zhongdu_canji", "youfu", "kunnan_daxuesheng", "yinbing_zhipin")] == \
        [D(1), D(1), D("0.70"), D("0.70"), D("0.70"), D("0.70")]
    assert share("guer") is None and share("jiandang_pinkun") is None  # not found: the premium reports them missing
    c = ps.resolver.resolve("premium.individual_contribution", Profile("500000", dt.date(2020, 1, 1), frozenset(), "resident", 1))
    assert c.value == 250 and c.steps[-1].rule.provenance.grade == "inferred"
