"""Payment steps (funds) of a policy set: which are in force for a person on a day, in paying order, and their checks."""
from __future__ import annotations

import bisect
import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from engine.core.messages import Name, Text
from engine.core.problems import Problem
from engine.core.registry import ENCOUNTER_TYPES, NAMED_PARAMETERS, STEP_ROLES, layer, region_chain, register_step_parameter
from engine.policy.model import Document, PayStep, build_document
from engine.policy.resolve import Profile, matches

if TYPE_CHECKING:
    from engine.policy.policyset import PolicySet

DEFAULT_STEPS = Path(__file__).resolve().parents[1] / "data" / "three-tier-steps.yaml"


@lru_cache(maxsize=1)
def default_document() -> Document:
    """The engine's three-tier declaration, for the tiers a policy set does not declare itself."""
    from engine.policy.load import load_file

    loaded, problems = load_file(DEFAULT_STEPS, str(DEFAULT_STEPS))
    if loaded is None or problems:  # pragma: no cover - the file ships with the engine and is tested
        raise RuntimeError(f"cannot read {DEFAULT_STEPS}: {problems}")
    return build_document(loaded.data, str(DEFAULT_STEPS))


def declared(documents: Iterable[Document]) -> list[PayStep]:
    """Every step the documents declare, and the engine's three tiers for any tier id they do not declare."""
    docs = list(documents)
    steps = [s for d in docs for s in d.steps]
    ids = {s.id for s in steps}
    steps += [s for s in default_document().steps if s.id not in ids]
    for s in steps:
        flat = s.rate != "marginal"
        for role, pattern in s.names:
            for etype in (ENCOUNTER_TYPES if "{type}" in pattern else (None,)):
                register_step_parameter(s.parameter(role, etype), s.name["zh"], s.name["en"], flat)
    return steps


class StepIndex:
    """The steps of a set by region and day: deepest layer wins for an id, ordered by `order`."""

    def __init__(self, steps: list[PayStep], doc_periods: dict) -> None:
        self.steps = steps
        self.doc_periods = doc_periods
        self.ids = sorted({s.id for s in steps}, key=lambda i: (min(s.order for s in steps if s.id == i), i))
        self.kinds = {s.id: s for s in steps}  # one declaration per id stands for the id's arithmetic
        self._days: dict[str, list[dt.date]] = {}
        self._cache: dict[tuple, tuple[PayStep, ...]] = {}

    def _live(self, s: PayStep, day: dt.date) -> bool:
        dp = self.doc_periods.get(s.doc_id)
        return s.period.contains(day) and (dp is None or dp.contains(day))

    def change_dates(self, region: str) -> list[dt.date]:
        """Every date on which some step declaration for this region starts or stops (its period or its document's)."""
        if region not in self._days:
            chain = set(region_chain(region))
            days = {d for s in self.steps if s.jurisdiction in chain
                    for d in (s.period.start, s.period.end, *self._doc_days(s)) if d is not None}
            self._days[region] = sorted(days)
        return self._days[region]

    def epoch(self, region: str, day: dt.date) -> int:
        """Which of the region's step periods `day` falls in (equal epochs: the same steps in force)."""
        return bisect.bisect_right(self.change_dates(region), day)

    def in_force(self, region: str, day: dt.date) -> tuple[PayStep, ...]:
        """The declarations in force in `region` on `day`, one per id, in paying order."""
        key = (region, bisect.bisect_right(self.change_dates(region), day))
        hit = self._cache.get(key)
        if hit is None:
            chain = region_chain(region)
            best: dict[str, PayStep] = {}
            for s in sorted((s for s in self.steps if s.jurisdiction in chain and self._live(s, day)),
                            key=lambda s: layer(s.jurisdiction)):
                best[s.id] = s
            hit = tuple(sorted(best.values(), key=lambda s: (s.order, s.id)))
            self._cache[key] = hit
        return hit

    def _doc_days(self, s: PayStep) -> tuple:
        dp = self.doc_periods.get(s.doc_id)
        return (dp.start, dp.end) if dp is not None else ()


def reaches(step: PayStep, p: Profile) -> str | None:
    """None if the step's `who` covers the person and encounter, else why not (in words)."""
    w = step.who
    if w.categories and not set(w.categories) & p.categories:
        return Text("trace.why.categories", categories=Name("categories", "|".join(w.categories)))
    if not matches_who(step, p):
        return Text("trace.why.who")
    return None


def matches_who(step: PayStep, p: Profile) -> bool:
    """True if the step's scheme, encounter type, hospital level and tier fit (categories aside)."""
    return matches(step, p)  # type: ignore[arg-type]  # PayStep has the same `who` as a Rule


