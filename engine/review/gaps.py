"""Every figure a settlement in a region may need that no rule supplies, by period, encounter type, level, tier and category."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from engine.core.messages import Text, msg
from engine.core.problems import InputError
from engine.core.registry import (CATEGORIES, ENCOUNTER_TYPES, GRADES, HOSPITAL_LEVELS, NATIONAL, PARAMETERS, REGIONS, canonical_region,
                                  region_chain)
from engine.policy.policyset import PolicySet
from engine.policy.resolve import Profile, ReferenceMissing, Resolver, tier_reaches
from engine.policy.steps import reaches
from engine.settle.stepfigs import rule_reaches

# What a missing figure does to a settlement: refused (stops it), not_applied (a cap), undetermined (shown as unknown).
EFFECT = {"deductible": "refused", "rate": "refused", "threshold": "refused", "annual_cap": "not_applied",
          "individual_contribution": "undetermined", "subsidy": "undetermined", "monitoring": "undetermined"}
ALL = "*"
DEFAULT_FROM, DEFAULT_TO = 2017, 2026  # the years `yibao gaps` and GET /v1/gaps report when none are given
TIERS = ("basic_insurance", "serious_illness", "medical_assistance")  # asked above, in the engine's order


@dataclass(frozen=True)
class Need:
    """One figure one probe needs and does not get: the parameter (or reference figure) and what its absence does."""

    parameter: str
    effect: str
    reference: str | None = None  # "per_capita_disposable_income 500000 2022" when a share of a missing figure


@dataclass
class Gap:
    """A missing figure over one period, with who needs it, what is known around it and what to look for."""

    need: Need
    start: dt.date
    end: dt.date
    encounter_types: set[str] = field(default_factory=set)
    levels: set[int] = field(default_factory=set)
    tiers: set[Any] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    known: list[dict[str, Any]] = field(default_factory=list)

    def who(self) -> tuple:
        """The people and encounters it concerns, as a comparable key."""
        return (frozenset(self.encounter_types), frozenset(self.levels), frozenset(map(str, self.tiers)), frozenset(self.categories))


def _resolve(res: Resolver, name: str, p: Profile, out: list[Need], effect: str) -> Any:
    """The resolved value, recording a Need when no rule supplies it or its reference figure is missing."""
    try:
        rv = res.resolve(name, p)
    except ReferenceMissing as e:
        out.append(Need(name, effect, f"{e.series} {e.region} {e.year}"))
        return None
    if rv is None:
        out.append(Need(name, effect))
    return rv


def fund_needs(res: Resolver, steps: Any, p: Profile, out: list[Need]) -> None:
    """The further funds (payment steps beyond the three tiers) that reach the profile and miss a figure, as stepfigs asks."""
    for st in steps.in_force(p.region, p.date):
        if st.id in TIERS or reaches(st, p):
            continue
        key = st.parameter("ceiling" if st.ceiling else "rate", p.encounter_type)
        try:
            has_key = res.resolve(key, p) is not None
        except ReferenceMissing:
            has_key = True
        if not has_key and not st.required:
            if rule_reaches(res, st, p):  # not computed (null) where something is owed on its base, never 0.00
                out.append(Need(key, "undetermined"))
            continue
        for role, _ in st.names:
            _resolve(res, st.parameter(role, p.encounter_type), p, out, "not_applied" if role == "annual_cap" else "refused")


def needs(res: Resolver, p: Profile, steps: Any = None) -> list[Need]:
    """The figures a settlement of this profile needs and no rule supplies, in the order the engine asks for them."""
    out: list[Need] = []
    et = p.encounter_type
    _resolve(res, f"basic_insurance.{et}.deductible", p, out, "refused")
    _resolve(res, f"basic_insurance.{et}.rate", p, out, "refused")
    _resolve(res, "basic_insurance.annual_cap", p, out, "not_applied")
    for tier, first in (("serious_illness", "threshold"), ("medical_assistance", "deductible")):
        try:
            has_rate = res.resolve(f"{tier}.rate", p) is not None
        except ReferenceMissing:
            has_rate = True
        if has_rate:
            _resolve(res, f"{tier}.{first}", p, out, "refused")
            _resolve(res, f"{tier}.rate", p, out, "refused")
            _resolve(res, f"{tier}.annual_cap", p, out, "not_applied")
        elif tier_reaches(res, tier, p):  # a rule reaches the person but no rate: the tier is not computed (null), never 0.00
            out.append(Need(f"{tier}.rate", "undetermined"))
    if steps is not None:
        fund_needs(res, steps, p, out)
    if p.scheme == "resident":
        _resolve(res, "premium.individual_contribution", p, out, "undetermined")
        if p.categories:
            probe: list[Need] = []
            amount = _resolve(res, "premium.subsidy", p, probe, "undetermined")
            share = _resolve(res, "premium.subsidy_share", p, probe, "undetermined")
            if amount is None and share is None:
                out.append(Need("premium.subsidy", "undetermined"))
    fixed = _resolve(res, "monitoring.threshold", p, [], "undetermined")
    share = _resolve(res, "monitoring.threshold_share", p, [], "undetermined")
    if fixed is None and share is None:
        out.append(Need("monitoring.threshold", "undetermined"))
    return [n for n in out if not (n.effect == "not_applied" and _lifted(res, n.parameter, p))]


def _lifted(res: Resolver, name: str, p: Profile) -> bool:
    try:
        rv = res.resolve(name, p)
    except ReferenceMissing:
        return False
    return rv is not None and rv.value is None


def _segments(res: Resolver, region: str, first: int, last: int) -> list[tuple[dt.date, dt.date]]:
    cuts = {dt.date(y, 1, 1) for y in range(first, last + 2)}
    cuts |= {d for d in res.change_dates(region) if dt.date(first, 1, 1) <= d <= dt.date(last + 1, 1, 1)}
    days = sorted(cuts)
    return list(zip(days, days[1:]))


def find_gaps(ps: PolicySet, region: str, first: int = DEFAULT_FROM, last: int = DEFAULT_TO) -> list[Gap]:
    """Every gap of the region from 1 January of `first` to 31 December of `last`, merged over adjacent periods."""
    res = ps.resolver
    tiers: list[Any] = sorted({t for r in ps.rules if r.jurisdiction in region_chain(region) for t in r.who.contribution_tiers})
    tiers = tiers + [None] if tiers else [None]
    cats: list[str | None] = [None, *sorted(CATEGORIES)]
    per_segment: list[tuple[tuple[dt.date, dt.date], dict[tuple, Gap]]] = []
    for a, b in _segments(res, region, first, last):
        found: dict[tuple, Gap] = {}
        if not res.in_force(region, a):
            need = Need("policy", "refused")
            g = Gap(need, a, b, set(ENCOUNTER_TYPES), set(HOSPITAL_LEVELS), set(tiers), {ALL})
            found[(need, g.who())] = g
        else:
            combos: dict[Need, dict[str, tuple[set, set, set]]] = {}
            for et in ENCOUNTER_TYPES:
                for lvl in HOSPITAL_LEVELS:
                    for tier in tiers:
                        for cat in cats:
                            p = Profile(region, a, frozenset([cat] if cat else []), "resident", tier, et, lvl)
                            for n in needs(res, p, ps.steps):
                                ets, lvls, tts = combos.setdefault(n, {}).setdefault(cat or "ordinary", (set(), set(), set()))
                                ets.add(et)
                                lvls.add(lvl)
                                tts.add(tier)
            for n, by_cat in combos.items():
                groups: dict[tuple, Gap] = {}
                for cat, (ets, lvls, tts) in by_cat.items():  # categories with the same encounters, levels and tiers share a row
                    key = (frozenset(ets), frozenset(lvls), frozenset(map(str, tts)))
                    g = groups.setdefault(key, Gap(n, a, b, set(ets), set(lvls), set(tts)))
                    g.categories.add(cat)
                for g in groups.values():
                    found[(n, g.who())] = g
        per_segment.append(((a, b), found))
    merged: list[Gap] = []
    open_: dict[tuple, Gap] = {}
    for (a, b), found in per_segment:
        still: dict[tuple, Gap] = {}
        for key, g in found.items():
            prev = open_.get(key)
            if prev is not None and prev.end == a:
                prev.end = b
                still[key] = prev
            else:
                merged.append(g)
                still[key] = g
        open_ = still
    for g in merged:
        g.known = known_values(ps, region, g.need.parameter, g.start, g.end)
    return sorted(merged, key=lambda g: (g.need.parameter, g.start, sorted(g.categories)))


def known_values(ps: PolicySet, region: str, name: str, start: dt.date, end: dt.date, limit: int = 4) -> list[dict[str, Any]]:
    """Rules that set the parameter in the region's chain outside the gap: the nearest values before and after it, with grade."""
    chain = region_chain(region)
    rows = []
    for r in ps.rules:
        if r.parameter != name or r.jurisdiction not in chain or r.effect != "set":
            continue
        rs = max(r.period.start, ps.documents[r.doc_id].period.start)
        re_ = min(x for x in (r.period.end, ps.documents[r.doc_id].period.end, dt.date.max) if x is not None)
        if rs < end and re_ > start:
            continue  # in force inside the gap: it covers other people, not these
        rows.append({"rule": r.key, "from": rs.isoformat(), "until": None if re_ == dt.date.max else re_.isoformat(),
                     "value": _shown(r.value), "grade": r.provenance.grade, "who": sorted(r.who.categories) or ["ordinary"],
                     "distance": min(abs((rs - end).days), abs((re_ - start).days)) if re_ != dt.date.max else abs((rs - end).days)})
    rows.sort(key=lambda x: x["distance"])
    for x in rows:
        del x["distance"]
    return rows[:limit]


