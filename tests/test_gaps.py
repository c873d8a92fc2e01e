"""`yibao gaps`: every figure a Chongqing settlement may need that no rule supplies, consistent with what the engine refuses."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from engine.cli.main import main
from engine.core.problems import InputError, MissingParameter
from engine.core.registry import CATEGORIES
from engine.policy.policyset import load_policy_set
from engine.review.gaps import TIERS, find_gaps
from engine.settle.case import case_from_data
from engine.settle.evaluate import Evaluator


@pytest.fixture(scope="module")
def cq():
    ps = load_policy_set(None)
    return ps, find_gaps(ps, "500000", 2017, 2026)


def _gaps(gaps, parameter):
    return [g for g in gaps if g.need.parameter == parameter]


def _case(day, cat, tier, level, etype="inpatient", ooc=None):
    person = {"id": "p", "region": "500000", "scheme": "resident", "categories": [cat] if cat not in (None, "ordinary") else [],
              "birth_date": "1980-01-01"}  # an adult (the minors' +5 points from 2022 needs the birth date)
    if tier is not None:
        person["contribution_tier"] = tier
    return case_from_data({"person": person, "encounters": [{"id": "e", "date": day.isoformat(), "type": etype,
                                                              "hospital_level": level, "total_cost": f"{50000 + (ooc or 0)}.00", "eligible_cost": "50000.00",
                                                              "in_pooling_area": True, "hospital_admin_level": "county",
                                                              **({"out_of_catalogue_cost": f"{ooc}.00"} if ooc else {})}]})  # the 2018-2020 tilts ask


def test_serious_illness_thresholds_not_found_are_listed_by_year(cq):
    _, gaps = cq
    periods = sorted((g.start, g.end) for g in _gaps(gaps, "serious_illness.threshold"))
    assert periods == [(dt.date(2017, 1, 1), dt.date(2020, 1, 1)), (dt.date(2021, 1, 1), dt.date(2022, 1, 1))]


def test_assistance_before_116_is_a_gap_for_dibao_and_tekun(cq):
    _, gaps = cq
    rows = _gaps(gaps, "medical_assistance.rate")
    first = min(rows, key=lambda g: g.start)
    assert first.start == dt.date(2017, 1, 1) and {"dibao", "tekun", "guer", "jiandang_pinkun"} <= first.categories
    assert first.levels == {1, 2, 3} and "ordinary" not in first.categories
    assert max(g.end for g in rows) == dt.date(2022, 10, 28)
    assert any(k["rule"].endswith("#rate-75") and k["grade"] == "primary" for k in first.known)


def test_every_refused_gap_is_refused_by_the_engine_naming_a_figure(cq):
    ps, gaps = cq
    ev = Evaluator(ps)
    checked = 0
    for g in gaps:
        if g.need.effect != "refused" or g.need.parameter == "policy":
            continue
        cat = sorted(g.categories)[0]
        tier = sorted(g.tiers, key=lambda t: (t is None, t))[0]
        case = _case(g.start, cat, tier, min(g.levels), sorted(g.encounter_types)[0])
        with pytest.raises((MissingParameter, InputError)) as e:
            ev.settle(case)
        assert "no rule in force supplies" in str(e.value) or "per_capita_disposable_income" in str(e.value.hint)
        checked += 1
    assert checked >= 5


def test_every_undetermined_tier_rate_gap_settles_that_tier_as_null(cq):
    """A tier some rule reaches but whose rate no rule supplies is not computed: null in the result, never 0.00."""
    ps, gaps = cq
    ev = Evaluator(ps)
    checked = 0
    for g in gaps:
        tier = g.need.parameter.removesuffix(".rate")
        if g.need.effect != "undetermined" or not g.need.parameter.endswith(".rate") or "*" in g.categories:
            continue
        cat = sorted(g.categories)[0]
        ctier = sorted(g.tiers, key=lambda t: (t is None, t))[0]
        days = [g.start] + [dt.date(y, 7, 1) for y in range(g.start.year, g.end.year + 1) if g.start <= dt.date(y, 7, 1) < g.end]
        for day in days:
            try:
                # a further fund pays on what is owed outside the catalogue: give it something (nothing owed: 0.00, a fact)
                s = ev.settle(_case(day, cat, ctier, min(g.levels), sorted(g.encounter_types)[0], None if tier in TIERS else 10000))
            except MissingParameter:
                continue  # another figure of the same case is refused on that day (listed as its own gap)
            assert all(e["paid"][tier] is None for e in s.encounters), (g.need.parameter, day, cat)
            checked += 1
    assert checked >= 2


def test_the_funds_without_band_rates_are_listed_as_undetermined(cq):
    # 扶贫济困医疗基金 and 精准脱贫保 (2017-2020): their band rates were not found; 健康扶贫基金's are known
    _, gaps = cq
    fj = [g for g in gaps if g.need.parameter == "fupin_jikun_fund.rate"]
    jz = [g for g in gaps if g.need.parameter == "jingzhun_tuopin_bao.rate"]
    assert fj and jz and all(g.need.effect == "undetermined" for g in fj + jz)
    assert (min(g.start for g in fj), max(g.end for g in fj)) == (dt.date(2017, 1, 1), dt.date(2021, 1, 1))
    assert {"dibao", "jiandang_pinkun", "zhongdu_canji"} <= set().union(*(g.categories for g in fj))
    assert set().union(*(g.categories for g in jz)) == {"jiandang_pinkun"}
    assert not [g for g in gaps if g.need.parameter.startswith("jiankang_fupin_fund.")]


def test_a_person_outside_every_refused_gap_settles(cq):
    ps, gaps = cq
    ev = Evaluator(ps)
    for day in (dt.date(2022, 11, 1), dt.date(2023, 6, 1), dt.date(2025, 6, 1), dt.date(2026, 6, 1)):
        for level in (1, 2, 3):
            for tier in (1, 2):
                covered = [g for g in gaps if g.need.effect == "refused" and g.start <= day < g.end and "dibao" in g.categories
                           and level in g.levels and tier in g.tiers and "inpatient" in g.encounter_types]
                assert not covered
                ev.settle(_case(day, "dibao", tier, level))  # settles: no exception


def test_cli_gaps_exits_1_with_chinese_text_and_json(capsys):
    assert main(["gaps", "--region", "500000"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("重庆市 (500000) 2017–2026 年：缺失数值") and "查找：" in out and "结算被拒绝并指出该数值" in out
    assert main(["gaps", "--region", "500000", "--format", "json", "--from", "2023", "--to", "2023"]) == 1
    rep = json.loads(capsys.readouterr().out)
    gaps = rep["regions"][0]["gaps"]
    assert all(g["from"] >= "2023-01-01" and g["until"] <= "2024-01-01" for g in gaps)
    assert all(g["look_for"]["zh"] and g["look_for"]["en"] for g in gaps)
    ref = [g for g in gaps if g["reference"]]
    assert ref and ref[0]["reference"] == "per_capita_disposable_income 500000 2022"
    assert main(["gaps", "--region", "500000", "--lang", "en", "--from", "2025", "--to", "2025"]) == 1
    assert "missing figure(s)" in capsys.readouterr().out


def test_cli_gaps_bad_usage_exits_2(capsys):
    assert main(["gaps", "--region", "nowhere"]) == 2
    assert "--region 'nowhere'" in capsys.readouterr().err
    assert main(["gaps", "--from", "2026", "--to", "2017"]) == 2


def test_gaps_page_on_the_docs_site():
    from pathlib import Path

    from engine.site.build import build_site

    site = build_site(load_policy_set(None), Path("."))
    page = site.pages["gaps/500000.md"]
    assert "serious_illness.threshold" in page and "结算被拒绝 refused" in page and "查找 Look for" in page
    assert "gaps/500000.md" in site.pages["SUMMARY.md"]


def test_every_refusal_is_a_listed_gap_and_every_listed_gap_refuses(cq):
    """For every category, tier and hospital level on two days of every year 2017-2026, a case settles exactly when no
    'refused' gap covers it; a refused case names a missing figure."""
    ps, gaps = cq
    ev = Evaluator(ps)
    refused = [g for g in gaps if g.need.effect == "refused"]
    cats = ["ordinary", *sorted(CATEGORIES)]
    seen = {"settled": 0, "refused": 0}
    for year in range(2017, 2027):
        for day in (dt.date(year, 1, 15), dt.date(year, 11, 15)):
            for cat in cats:
                for tier in (1, 2):
                    for level in (1, 2, 3):
                        covered = [g for g in refused if g.start <= day < g.end and (cat in g.categories or "*" in g.categories)
                                   and level in g.levels and tier in g.tiers and "inpatient" in g.encounter_types]
                        try:
                            ev.settle(_case(day, cat, tier, level))
                            ok = True
                        except MissingParameter:
                            ok = False
                        assert ok == (not covered), (day, cat, tier, level, [g.need.parameter for g in covered])
                        seen["settled" if ok else "refused"] += 1
    assert seen["settled"] > 300 and seen["refused"] > 300, seen