def step_problems(ps: "PolicySet") -> list[Problem]:
    """Declarations that cannot settle: duplicates, one id with two arithmetics, periods, unknown step figures."""
    out: list[Problem] = []
    by_id: dict[str, PayStep] = {}
    ids = set()
    for d in ps.documents.values():
        at = lambda s, sub, m, d=d: ps.locate(d.id, s.loc + sub, m)  # noqa: E731
        source_ids = {x["id"] for x in d.raw["sources"]}
        seen: set[str] = set()
        for s in d.steps:
            ids.add(s.id)
            if s.id in seen:
                out.append(at(s, ("id",), f"duplicate step id '{s.id}' in {d.id}"))
            seen.add(s.id)
            first = by_id.setdefault(s.id, s)
            if first.kind != s.kind or first.order != s.order:
                out.append(at(s, (), f"step '{s.id}' is declared with another order or arithmetic by {first.key}: one id, one arithmetic"))
            elif first is not s and first.jurisdiction == s.jurisdiction and first.period.overlaps(s.period):
                out.append(at(s, ("id",), f"step '{s.id}' is also declared by {first.key} for the same jurisdiction and period"))
            if s.period.end is not None and s.period.end <= s.period.start:
                out.append(at(s, ("effective", "until"), f"until {s.period.end} is not after from {s.period.start}"))
            if s.provenance.source and s.provenance.source not in source_ids:
                out.append(at(s, ("provenance", "source"), f"source '{s.provenance.source}' is not in this document's sources"))
            for role, name in s.names:
                if name.split(".")[-1] != role and name not in NAMED_PARAMETERS:
                    out.append(at(s, ("parameters", role), f"the {role} parameter's name must be a named parameter or end in .{role}, not '{name}'"))
    uses = {(s.id, role) for d in ps.documents.values() for s in d.steps for role, _ in s.names}
    for r in ps.rules:
        if r.parameter in NAMED_PARAMETERS or r.parameter.split(".")[-1] not in STEP_ROLES:
            continue
        sid, role = r.parameter.split(".")[0], r.parameter.split(".")[-1]
        if sid in ids and (sid, role) not in uses:
            out.append(ps.locate(r.doc_id, r.loc + ("parameter",), f"{r.parameter}: payment step '{sid}' uses no {role} (declare it in the step, or drop the rule)"))
            continue
        if r.parameter.split(".")[0] not in ids and not _default_name(r.parameter):
            out.append(ps.locate(r.doc_id, r.loc + ("parameter",), f"{r.parameter} belongs to no payment step: declare step '{r.parameter.split('.')[0]}' in `steps`"))
    return out


def _default_name(name: str) -> bool:
    return any(name == s.parameter(role, t) for s in default_document().steps for role, _ in s.names for t in ENCOUNTER_TYPES)


def describe_step(s: PayStep, lang: str = "zh", figures: dict[str, str] | None = None) -> str:
    """A step's arithmetic in words (Chinese by default): `figures` gives the values of its roles where known."""
    from engine.core.messages import msg
    from engine.core.registry import CATEGORIES

    f = figures or {}
    names = dict(s.names)

    def fig(role: str) -> str:
        return f.get(role) or f"`{names[role]}`"

    parts = [msg(f"step.accumulation.{s.accumulation}", lang), msg(f"step.base.{s.base}", lang)]
    if s.share_limit:
        parts.append(msg("step.share_limit", lang, p=fig("share_limit")))
    if s.ceiling:
        parts.append(msg("step.ceiling", lang, p=fig("ceiling")))
    else:
        if s.deductible != "none":
            parts.append(msg(f"step.deductible.{s.deductible}", lang, p=fig("deductible")))
        parts.append(msg(f"step.rate.{s.rate}", lang, p=fig("rate")))
    if s.annual_cap:
        parts.append(msg("step.annual_cap", lang, p=fig("annual_cap")))
    if s.waiting_period:
        parts.append(msg("step.waiting_period", lang))
    if s.who.categories:
        i = 0 if lang != "en" else 1
        parts.append(msg("step.who", lang, p=("、" if lang != "en" else ", ").join(CATEGORIES[c][i] for c in s.who.categories)))
    if s.where or s.admin_levels:
        i = 0 if lang != "en" else 1
        where = {"inside_pooling_area": ("统筹区内就医", "care inside the pooling area"),
                 "outside_pooling_area": ("异地就医", "care outside the pooling area")}.get(s.where or "", ("", ""))[i]
        levels = {"township": ("乡镇", "township"), "county": ("区县级", "district/county"), "municipal": ("市级", "municipal"),
                  "provincial": ("省级", "provincial")}
        at = ("、".join(levels[x][0] for x in s.admin_levels) + "医院") if s.admin_levels and lang != "en" else \
            (", ".join(levels[x][1] for x in s.admin_levels) + " hospitals") if s.admin_levels else ""
        parts.append(msg("step.where", lang, p=(("、" if lang != "en" else ", ").join(x for x in (where, at) if x))))
    return ("，" if lang != "en" else ", ").join(parts)