def _shown(v: Any) -> str:
    from engine.policy.model import ShareOf

    if isinstance(v, ShareOf):
        return f"{v.share} x {v.series} ({v.year} year)"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {x}" for k, x in sorted(v.items()))
    if isinstance(v, tuple):
        return "; ".join(f"{r} from {f}" for f, r in v)
    return str(v)


def gaps_json(ps: PolicySet, regions: list[str], first: int, last: int) -> dict[str, Any]:
    """The gaps report as data: per region, every gap with who, what is known and what to look for."""
    out = {"policy_set": {"version": ps.version, "fingerprint": ps.fingerprint}, "from": first, "to": last, "regions": []}
    for code in regions:
        gaps = find_gaps(ps, code, first, last)
        out["regions"].append({"region": code, "gaps": [{
            "parameter": g.need.parameter, "effect": g.need.effect, "reference": g.need.reference,
            "from": g.start.isoformat(), "until": g.end.isoformat(),
            "encounter_types": sorted(g.encounter_types), "hospital_levels": sorted(g.levels),
            "tiers": sorted(g.tiers, key=str), "categories": sorted(g.categories), "known": g.known,
            "look_for": {"zh": look_for(g.need, "zh"), "en": look_for(g.need, "en")}} for g in gaps]})
    return out


