"""What is in force for a person on a date: layers, overrides (`implements`), tilts and 就高不叠加."""
from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable

from engine.policy.model import Rule, ShareOf
from engine.core.problems import MissingFact
from engine.core.registry import PARAMETERS, layer, region_chain
from engine.core.messages import Name, Text


@dataclass(frozen=True)
class Profile:
    """The facts a rule's `who` can test, for one person on one day."""

    region: str
    date: dt.date
    categories: frozenset[str] = frozenset()
    scheme: str = "resident"
    tier: int | None = None
    encounter_type: str | None = None
    hospital_level: int | None = None
    age: int | None = None  # whole years on `date`; None: not asked (params, docs: age rules do not apply); UNKNOWN_AGE: a case without birth_date
    in_pooling_area: bool | str | None = None  # the encounter's place; None: not asked (params, docs: place conditions not tested); UNSTATED: a case that does not say
    admin_level: str | None = None             # the hospital's administrative level (township, county, municipal, provincial); as above


UNKNOWN_AGE = -1
UNSTATED = "unstated"  # an encounter fact the case does not give: a rule that tests it is an error naming the field


@dataclass
class Step:
    """One rule's contribution to a resolved value."""

    rule: Rule
    action: str  # set | scale | add | remove_cap | reference
    value: Any
    detail: str = ""


@dataclass
class Resolved:
    """A parameter's value for a profile, the category whose treatment it is, and every step that made it."""

    parameter: str
    value: Any
    category: str | None
    steps: list[Step] = field(default_factory=list)

    @property
    def rules(self) -> list[Rule]:
        return [s.rule for s in self.steps]


class ReferenceMissing(Exception):
    """A rule points at reference data the set does not have."""

    def __init__(self, series: str, region: str, year: int, rule: Rule) -> None:
        super().__init__(Text("error.reference_absent", series=Name("series", series), series_id=series, region=Name("region", region),
                              region_id=region, year=year, rule=rule.key))
        self.series, self.region, self.year, self.rule = series, region, year, rule


def matches(rule: Rule, p: Profile) -> bool:
    """True if the rule's scheme, encounter type, hospital level and tier fit the profile (categories aside)."""
    w = rule.who
    if w.schemes and p.scheme not in w.schemes:
        return False
    if w.encounter_types and p.encounter_type not in w.encounter_types:
        return False
    if w.hospital_levels and p.hospital_level not in w.hospital_levels:
        return False
    if w.contribution_tiers and p.tier not in w.contribution_tiers:
        return False
    if w.in_pooling_area is not None or w.hospital_admin_levels:
        if not _places_fit(rule, p):
            return False
    if w.age_below is not None:
        if p.age == UNKNOWN_AGE:
            raise MissingFact("birth_date", f"{getattr(rule, 'key', 'a rule')} (who.age_below: {w.age_below})")
        return p.age is not None and p.age < w.age_below
    return True


def _places_fit(rule: Rule, p: Profile) -> bool:
    """The rule's place conditions (in the pooling area, hospital administrative level) for this encounter; not asked: not tested."""
    w = rule.who
    concerned = not w.categories or bool(set(w.categories) & p.categories)  # a rule for others needs nothing of this case
    if w.in_pooling_area is not None:
        if p.in_pooling_area == UNSTATED:
            if concerned:
                raise MissingFact("in_pooling_area", f"{getattr(rule, 'key', 'a rule')} (who.in_pooling_area: {str(w.in_pooling_area).lower()})")
            return False
        if p.in_pooling_area is not None and p.in_pooling_area != w.in_pooling_area:
            return False
    if w.hospital_admin_levels:
        if p.admin_level == UNSTATED:
            if concerned:
                raise MissingFact("hospital_admin_level", f"{getattr(rule, 'key', 'a rule')} (who.hospital_admin_levels: {', '.join(w.hospital_admin_levels)})")
            return False
        if p.admin_level is not None and p.admin_level not in w.hospital_admin_levels:
            return False
    return True


