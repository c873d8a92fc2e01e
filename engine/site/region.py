"""Docs-site region pages: documents that apply, parameters on 1 July of each year, how each changed, and the index."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from engine.settle.params import params_table
from engine.policy.steps import describe_step
from engine.policy.policyset import PolicySet
from engine.core.registry import GRADES, PARAMETERS, grade_rank, region_chain
from engine.site.base import (STATUS, by_layer, categories_with_rules, category_name, category_tab, cell, code_link, doc_title,
                        fmt_value, link, notice_page, region_name, region_page, regions_with_documents, span_text)
from engine.site.cost import cost_charts

Key = tuple[str, int | None]  # (parameter, hospital level)


@dataclass(frozen=True)
class Cell:
    """One resolved parameter value for a profile: shown value, rules that made it, flags."""

    value: str | None
    rules: tuple[str, ...]
    unverified: str | None  # the weakest grade below primary among the figures used, or None
    kind: str  # value | no_cap | guardrail | missing


def snapshot(ps: PolicySet, code: str, day: dt.date, cat: str | None, tier: int | None) -> dict[Key, Cell]:
    """Every parameter in force for a resident of `code` holding `cat` on `day`."""
    rows = params_table(ps, code, day, [cat] if cat else [], tier, "resident")
    out = {}
    for row in rows:
        key = (row["parameter"], row["hospital_level"])
        steps = row.get("steps", [])
        rules = tuple(dict.fromkeys(s["rule"] for s in steps))
        weak = [s.get("grade", "low") for s in steps if not s["verified"]]
        unver = max(weak, key=grade_rank) if weak else None
        if row.get("error"):
            out[key] = Cell(None, (), None, "missing")
        elif row["value"] is None and steps:
            out[key] = Cell(None, rules, unver, "no_cap")
        elif row["value"] is None:
            out[key] = Cell(None, tuple(g["rule"] for g in row.get("guardrails", [])), None, "guardrail")
        else:
            out[key] = Cell(row["value"], rules, unver, "value")
    return out


def cell_text(param: str, c: Cell | None) -> str:
    """How a Cell reads in a table."""
    if c is None:
        return "—"
    if c.kind == "missing":
        return "缺失 missing"
    if c.kind == "guardrail":
        return "仅底线 guardrail only"
    text = "不封顶 no cap" if c.kind == "no_cap" else fmt_value(param, c.value)
    return text + (f" ⚠{GRADES[c.unverified][0]} {c.unverified}" if c.unverified else " ✔一手")


def param_label(param: str, level: int | None) -> str:
    """A parameter's label with its hospital level."""
    p = PARAMETERS[param]
    lv = f"（{level}级医院 level {level}）" if level else ""
    return f"{p.zh}{lv}<br><small>`{param}`</small>"


def region_years(ps: PolicySet, code: str) -> list[int]:
    """The years (1 July) on which some rule is in force in the region."""
    dates = ps.resolver.change_dates(code)
    if not dates:
        return []
    years = range(dates[0].year, dates[-1].year + 1)
    return [y for y in years if ps.resolver.in_force(code, dt.date(y, 7, 1))]


def region_tier(ps: PolicySet, code: str) -> int | None:
    """The lowest contribution tier rules of the region name, or None."""
    chain = set(region_chain(code))
    tiers = sorted({t for r in ps.rules if r.jurisdiction in chain for t in r.who.contribution_tiers})
    return tiers[0] if tiers else None


def region_markdown(ps: PolicySet, code: str) -> str:
    """The page of one region: documents, parameters on 1 July of each year, how each changed, cost charts."""
    src = region_page(code)
    chain = region_chain(code)
    rules = [r for r in ps.rules if r.jurisdiction in chain]
    cats = [None, *categories_with_rules(rules)]
    tier = region_tier(ps, code)
    years = region_years(ps, code)
    out = [f"# {region_name(code)}", "", f"地区代码 Region code `{code}` · 层级 Layers: "
           + " → ".join(f"[{region_name(c)}]({link(src, region_page(c))})" if any(d.jurisdiction == c for d in ps.documents.values())
                        else region_name(c) for c in chain), ""]
    if tier:
        out += [f"缴费档次按 {tier} 档计算。Values are shown for contribution tier {tier}.", ""]
    out += ["## 适用文件 Documents that apply here", "", "| 层级 Layer | 文件 Notice | 有效期 In force | 状态 Status |", "| --- | --- | --- | --- |"]
    for d in by_layer(d for d in ps.documents.values() if d.jurisdiction in chain):
        out.append(f"| {region_name(d.jurisdiction)} | [{cell(doc_title(d))}]({link(src, notice_page(d.id))}) | {span_text(d.period)} | {STATUS.get(d.status, d.status)} |")
    out.append("")
    last = max([dt.date(y, 7, 1) for y in years] or [dt.date.today()])
    steps = ps.steps.in_force(code, last)
    if steps:
        out += [f"## 支付顺序 Order of payment ({last})", "", "| 顺序 Order | 基金 Fund | 计算 Arithmetic | 声明 Declared by |", "| --- | --- | --- | --- |"]
        out += [f"| {st.order} | {st.name['zh']} {st.name['en']} | {cell(describe_step(st, 'zh'))} | "
                f"[`{st.key}`]({link(src, notice_page(st.doc_id))}#step-{st.id}) |" for st in steps] + [""]
    out += ["## 各年参数 Parameters in force on 1 July", "",
            "每个参数一张表，每行一个年度（取 7 月 1 日；取值相同的相邻年度合并）：普通参保人的取值，以及各身份类别不同于此的取值"
            "（已按就高不叠加取最优；每个数值后标可信度：✔ 一手，⚠ 后为所用最弱的可信度：二手、低、推算、种子）。"
            "One table per parameter, a row per year (1 July; equal years merged): the ordinary resident's value and each "
            "category's where it differs (most favourable, 就高不叠加; each value shows its confidence grade: ✔ primary, "
            "or ⚠ and the weakest grade used).", ""]
    out += _parameter_tables(ps, code, cats, tier, years)
    out += ["## 参数变化时间线 How each parameter changed", "",
            "在每个规则生效或失效的日期比较前后参数，列出变化及引起变化的规则。"
            " On every date a rule starts or stops, the parameters before and after, with the rules that made the new value.", ""]
    for cat in cats:
        out += [f"### {category_name(cat)}", ""] + _change_list(ps, code, cat, tier, src)
    out += cost_charts(ps, code, cats, tier, years)
    return "\n".join(out) + "\n"


