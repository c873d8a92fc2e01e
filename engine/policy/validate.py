"""Semantic checks of a policy set: ids, references, dates, vocabularies, conflicts and national guardrails."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from itertools import combinations
from typing import TYPE_CHECKING, Any

from engine.policy.model import Rule, ShareOf
from engine.core.messages import Name, Text
from engine.core.problems import MissingFact, Problem
from engine.core.registry import PARAMETERS, REGIONS, canonical_region, layer, region_chain
from engine.policy.resolve import Profile, ReferenceMissing
from engine.policy.steps import step_problems

if TYPE_CHECKING:
    from engine.policy.policyset import PolicySet

ADJUST = ("scale", "add", "remove_cap")
# Project-internal material that is never a source: the domain brief, research dossiers, seeds' file copies.
INTERNAL = re.compile(r"(^|[\s/])shared/|BRIEF\.md|domain brief|research dossier|chongqing-sources\.md|/work/", re.IGNORECASE)
KIND_EFFECTS = {
    "money": {"set", "scale", "guardrail"},
    "rate": {"set", "add", "scale", "guardrail"},
    "bands": {"set", "add", "guardrail"},
    "cap": {"set", "scale", "remove_cap", "guardrail"},
    "months": {"set", "guardrail"},
    "flag": {"set"},
}


def semantic_problems(ps: "PolicySet") -> list[Problem]:
    """Every semantic problem in the set (schema-valid documents only)."""
    out: list[Problem] = []
    ps.steps  # registers the kinds of the declared steps' figures before their rules are checked
    out += _documents(ps)
    out += _rules(ps)
    out += _conflicts(ps)
    out += step_problems(ps)
    out += _sweep(ps)  # always: a broken reference elsewhere must not hide a guardrail violation
    return out


def internal_source_problems(ps: "PolicySet") -> list[Problem]:
    """Sources that name a project-internal file; `yibao validate` refuses them, but older policy sets (a --ref, a
    bundle, the base of a diff) still load, so a pinned version keeps its answers."""
    out = []
    for d in ps.documents.values():
        for i, src in enumerate(d.raw["sources"]):
            for field_ in ("url", "reference", "title", "mirror_of"):
                if INTERNAL.search(str(src.get(field_, ""))):
                    out.append(ps.locate(d.id, ("sources", i, field_), Text("policy.internal_source", id=src["id"], value=src[field_])))
    return out


def _documents(ps: "PolicySet") -> list[Problem]:
    out = []
    for d in ps.documents.values():
        at = lambda loc, msg: ps.locate(d.id, loc, msg)  # noqa: E731
        if canonical_region(d.jurisdiction) is None:
            out.append(at(("jurisdiction",), Text("policy.unknown_jurisdiction", value=d.jurisdiction, known=", ".join(REGIONS))))
        if d.period.end is not None and d.period.end <= d.period.start:
            out.append(at(("effective", "until"), Text("policy.until_before_from", end=d.period.end, start=d.period.start)))
        for key in ("supersedes", "amends", "implements"):
            for i, ref in enumerate(d.raw.get(key, [])):
                if ref not in ps.documents:
                    out.append(at((key, i), Text("policy.ref_no_document", field=key, ref=ref)))
                elif ref == d.id:
                    out.append(at((key, i), Text("policy.ref_self", field=key)))
        hist = d.raw["history"]
        if hist[-1]["version"] != d.version:
            out.append(at(("history", len(hist) - 1, "version"), Text("policy.history_version", last=hist[-1]["version"], version=d.version)))
        source_ids = [s["id"] for s in d.raw["sources"]]
        for i, sid in enumerate(source_ids):
            if sid in source_ids[:i]:
                out.append(at(("sources", i, "id"), Text("policy.duplicate_source", id=sid)))
        num = d.raw.get("document_number")
        if num and num["provenance"].get("source") and num["provenance"]["source"] not in source_ids:
            out.append(at(("document_number", "provenance", "source"), Text("policy.unknown_source", id=num["provenance"]["source"])))
        seen: dict[str, int] = {}
        for i, x in enumerate(d.data):
            if x.id in seen:
                out.append(at(x.loc + ("id",), Text("policy.duplicate_data", id=x.id)))
            seen[x.id] = i
            if canonical_region(x.region) is None:
                out.append(at(x.loc + ("region",), Text("policy.unknown_region", value=x.region)))
            if x.provenance.source and x.provenance.source not in source_ids:
                out.append(at(x.loc + ("provenance", "source"), Text("policy.unknown_source", id=x.provenance.source)))
    out += _cycles(ps)
    seen_data: dict[tuple, Any] = {}
    for d in ps.documents.values():
        for x in d.data:
            k = (x.series, x.region, x.year)
            if k in seen_data:
                out.append(ps.locate(d.id, x.loc, Text("policy.data_twice", series=x.series, region=x.region, year=x.year, other=f"{seen_data[k].doc_id}#{seen_data[k].id}")))
            seen_data[k] = x
    return out


def _cycles(ps: "PolicySet") -> list[Problem]:
    out = []
    graph = {d.id: [r for r in d.raw.get("supersedes", []) if r in ps.documents] for d in ps.documents.values()}
    for start in sorted(graph):
        stack, path = [(start, [start])], None
        while stack and path is None:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    path = trail + [start]
                    break
                if nxt not in trail:
                    stack.append((nxt, trail + [nxt]))
        if path and start == min(path[:-1]):
            out.append(ps.locate(start, ("supersedes",), Text("policy.supersedes_cycle", path=" -> ".join(path))))
    return out


def _rules(ps: "PolicySet") -> list[Problem]:
    out = []
    keys = {r.key: r for r in ps.rules}
    for d in ps.documents.values():
        source_ids = {s["id"] for s in d.raw["sources"]}
        ids: set[str] = set()
        for r in d.rules:
            at = lambda sub, msg, r=r: ps.locate(d.id, r.loc + sub, msg)  # noqa: E731
            if r.id in ids:
                out.append(at(("id",), Text("policy.duplicate_rule", id=r.id, doc=d.id)))
            ids.add(r.id)
            if r.period.end is not None and r.period.end <= r.period.start:
                out.append(at(("effective", "until"), Text("policy.until_before_from", end=r.period.end, start=r.period.start)))
            elif r.period.start < d.period.start or (d.period.end and (r.period.end is None or r.period.end > d.period.end)):
                out.append(at(("effective",), Text("policy.rule_outside", start=r.period.start, end=r.period.end or Text("policy.open"), dstart=d.period.start, dend=d.period.end or Text("policy.open"))))
            if r.provenance.source and r.provenance.source not in source_ids:
                out.append(at(("provenance", "source"), Text("policy.unknown_source", id=r.provenance.source)))
            out += _effect_fits(r, at)
            for field_ in ("implements", "stacks_with"):
                for i, ref in enumerate(getattr(r, field_)):
                    target = keys.get(ref)
                    if target is None:
                        out.append(at((field_, i), Text("policy.ref_no_rule", field=field_, ref=ref)))
                    elif target.jurisdiction not in region_chain(r.jurisdiction)[:-1]:
                        out.append(at((field_, i), Text("policy.ref_not_higher", field=field_, ref=ref, region=r.jurisdiction)))
                    elif target.parameter != r.parameter:
                        out.append(at((field_, i), Text("policy.ref_other_param", field=field_, ref=ref, target=f"{target.parameter}", param=r.parameter)))
    return out


def _effect_fits(r: Rule, at) -> list[Problem]:
    p = PARAMETERS[r.parameter]
    out = []
    if r.effect not in KIND_EFFECTS[p.kind]:
        out.append(at((r.effect,), Text("policy.effect_kind", effect=r.effect, param=Name("param", r.parameter), param_id=r.parameter, kind=p.kind)))
        return out
    v = r.value
    if r.effect == "set":
        if isinstance(v, dict) and not p.by_level:
            out.append(at(("set",), Text("policy.not_by_level", param=Name("param", r.parameter), param_id=r.parameter)))
        if v is None and p.kind != "cap":
            out.append(at(("set",), Text("policy.null_only_caps", param=Name("param", r.parameter), param_id=r.parameter)))
        if isinstance(v, bool) != (p.kind == "flag"):
            out.append(at(("set",), Text("policy.takes_flag" if p.kind == "flag" else "policy.takes_number", param=Name("param", r.parameter), param_id=r.parameter)))
        if isinstance(v, tuple) and p.kind != "bands":
            out.append(at(("set",), Text("policy.bands_only_rates", param=Name("param", r.parameter), param_id=r.parameter)))
        if isinstance(v, ShareOf) and p.kind not in ("money", "cap"):
            out.append(at(("set",), Text("policy.share_only_amounts", param=Name("param", r.parameter), param_id=r.parameter)))
        nums = list(v.values()) if isinstance(v, dict) else [b for band in v for b in band] if isinstance(v, tuple) else [v]
        for n in nums:
            if isinstance(n, Decimal) and n < 0:
                out.append(at(("set",), Text("policy.negative", value=n)))
            if isinstance(n, Decimal) and p.kind in ("rate", "bands") and n > 1 and not isinstance(v, tuple):
                out.append(at(("set",), Text("policy.rate_above_one", value=n)))
        if isinstance(v, tuple):
            froms = [f for f, _ in v]
            if froms[0] != 0 or froms != sorted(set(froms)):
                out.append(at(("set",), Text("policy.bands_rise")))
            if any(rate > 1 for _, rate in v):
                out.append(at(("set",), Text("policy.band_above_one")))
    elif r.effect == "scale" and not (0 <= v <= 1):
        out.append(at(("scale",), Text("policy.scale_range", value=v)))
    elif r.effect == "add" and not (-1 <= v <= 1):
        out.append(at(("add",), Text("policy.add_range", value=v)))
    return out


def _same_people(a: Rule, b: Rule) -> bool:
    if bool(a.who.categories) != bool(b.who.categories):
        return False
    return a.who.overlaps(b.who)


def _conflicts(ps: "PolicySet") -> list[Problem]:
    out = []
    by_param: dict[str, list[Rule]] = {}
    for r in ps.rules:
        by_param.setdefault(r.parameter, []).append(r)
    periods = {d.id: d.period for d in ps.documents.values()}
    for rules in by_param.values():
        for a, b in combinations(rules, 2):
            if a.effect == "guardrail" or b.effect == "guardrail" or not _same_people(a, b):
                continue
            if (a.effect == "set") != (b.effect == "set"):
                continue
            pa = _clip(a, periods)
            pb = _clip(b, periods)
            first = pa.overlaps(pb) if pa and pb else None
            if first is None:
                continue
            if b.key in a.implements or a.key in b.implements or b.key in a.stacks_with or a.key in b.stacks_with:
                continue
            if _replaced_on(ps, a, b, first):
                continue
            if a.jurisdiction == b.jurisdiction:
                for x, y in ((a, b), (b, a)):
                    out.append(ps.locate(x.doc_id, x.loc, Text("policy.conflict", a=x.key, b=y.key, effect=x.effect, param=Name("param", x.parameter), param_id=x.parameter, date=first)))
            elif a.effect != "set" and (a.jurisdiction in region_chain(b.jurisdiction) or b.jurisdiction in region_chain(a.jurisdiction)):
                low, high = (a, b) if layer(a.jurisdiction) > layer(b.jurisdiction) else (b, a)
                out.append(ps.locate(low.doc_id, low.loc, Text("policy.stacks", low=low.key, high=high.key, param=Name("param", low.parameter), param_id=low.parameter, date=first)))
    return out


def _clip(r: Rule, periods) -> Any:
    from engine.policy.model import Period

    dp = periods[r.doc_id]
    start = max(r.period.start, dp.start)
    ends = [e for e in (r.period.end, dp.end) if e is not None]
    end = min(ends) if ends else None
    return Period(start, end) if end is None or end > start else None


def _replaced_on(ps: "PolicySet", a: Rule, b: Rule, day: dt.date) -> bool:
    """True if one of the two is replaced on `day` by a rule that implements it."""
    for r in ps.rules:
        if (a.key in r.implements or b.key in r.implements) and r.period.contains(day):
            return True
    return False


def _sweep(ps: "PolicySet") -> list[Problem]:
    """Resolve every guarded or rate parameter on every change date in every region and check bounds and guardrails."""
    out: list[Problem] = []
    res = ps.resolver
    regions = sorted({r.jurisdiction for r in ps.rules})
    tiers = sorted({t for r in ps.rules for t in r.who.contribution_tiers}) or [None]
    reported: set[tuple] = set()
    for region in regions:
        for day in res.change_dates(region):
            in_force = res.in_force(region, day)
            for param, rules in in_force.items():
                spec = PARAMETERS[param]
                my_guards = [g for g in rules if g.effect == "guardrail"]
                if spec.kind not in ("rate", "bands") and not my_guards:
                    continue
                cats = sorted({c for r in rules for c in r.who.categories})
                levels = (1, 2, 3) if spec.by_level else (None,)
                etype = param.split(".")[1] if param.startswith("basic_insurance.") and spec.by_level else None
                for cat in [None, *cats]:
                    for level in levels:
                        for scheme in ("resident", "employee"):
                            for tier in tiers:
                                prof = Profile(region, day, frozenset([cat] if cat else []), scheme, tier, etype, level)
                                try:
                                    rv = res.resolve(param, prof)
                                except (ReferenceMissing, MissingFact):
                                    continue  # figures not yet published: evaluation reports them when needed
                                if rv is None or rv.category != cat:
                                    continue
                                out += _check_value(ps, rv, prof, my_guards, reported)
    return out


def _numbers(value: Any) -> list[Decimal]:
    if isinstance(value, tuple):
        return [r for _, r in value]
    return [value] if isinstance(value, Decimal) else []


def _check_value(ps, rv, prof: Profile, guards: list[Rule], reported: set) -> list[Problem]:
    out = []
    spec = PARAMETERS[rv.parameter]
    last = rv.steps[-1].rule
    who = Text("policy.who", who=Name("category", rv.category or "ordinary"), who_id=rv.category or "ordinary insured")
    if spec.kind in ("rate", "bands"):
        for n in _numbers(rv.value):
            if not (0 <= n <= 1):
                key = ("rate", last.key, rv.parameter)
                if key not in reported:
                    reported.add(key)
                    out.append(ps.locate(last.doc_id, last.loc, Text("policy.rate_outside", param=Name("param", rv.parameter), param_id=rv.parameter, who=who, region=Name("region", prof.region),
                                                                                 region_id=prof.region, value=n, date=prof.date, rules=", ".join(s.rule.key for s in rv.steps))))
    for g in guards:
        if g.who.categories and (rv.category not in g.who.categories):
            continue
        if layer(last.jurisdiction) <= layer(g.jurisdiction):
            continue
        if not g.who.overlaps(_who_of(prof)):
            continue
        bound = g.value
        for n in _numbers(rv.value):
            bad = None
            if "min" in bound and n < bound["min"]:
                bad = Text("policy.guard_floor", bound=bound["min"])
            if "max" in bound and n > bound["max"]:
                bad = Text("policy.guard_ceiling", bound=bound["max"])
            if "max_share_of" in bound:
                s = bound["max_share_of"]
                year = prof.date.year - 1 if s.year == "previous" else prof.date.year
                found = ps.resolver.reference(s.series, prof.region, year)
                if found is None:
                    continue  # checked again when the figure is added
                ceiling = found[0].value * s.share
                if n > ceiling:
                    bad = Text("policy.guard_share", share=s.share, series=s.series, year=year, ceiling=ceiling)
            if bad:
                key = ("guard", g.key, last.key)
                if key not in reported:
                    reported.add(key)
                    out.append(ps.locate(last.doc_id, last.loc, Text("policy.guard", rule=last.key, param=Name("param", rv.parameter), param_id=rv.parameter, value=n, who=who,
                                                                                      region=Name("region", prof.region), region_id=prof.region, date=prof.date, bad=bad, guard=g.key)))
    return out


def _who_of(p: Profile):
    from engine.policy.model import Who

    return Who((), (p.scheme,), (p.encounter_type,) if p.encounter_type else (), (p.hospital_level,) if p.hospital_level else (), (p.tier,) if p.tier else ())
