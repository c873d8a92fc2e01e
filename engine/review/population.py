"""A SYNTHETIC, seeded reference population for impact estimates: generated, never real people.

Every person is invented by `random.Random(SEED)`: Chongqing (500000) residents, one calendar year in
2019-2025, ordinary insured or holding one (sometimes two) hardship categories, with 1-4 inpatient
encounters (each inside the pooling area or not, with the hospital's administrative level) and a birth date (a second seeded stream per person: ages 0-89, orphans under 18, students 17-22, so the
other draws do not move). Costs are drawn uniformly, not from any statistics; the population is for comparing two
versions of the policies against each other, never for estimating real spending.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from engine.core.registry import CATEGORIES

SEED = 20261122
REGION = "500000"
YEARS = tuple(range(2019, 2026))
PER_CELL = 3  # persons per (year, category group)
DESCRIPTION = (
    "SYNTHETIC reference population (engine/population.py, seed {seed}): {n} invented Chongqing residents, "
    "one year each in 2019-2025, ordinary and every hardship category (some with two), 1-4 inpatient "
    "encounters with uniformly drawn costs. Not real people and not representative of real spending."
)


def _groups(rng: random.Random) -> list[tuple[str, ...]]:
    """Category groups: ordinary, each category alone, and a few seeded pairs."""
    cats = sorted(CATEGORIES)
    pairs = set()
    while len(pairs) < 4:
        a, b = rng.sample(cats, 2)
        pairs.add(tuple(sorted((a, b))))
    return [()] + [(c,) for c in cats] + sorted(pairs)


def _yuan(fen_: int) -> str:
    """Whole fen as a two-decimal yuan string."""
    return str((Decimal(fen_) / 100).quantize(Decimal("0.01")))


def _encounters(rng: random.Random, year: int, pid: str) -> list[dict[str, Any]]:
    """1-4 inpatient encounters in date order within `year`, costs in whole fen."""
    n = rng.randint(1, 4)
    days = sorted(rng.sample(range(0, 365), n))
    out = []
    for i, d in enumerate(days, 1):
        total_fen = rng.randint(1_500_00, 120_000_00)
        share = Decimal(rng.randint(70, 98)) / 100
        eligible_fen = int((Decimal(total_fen) * share).to_integral_value())
        out.append({
            "id": f"{pid}-e{i}",
            "date": (dt.date(year, 1, 1) + dt.timedelta(days=d)).isoformat(),
            "type": "inpatient",
            "hospital_level": rng.choice((1, 2, 2, 3, 3)),
            "total_cost": _yuan(total_fen),
            "eligible_cost": _yuan(eligible_fen),
        })
    place = random.Random(f"place:{pid}")  # a stream of its own: the draws above do not move
    for e in out:
        e["in_pooling_area"] = place.random() < 0.95
        e["hospital_admin_level"] = place.choice(ADMIN_BY_LEVEL[e["hospital_level"]])
    return out


ADMIN_BY_LEVEL = {1: ("township", "township", "county"), 2: ("county", "county", "county", "municipal"),
                  3: ("county", "municipal", "municipal", "provincial")}  # the hospital's administrative level, by level
AGE_RANGE = {"guer": (0, 17), "kunnan_daxuesheng": (17, 22)}  # years of age on 1 January; others 0-89


def _birth_date(seed: int, pid: str, year: int, group: tuple[str, ...]) -> str:
    """A birth date for the person, from its own seeded stream (the population's other draws are unchanged)."""
    rng = random.Random(f"{seed}:{pid}")
    lo = max([AGE_RANGE[c][0] for c in group if c in AGE_RANGE], default=0)
    hi = max(lo, min([AGE_RANGE[c][1] for c in group if c in AGE_RANGE], default=89))
    return (dt.date(year, 1, 1) - dt.timedelta(days=rng.randint(lo * 366, hi * 365 + 364))).isoformat()


def generate(seed: int = SEED, per_cell: int = PER_CELL) -> list[dict[str, Any]]:
    """The population as case dicts in the contract's case format, in a fixed order."""
    rng = random.Random(seed)
    persons = []
    for group in _groups(rng):
        for year in YEARS:
            for k in range(per_cell):
                pid = f"syn-{year}-{'+'.join(group) or 'ordinary'}-{k + 1}"
                persons.append({
                    "person": {"id": pid, "region": REGION, "scheme": "resident",
                               "contribution_tier": rng.choice((1, 2)), "categories": list(group),
                               "birth_date": _birth_date(seed, pid, year, group)},
                    "encounters": _encounters(rng, year, pid),
                })
    return persons


def group_of(case: dict[str, Any]) -> str:
    """The category group a synthetic person is counted under ('ordinary' when none)."""
    cats = [c if isinstance(c, str) else c["id"] for c in case["person"].get("categories", [])]
    return "+".join(sorted(cats)) or "ordinary"