def tier_reaches(res: "Resolver", tier: str, p: Profile) -> bool:
    """True if any rule of the tier (a value or a guardrail) is in force for this person: the tier applies to them."""
    for name, rules in res.in_force(p.region, p.date).items():
        if name.startswith(tier + "."):
            for r in rules:
                if matches(r, p) and (not r.who.categories or set(r.who.categories) & p.categories):
                    return True
    return False


def _at_level(value: Any, level: int | None) -> Any:
    if isinstance(value, dict):
        return value.get(level) if level is not None else None
    return value


def better(parameter: str, a: Any, b: Any) -> bool:
    """True if value `a` is strictly more favourable to the insured than `b` for this parameter."""
    p = PARAMETERS[parameter]
    if p.kind == "cap":
        if a is None:
            return b is not None
        return b is not None and a > b
    if p.kind == "flag":
        return bool(a) and not bool(b)
    if p.kind == "bands":
        ra, rb = as_bands(a), as_bands(b)
        if [f for f, _ in ra] != [f for f, _ in rb]:
            return ra[0][1] > rb[0][1]
        return all(x[1] >= y[1] for x, y in zip(ra, rb)) and ra != rb
    return a < b if p.better == "lower" else a > b


def as_bands(v: Any) -> tuple[tuple[Decimal, Decimal], ...]:
    """A rate as bands: a single rate is one band from 0."""
    return v if isinstance(v, tuple) else ((Decimal(0), v),)