def _parameter_tables(ps: PolicySet, code: str, cats: list[str | None], tier: int | None, years: list[int]) -> list[str]:
    """One small table per parameter: a row per run of equal years, the ordinary value and each category that differs."""
    snaps = {(y, c): snapshot(ps, code, dt.date(y, 7, 1), c, tier) for y in years for c in cats}
    keys = ordered_keys(k for s in snaps.values() for k in s)
    if not keys:
        return ["无参数 No parameters in force.", ""]
    out: list[str] = []
    for param, level in keys:
        rows: list[tuple[list[int], str]] = []
        for y in years:
            base = cell_text(param, snaps[(y, None)].get((param, level)))
            diff = [f"{category_tab(c)} {t}" for c in cats[1:] if (t := cell_text(param, snaps[(y, c)].get((param, level)))) != base]
            text = f"{category_tab(None)} {base}" + ("<br>" + "<br>".join(diff) if diff else "")
            if rows and rows[-1][1] == text and rows[-1][0][-1] == y - 1:
                rows[-1][0].append(y)
            else:
                rows.append(([y], text))
        out += [f"### {param_words(param, level)}", "", f"<small>`{param}`</small>", "",
                "| 年度 Year | 取值 Value |", "| --- | --- |"]
        out += [f"| {ys[0]}{'–' + str(ys[-1]) if len(ys) > 1 else ''} | {text} |" for ys, text in rows] + [""]
    return out


def _change_list(ps: PolicySet, code: str, cat: str | None, tier: int | None, src: str) -> list[str]:
    """One category's change log as a list: date, parameter in words, before → after, the rules."""
    changes = change_log(ps, code, cat, tier)
    if not changes:
        return ["无变化 No changes.", ""]
    out = []
    for day, (param, level), before, after in changes:
        rules = (after.rules if after and after.kind != "missing" else (before.rules if before else ()))
        why = "；".join(code_link(src, k, ps) for k in rules) or "—"
        if after is None:
            why = "失效 ended: " + why
        out.append(f"- **{day}** {param_words(param, level)}：{cell_text(param, before)} → {cell_text(param, after)}"
                   f"<br><small>依据 rule：{why}</small>")
    return out + [""]


def param_words(param: str, level: int | None) -> str:
    """A parameter's Chinese label with its hospital level (住院起付线（二级医院））."""
    return PARAMETERS[param].zh + (f"（{level}级医院）" if level else "")


def ordered_keys(keys: Iterable[Key]) -> list[Key]:
    """Distinct (parameter, level) keys in registry order, then by level."""
    order = {p: i for i, p in enumerate(PARAMETERS)}
    return sorted(set(keys), key=lambda k: (order[k[0]], k[1] or 0))


def change_log(ps: PolicySet, code: str, cat: str | None, tier: int | None) -> list[tuple[dt.date, Key, Cell | None, Cell | None]]:
    """Every change of a parameter's value or source on the region's change dates."""
    prev: dict[Key, Cell] = {}
    out = []
    for day in ps.resolver.change_dates(code):
        now = snapshot(ps, code, day, cat, tier)
        for key in ordered_keys(list(prev) + list(now)):
            a, b = prev.get(key), now.get(key)
            if a is None and b is None:
                continue
            if a is None or b is None or (a.value, a.kind, a.rules) != (b.value, b.kind, b.rules):
                out.append((day, key, a, b))
        prev = now
    return out


def regions_index(ps: PolicySet) -> str:
    """All regions with documents."""
    src = "regions/index.md"
    out = ["# 地区 Regions", "", "有政策文件的地区；下级地区同时适用上级文件。Regions with documents; a region also follows the layers above it.", "",
           "| 地区 Region | 代码 Code | 本级文件 Own notices | 适用规则 Rules that reach it |", "| --- | --- | --- | --- |"]
    for code in regions_with_documents(ps):
        chain = set(region_chain(code))
        own = sum(1 for d in ps.documents.values() if d.jurisdiction == code)
        reach = sum(1 for r in ps.rules if r.jurisdiction in chain)
        out.append(f"| [{region_name(code)}]({link(src, region_page(code))}) | `{code}` | {own} | {reach} |")
    return "\n".join(out) + "\n"
