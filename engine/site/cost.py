"""Docs-site cost charts: what each tier pays for one inpatient stay as the bill grows, settled by the interpreter."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from engine.settle.case import Case, case_from_data
from engine.settle.evaluate import Evaluator
from engine.policy.policyset import PolicySet
from engine.core.problems import InputError, MissingParameter
from engine.site.base import category_tab, cell, why_text
from engine.site.svg import Stack, stacked_chart

TIER_LABELS = {"basic_insurance": "基本医保 basic", "serious_illness": "大病保险 serious illness",
               "medical_assistance": "医疗救助 assistance", "out_of_pocket": "个人自付 out of pocket"}
CHART_TIERS = ("out_of_pocket", "basic_insurance", "serious_illness", "medical_assistance")
PAID_TIERS = ("basic_insurance", "serious_illness", "medical_assistance")
CHART_MAX, CHART_STEP = Decimal(500000), Decimal(10000)
TABLE_COSTS = (Decimal(50000), Decimal(100000), Decimal(200000), Decimal(500000))


def stay_case(code: str, cat: str | None, tier: int | None, day: dt.date, level: int, cost: Decimal,
              ids: tuple[str, str, str]) -> Case:
    """A resident's case of one inpatient stay whose whole cost is eligible; ids = (person, encounter, case name)."""
    person: dict[str, Any] = {"id": ids[0], "region": code, "scheme": "resident",
                              "birth_date": day.replace(year=day.year - 40, day=min(day.day, 28)).isoformat()}  # an adult of 40
    if tier:
        person["contribution_tier"] = tier
    if cat:
        person["categories"] = [cat]
    return case_from_data({"person": person, "encounters": [
        {"id": ids[1], "date": day.isoformat(), "type": "inpatient", "hospital_level": level,
         "total_cost": f"{cost:.2f}", "eligible_cost": f"{cost:.2f}"}]}, ids[2])


def settle_curve(ps: PolicySet, code: str, cat: str | None, tier: int | None, day: dt.date, level: int) -> tuple[list[Stack], bool, list[str]]:
    """What each tier pays for one inpatient encounter as the eligible cost grows; raises InputError/MissingParameter if it does not settle."""
    ev = Evaluator(ps)
    points, unverified, missing = [], False, []
    x = Decimal(0)
    while x <= CHART_MAX:
        s = ev.settle(stay_case(code, cat, tier, day, level, x, ("chart", "e-1", "<chart>")))
        e = s.encounters[0]
        parts = {t: Decimal(e["paid"][t]) for t in PAID_TIERS}
        parts["out_of_pocket"] = Decimal(e["out_of_pocket"])
        points.append(Stack(x, parts))
        unverified = unverified or bool(s.unverified)
        for m in s.missing:
            if m.get("encounter") and m["reason"] not in missing:
                missing.append(f"`{m['parameter']}`: {m['reason']}")
        x += CHART_STEP
    return points, unverified, sorted(set(missing))


def chart_year(ps: PolicySet, code: str, tier: int | None, years: list[int]) -> tuple[int | None, str]:
    """The latest year in which an ordinary resident's level-2 stay settles, and why none does otherwise."""
    why = "no year"
    for y in reversed(years):
        try:
            Evaluator(ps).settle(stay_case(code, None, tier, dt.date(y, 7, 1), 2, Decimal(100000), ("probe", "e", "<case>")))
            return y, ""
        except (InputError, MissingParameter) as exc:
            why = f"{y}-07-01: {why_text(exc)}"
    return None, why


def cost_charts(ps: PolicySet, code: str, cats: list[str | None], tier: int | None, years: list[int]) -> list[str]:
    """The region's charts of what a person pays as the bill grows, per category and hospital level."""
    out = ["## 个人负担随费用增长 What the person pays as the bill grows", ""]
    year, why = chart_year(ps, code, tier, years)
    if year is None:
        out += ['!!! info "无法结算 No chart"', "",
                f"    本地区没有可结算住院费用的完整规则（基本医保起付线、报销比例等）。No inpatient stay settles here: {cell(why)}", ""]
        return out
    day = dt.date(year, 7, 1)
    out += [f"一次住院，{day.isoformat()} 结算，政策范围内费用从 0 到 50 万元（每 1 万元一个点），按支付层次堆叠。"
            f" One inpatient stay settled on {day.isoformat()}, eligible cost 0 to 500,000 yuan in steps of 10,000, "
            "stacked by who pays: out of pocket at the bottom, then basic insurance, serious-illness insurance and medical assistance.", ""]
    for cat in cats:
        out += [f"### {category_tab(cat)}", ""]
        for level in (2, 3):
            out += [line.removeprefix("    ") for line in _level_chart(ps, code, cat, tier, day, level)]
    return out


def _level_chart(ps: PolicySet, code: str, cat: str | None, tier: int | None, day: dt.date, level: int) -> list[str]:
    """One category's chart and table for stays in hospitals of one level (indented into its tab)."""
    title = f"{category_tab(cat)} · {level}级医院 level {level} · {day.year}"
    try:
        points, unver, missing = settle_curve(ps, code, cat, tier, day, level)
    except (InputError, MissingParameter) as exc:
        return [f"    **{level}级医院 level {level}**：无法结算 does not settle — {why_text(exc)}", ""]
    svg = stacked_chart(points, CHART_TIERS, TIER_LABELS, title, unver)
    out = [f'    <figure class="yb-chart" markdown="0">{svg}</figure>', ""]
    at = {p.x: p for p in points}
    out += ["    | 费用 | 基本医保 | 大病保险 | 医疗救助 | 个人自付 |",
            "    | --- | --- | --- | --- | --- |"]
    for x in TABLE_COSTS:
        p = at.get(x)
        if p:
            out.append(f"    | {x:,.0f} | " + " | ".join(f"{p.parts[t]:,.2f}" for t in (*PAID_TIERS, "out_of_pocket")) + " |")
    out.append("")
    if unver:
        out += ["    ⚠ 此图用到非一手数值 This chart uses figures below primary (see the notices' provenance).", ""]
    if missing:
        out += ["    缺失 Missing: " + "；".join(cell(m) for m in missing), ""]
    return out