def gaps_report(ps: PolicySet, region: str | None, first: int, last: int) -> dict[str, Any]:
    """The `yibao gaps` report, the request checked first as the command checks it (InputError naming the option)."""
    code = None
    if region:
        code = canonical_region(region)
        if code is None:
            raise InputError(Text("usage.unknown_region", option="--region", value=region[:80]))
    if not (1949 <= first <= last <= 2100):
        option = "--from" if not 1949 <= first <= min(last, 2100) else "--to"
        raise InputError(Text("usage.gaps_years", first=first, last=last, option=option))
    return gaps_json(ps, regions_to_report(ps, code), first, last)


def look_for(need: Need, lang: str) -> str:
    """Where the missing figure is likely to be found, in words."""
    if need.reference:
        series, region, year = need.reference.split()
        return msg("gaps.look_for.reference", lang, region=region_label(region, lang), year=year)
    key = f"gaps.look_for.{need.parameter}"
    from engine.core.messages import CATALOGUE

    return msg(key if key in CATALOGUE else "gaps.look_for.other", lang, parameter=need.parameter)


def region_label(code: str, lang: str) -> str:
    """A region's name (Chinese or English) with its code."""
    r = REGIONS.get(code)
    return f"{(r.zh if lang == 'zh' else r.en) if r else code} ({code})"


