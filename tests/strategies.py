"""Hypothesis strategies derived from a loaded policy set: regions, settleable dates, categories, levels, tiers."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from engine.settle.case import case_from_data
from engine.settle.evaluate import Evaluator
from engine.policy.policyset import PolicySet, load_policy_set, require_valid
from engine.core.problems import InputError, MissingParameter
from engine.core.registry import CATEGORIES, ENCOUNTER_TYPES

ROOT = Path(__file__).resolve().parent.parent
SETS = {"shipped": ROOT / "policies", "synthetic": ROOT / "tests" / "fixtures" / "synthetic-full" / "policies"}
ONE_DAY = dt.timedelta(days=1)


@dataclass
class Facts:
    """What the strategies draw from, read off one policy set."""

    name: str
    ps: PolicySet
    categories: list[str]
    tiers: list[int | None]
    # (region, year, encounter type) -> list of [start, end) windows where a case of that type settles
    windows: dict[tuple[str, int, str], list[tuple[dt.date, dt.date]]] = field(default_factory=dict)
    # (region, year) -> the tiers and categories with which a case settles on every window of that year
    ok_tiers: dict[tuple[str, int], list[int | None]] = field(default_factory=dict)
    ok_categories: dict[tuple[str, int], list[str]] = field(default_factory=dict)

    @property
    def keys(self) -> list[tuple[str, int, str]]:
        return sorted(self.windows)


@lru_cache(maxsize=None)
def policy_set(name: str) -> PolicySet:
    """A named policy set (shipped or synthetic), loaded once."""
    return require_valid(load_policy_set(SETS[name]))


def _probe(ev: Evaluator, region: str, day: dt.date, etype: str, level: int, cats: list[str], tier: int | None) -> bool:
    person: dict[str, Any] = {"id": "probe", "region": region, "scheme": "resident", "categories": cats}
    if tier is not None:
        person["contribution_tier"] = tier
    data = {"person": person, "encounters": [{"id": "e", "date": day.isoformat(), "type": etype, "hospital_level": level,
                                              "total_cost": "100000.00", "eligible_cost": "100000.00"}]}
    try:
        ev.settle(case_from_data(data))
        return True
    except (MissingParameter, InputError):
        return False


@lru_cache(maxsize=None)
def facts(name: str) -> Facts:
    """Regions, years, encounter types and date windows where every probe case settles."""
    ps = policy_set(name)
    res, ev = ps.resolver, Evaluator(ps)
    cats = sorted(CATEGORIES)
    tiers: list[int | None] = [None, *sorted({t for r in ps.rules for t in r.who.contribution_tiers})]
    f = Facts(name, ps, cats, tiers)
    regions = sorted({r.jurisdiction for r in ps.rules})
    for region in regions:
        changes = res.change_dates(region)
        if not changes:
            continue
        first, last = changes[0], max(changes[-1], changes[0]) + dt.timedelta(days=366)
        cuts = sorted(set(changes) | {dt.date(y, 1, 1) for y in range(first.year, last.year + 2)})
        cuts = [c for c in cuts if first <= c <= last]
        for a, b in zip(cuts, cuts[1:]):
            for etype in ENCOUNTER_TYPES:
                # a region may refuse some tiers or categories (a figure no rule supplies): draw only those that settle
                good_tiers = [t for t in tiers if all(_probe(ev, region, a, etype, lvl, [], t) for lvl in (1, 2, 3))
                              and _probe(ev, region, b - ONE_DAY, etype, 2, [], t)]
                if not good_tiers:
                    continue
                top = good_tiers[-1]
                good_cats = [c for c in cats if all(_probe(ev, region, a, etype, lvl, [c], t) for lvl in (1, 2, 3) for t in good_tiers)]
                f.windows.setdefault((region, a.year, etype), []).append((a, b))
                key = (region, a.year)
                f.ok_tiers[key] = [t for t in f.ok_tiers.get(key, good_tiers) if t in good_tiers]
                f.ok_categories[key] = [c for c in f.ok_categories.get(key, good_cats) if c in good_cats]
                del top
    for key in [k for k in f.windows if not f.ok_tiers.get(k[:2])]:
        del f.windows[key]
    return f


def _day_in(windows: list[tuple[dt.date, dt.date]]) -> st.SearchStrategy[dt.date]:
    return st.sampled_from(windows).flatmap(lambda w: st.integers(0, (w[1] - w[0]).days - 1).map(lambda n: w[0] + dt.timedelta(days=n)))


def money(max_cents: int = 200_000_000) -> st.SearchStrategy[Decimal]:
    """Amounts in yuan, exact to the fen, mostly small, sometimes very large."""
    return st.one_of(st.integers(0, 10_000), st.integers(0, 5_000_000), st.integers(0, max_cents)).map(lambda c: Decimal(c) / 100)


@st.composite
def encounter(draw, f: Facts, region: str, year: int, i: int, big: bool = False) -> dict[str, Any]:
    """One encounter on a day where its type settles in that region and year (`big`: 10,000 to 2,000,000 yuan)."""
    types = [t for t in ENCOUNTER_TYPES if (region, year, t) in f.windows]
    etype = draw(st.sampled_from(types))
    day = draw(_day_in(f.windows[(region, year, etype)]))
    total = draw(st.integers(1_000_000, 200_000_000).map(lambda c: Decimal(c) / 100) if big else money())
    eligible = draw(st.one_of(st.just(total), money().map(lambda m: min(m, total))))
    return {"id": f"e-{i + 1}", "date": day.isoformat(), "type": etype, "hospital_level": draw(st.sampled_from([1, 2, 3])),
            "total_cost": f"{total:.2f}", "eligible_cost": f"{eligible:.2f}"}


@st.composite
def category_entry(draw, cat: str, year: int) -> Any:
    """A category held all year, or from/until a day of the year."""
    kind = draw(st.sampled_from(["all", "all", "from", "until"]))
    if kind == "all":
        return cat
    day = dt.date(year, 1, 1) + dt.timedelta(days=draw(st.integers(1, 364)))
    return {"id": cat, kind: day.isoformat()}


@st.composite
def cases(draw, f: Facts, max_encounters: int = 5, enrolment: bool = True, big: bool = False) -> dict[str, Any]:
    """A case in the contract's format, only in regions and years where it settles."""
    region, year = draw(st.sampled_from(sorted({(r, y) for r, y, _ in f.keys})))
    n = draw(st.integers(1, max_encounters))
    encs = [draw(encounter(f, region, year, i, big)) for i in range(n)]
    person: dict[str, Any] = {"id": "p-1", "region": region, "scheme": "resident"}
    tier = draw(st.sampled_from(f.ok_tiers[(region, year)]))
    if tier is not None:
        person["contribution_tier"] = tier
    allowed = f.ok_categories[(region, year)]
    cats = draw(st.lists(st.sampled_from(allowed), max_size=3, unique=True)) if allowed else []
    if cats:
        person["categories"] = [draw(category_entry(c, year)) for c in cats]
    if enrolment and draw(st.booleans()) and draw(st.booleans()):
        start = dt.date(year, 1, 1) + dt.timedelta(days=draw(st.integers(0, 364)))
        person["enrolment"] = {"coverage_start": start.isoformat(), "late": draw(st.booleans()),
                               "lapsed_years": draw(st.integers(0, 4)), "repaid_years": draw(st.integers(0, 3))}
    return {"person": person, "encounters": encs}


def case_yaml(data: dict[str, Any]) -> str:
    """The case as YAML, ready for `yibao evaluate` (print it when a property fails)."""
    return "# minimal failing case: save as case.yaml and run `yibao evaluate case.yaml`\n" + yaml.safe_dump(
        data, allow_unicode=True, sort_keys=False, default_flow_style=False)
