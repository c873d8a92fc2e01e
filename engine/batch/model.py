"""The batch's data: a chunk of encounters as coded numpy columns, the settled figures, and day-number helpers."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

EPOCH = dt.date(1970, 1, 1)


@dataclass
class Columns:
    """One chunk of encounters as arrays; string-like fields are codes into the lists beside them."""

    person: np.ndarray                 # int64 person code (any order)
    person_ids: list[str]
    region: np.ndarray
    regions: list[str]
    cats: np.ndarray
    cat_sets: list[frozenset[str]]
    scheme: np.ndarray
    schemes: list[str]
    tier: np.ndarray                   # int64, 0 = no tier
    day: np.ndarray                    # int64 days since 1970-01-01
    etype: np.ndarray
    etypes: list[str]
    level: np.ndarray                  # int64 1..3
    total: np.ndarray                  # int64 fen
    eligible: np.ndarray               # int64 fen
    encounter_ids: list[str] | None = None
    cov_start: np.ndarray | None = None  # int64 day, -1 = no enrolment facts
    late: np.ndarray | None = None
    lapsed: np.ndarray | None = None
    repaid: np.ndarray | None = None
    lines: np.ndarray | None = None      # input line of each row, for messages
    ooc: np.ndarray | None = None        # int64 fen out-of-catalogue cost, -1 = not given
    pool: np.ndarray | None = None       # in_pooling_area: 0 not given, 1 inside, 2 outside
    admin: np.ndarray | None = None      # hospital_admin_level: index into check.ADMIN_LEVELS, 0 = not given
    birth: np.ndarray | None = None      # int64 day of birth, -1 = not given

    def __len__(self) -> int:
        return len(self.total)


@dataclass
class Settled:
    """Per-encounter figures (in the input's row order) and per-person-year facts."""

    basic: np.ndarray
    si: np.ndarray
    ma: np.ndarray
    oop: np.ndarray
    warn: np.ndarray          # the year's out-of-pocket is above the threshold after this encounter
    py: np.ndarray            # person-year index of each row
    error: np.ndarray         # int64 index into errors, -1 = settled
    errors: list[str] = field(default_factory=list)
    py_first: np.ndarray | None = None     # row of each person-year's first encounter (date order)
    py_year: np.ndarray | None = None
    py_warning: np.ndarray | None = None   # True / False
    py_undetermined: np.ndarray | None = None  # no warning and no threshold in force at the last encounter
    py_contribution: np.ndarray | None = None  # fen, -1 = not determined
    py_subsidy: np.ndarray | None = None       # fen, -1 = not determined
    py_error: np.ndarray | None = None
    paid: dict[str, np.ndarray] = field(default_factory=dict)  # every payment step's amounts by step id (fen)
    unknown: dict[str, np.ndarray] = field(default_factory=dict)  # per step: not computed for lack of a figure (null)


def day_of(d: dt.date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


def date_of(n: int) -> dt.date:
    """The date of a day number."""
    return EPOCH + dt.timedelta(days=int(n))


def years_of(day: np.ndarray) -> np.ndarray:
    """The calendar year of each day number."""
    return day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def ages(birth: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Whole years of age on each day (-1 where the birth day is -1, not given)."""
    b, d = birth.astype("datetime64[D]"), day.astype("datetime64[D]")
    yb, yd = b.astype("datetime64[Y]").astype(np.int64), d.astype("datetime64[Y]").astype(np.int64)
    mb, md = b.astype("datetime64[M]").astype(np.int64) % 12, d.astype("datetime64[M]").astype(np.int64) % 12
    db, dd = (b - b.astype("datetime64[M]")).astype(np.int64), (d - d.astype("datetime64[M]")).astype(np.int64)
    age = yd - yb - ((md < mb) | ((md == mb) & (dd < db)))
    return np.where(birth < 0, -1, age)