def regions_to_report(ps: PolicySet, region: str | None) -> list[str]:
    """The regions asked for, or every region below the national level that has rules."""
    if region:
        return [region]
    return sorted({r.jurisdiction for r in ps.rules if r.jurisdiction != NATIONAL})


def per_person(parameter: str) -> bool:
    """True for figures that do not depend on the encounter (premium, monitoring)."""
    return parameter.startswith(("premium.", "monitoring."))


def _who_text(g: dict[str, Any], lang: str) -> str:
    cats = g["categories"]
    if cats == [ALL] or len(cats) >= len(CATEGORIES) + 1:
        who = msg("gaps.everyone", lang)
    else:
        sep = "、" if lang == "zh" else ", "
        who = sep.join((msg("gaps.ordinary", lang) if c == "ordinary" else CATEGORIES[c][0 if lang == "zh" else 1]) for c in cats)
    tiers = "/".join(msg("gaps.no_tier", lang) if t is None else str(t) for t in g["tiers"])
    if per_person(g["parameter"]):
        return msg("gaps.who_person", lang, tiers=tiers, who=who)
    et = ("、" if lang == "zh" else ", ").join(ENCOUNTER_TYPES[e][0 if lang == "zh" else 1] for e in g["encounter_types"])
    lv = "/".join(str(x) for x in g["hospital_levels"])
    return msg("gaps.who", lang, encounters=et, levels=lv, tiers=tiers, who=who)


def render_gaps(report: dict[str, Any], lang: str = "zh") -> str:
    """The gaps report in words, Chinese by default."""
    lines = []
    for reg in report["regions"]:
        gaps = reg["gaps"]
        lines.append(msg("gaps.region", lang, region=region_label(reg["region"], lang), first=report["from"], last=report["to"], n=len(gaps)))
        for g in gaps:
            p = PARAMETERS.get(g["parameter"])
            label = (p.zh if lang == "zh" else p.en) if p else msg("gaps.no_policy", lang)
            until = dt.date.fromisoformat(g["until"]) - dt.timedelta(days=1)
            lines.append(f"■ {g['parameter']} {label} — {msg('gaps.effect.' + g['effect'], lang)}"
                         + (f" ({g['reference']})" if g["reference"] else ""))
            lines.append(f"  {g['from']} – {until.isoformat()} · {_who_text(g, lang)}")
            for k in g["known"]:
                grade = GRADES[k["grade"]][0 if lang == "zh" else 1]
                who = ("、" if lang == "zh" else ", ").join(msg("gaps.ordinary", lang) if c == "ordinary" else CATEGORIES[c][0 if lang == "zh" else 1] for c in k["who"])
                lines.append("  " + msg("gaps.known", lang, value=k["value"], who=who, start=k["from"], until=k["until"] or "…", grade=grade, rule=k["rule"]))
            lines.append("  " + msg("gaps.look", lang, text=g["look_for"][lang]))
        lines.append("")
    if not any(r["gaps"] for r in report["regions"]):
        lines.append(msg("gaps.none", lang))
    return "\n".join(lines).rstrip() + "\n"