class Resolver:
    """Indexes a policy set's rules by region and date so resolution is a few dictionary look-ups."""

    def __init__(self, rules: Iterable[Rule], data: dict[tuple[str, str, int], Any], doc_periods: dict[str, Any]) -> None:
        self.rules = [r for r in rules if doc_periods[r.doc_id].overlaps(r.period) is not None]
        self.data = data
        self.doc_periods = doc_periods
        self._epochs: dict[str, list[dt.date]] = {}
        self._cache: dict[tuple[str, int], dict[str, list[Rule]]] = {}
        self._resolved: dict[tuple, Resolved | None] = {}  # results are shared: never mutate a Resolved
        self.ages = any(r.who.age_below is not None for r in self.rules)  # age matters only where a rule tests it
        self.places = any(r.who.in_pooling_area is not None or r.who.hospital_admin_levels for r in self.rules)  # likewise the place
        # ... and only for the parameters such a rule sets: the others resolve alike at every age and place (one cache entry)
        self._age_params = {r.parameter for r in self.rules if r.who.age_below is not None}
        self._place_params = {r.parameter for r in self.rules if r.who.in_pooling_area is not None or r.who.hospital_admin_levels}

    def _in_force(self, rule: Rule, day: dt.date) -> bool:
        return rule.period.contains(day) and self.doc_periods[rule.doc_id].contains(day)

    def change_dates(self, region: str) -> list[dt.date]:
        """Every date on which some rule for this region starts or stops."""
        if region not in self._epochs:
            chain = set(region_chain(region))
            days: set[dt.date] = set()
            for r in self.rules:
                if r.jurisdiction in chain:
                    dp = self.doc_periods[r.doc_id]
                    for d in (r.period.start, r.period.end, dp.start, dp.end):
                        if d is not None:
                            days.add(d)
            self._epochs[region] = sorted(days)
        return self._epochs[region]

    def in_force(self, region: str, day: dt.date) -> dict[str, list[Rule]]:
        """Rules in force in `region` on `day`, by parameter, after `implements` overrides, shallowest layer first."""
        epoch = bisect.bisect_right(self.change_dates(region), day)
        key = (region, epoch)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        chain = region_chain(region)
        live = [r for r in self.rules if r.jurisdiction in chain and self._in_force(r, day)]
        replaced = {k for r in live for k in r.implements}
        by_param: dict[str, list[Rule]] = {}
        for r in sorted(live, key=lambda r: (layer(r.jurisdiction), r.doc_id, r.id)):
            if r.key not in replaced:
                by_param.setdefault(r.parameter, []).append(r)
        self._cache[key] = by_param
        return by_param

    def reference(self, series: str, region: str, year: int) -> tuple[Any, str] | None:
        """The figure of a series for the region (or, for a pooling area, its province) and year; never the national one for a region."""
        chain = region_chain(region)
        local = chain[1:] if len(chain) > 1 else chain
        for code in reversed(local):
            d = self.data.get((series, code, year))
            if d is not None:
                return d, code
        return None

    def _concrete(self, rule: Rule, value: Any, p: Profile, steps: list[Step]) -> Any:
        value = _at_level(value, p.hospital_level)
        if isinstance(value, ShareOf):
            year = p.date.year - 1 if value.year == "previous" else p.date.year
            found = self.reference(value.series, p.region, year)
            if found is None:
                raise ReferenceMissing(value.series, p.region, year, rule)
            datum, code = found
            steps.append(Step(rule, "reference", datum, f"{value.series} {code} {year} = {datum.value}"))
            return datum.value * value.share
        return value

    def resolve(self, parameter: str, p: Profile) -> Resolved | None:
        """The most favourable treatment among the baseline and each category held (就高不叠加), or None if no rule sets it."""
        epoch = bisect.bisect_right(self.change_dates(p.region), p.date)
        key = (parameter, p.region, epoch, p.date.year, p.categories, p.scheme, p.tier, p.encounter_type, p.hospital_level,
               p.age if parameter in self._age_params else None,
               (p.in_pooling_area, p.admin_level) if parameter in self._place_params else None)
        if key in self._resolved:
            return self._resolved[key]
        value = self._resolve(parameter, p)
        self._resolved[key] = value
        return value

    def _resolve(self, parameter: str, p: Profile) -> Resolved | None:
        rules = [r for r in self.in_force(p.region, p.date).get(parameter, ()) if matches(r, p)]
        if not rules:
            return None
        base = [r for r in rules if r.effect == "set" and not r.who.categories]
        best: Resolved | None = None
        for cat in (None, *sorted(p.categories)):
            cand = self._for_category(parameter, rules, base, cat, p)
            if cand is not None and (best is None or better(parameter, cand.value, best.value)):
                best = cand
        return best

    def _for_category(self, parameter: str, rules: list[Rule], base: list[Rule], cat: str | None, p: Profile) -> Resolved | None:
        own = [r for r in rules if r.effect == "set" and cat is not None and cat in r.who.categories]
        setter = (own or base or [None])[-1]  # deepest layer wins
        if setter is None:
            lifts = [r for r in rules if r.effect == "remove_cap" and cat is not None and cat in r.who.categories]
            if lifts:  # a cap removed where none was set is still no cap
                return Resolved(parameter, None, cat, [Step(lifts[-1], "remove_cap", None)])
            return None
        steps: list[Step] = []
        value = self._concrete(setter, setter.value, p, steps)
        if value is None and PARAMETERS[parameter].kind != "cap" and isinstance(setter.value, dict):
            return None  # no value at this hospital level
        steps.append(Step(setter, "set", value))
        for action in ("scale", "add", "remove_cap"):
            for r in rules:
                if r.effect != action:
                    continue
                if r.who.categories and (cat is None or cat not in r.who.categories):
                    continue
                value = _apply(action, value, r.value)
                steps.append(Step(r, action, value))
        return Resolved(parameter, value, cat, steps)


def _apply(action: str, value: Any, amount: Any) -> Any:
    if action == "remove_cap":
        return None
    if value is None:
        return None
    if isinstance(value, tuple):
        return tuple((f, _apply(action, r, amount)) for f, r in value)
    if action == "scale":
        return value * amount
    return value + amount
