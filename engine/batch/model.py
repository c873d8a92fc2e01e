"""The batch's data: a chunk of encounters as coded numpy columns, the settled figures, and day-number helpers."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

EPOCH = dt.date(1970, 1, 1)
NO_DAY = -(1 << 31)  # a date not given (birth date, coverage start); any real day, before 1970 too, is far above it


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
    cov_start: np.ndarray | None = None  # int64 day, NO_DAY = no enrolment facts
    late: np.ndarray | None = None
    lapsed: np.ndarray | None = None
    repaid: np.ndarray | None = None
    lines: np.ndarray | None = None      # input line of each row, for messages
    ooc: np.ndarray | None = None        # int64 fen out-of-catalogue cost, -1 = not given
    pool: np.ndarray | None = None       # in_pooling_area: 0 not given, 1 inside, 2 outside
    admin: np.ndarray | None = None      # hospital_admin_level: index into check.ADMIN_LEVELS, 0 = not given
    birth: np.ndarray | None = None      # int64 day of birth, NO_DAY = not given

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


def _span_ok(lo: int, hi: int, n: int) -> bool:
    return hi - lo <= max(4 * n, 1 << 16)


def _years(day: np.ndarray) -> np.ndarray:
    return day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _month_day(day: np.ndarray) -> np.ndarray:
    """month (0-11) x 32 + day of month (0-30): orders the days of a year."""
    d = day.astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    return (m.astype(np.int64) % 12) * 32 + (d - m).astype(np.int64)


def years_of(day: np.ndarray) -> np.ndarray:
    """The calendar year of each day number."""
    if not len(day):
        return _years(day)
    lo, hi = int(day.min()), int(day.max())
    if not _span_ok(lo, hi, len(day)):
        return _years(day)
    return _years(np.arange(lo, hi + 1, dtype=np.int64))[day - lo]  # one look-up per row in a table of the days spanned


def _parts(day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Year and month-day order of each day number (by a table of the days spanned when that is small)."""
    if not len(day):
        return _years(day), _month_day(day)
    lo, hi = int(day.min()), int(day.max())
    if not _span_ok(lo, hi, len(day)):
        return _years(day), _month_day(day)
    span = np.arange(lo, hi + 1, dtype=np.int64)
    at = day - lo
    return _years(span)[at], _month_day(span)[at]


def ages(birth: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Whole years of age on each day (-1 where the birth day is NO_DAY, not given)."""
    given = birth != NO_DAY
    yb, mb = _parts(np.where(given, birth, 0))
    yd, md = _parts(day)
    age = yd - yb - (md < mb)
    return np.where(given, age, -1)


def birthdays(birth: np.ndarray, years: int) -> np.ndarray:
    """The first day on which each birth day is `years` old (as `ages` counts: 29 February's is 1 March in other years)."""
    b = birth.astype("datetime64[D]")
    m = b.astype("datetime64[M]")
    start = (m.astype(np.int64) + 12 * years).astype("datetime64[M]").astype("datetime64[D]")
    return (start + (b - m)).astype(np.int64)


def age_bands(birth: np.ndarray, day: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Per row 1 + the number of `cuts` (ages) reached on `day`; 0 where the birth day is not given (NO_DAY) or after `day`."""
    n = len(birth)
    given = birth != NO_DAY
    birth = np.where(given, birth, 0)
    band = np.ones(n, dtype=np.int64)
    if n and len(cuts):
        lo, hi = int(birth.min()), int(birth.max())
        tabled = _span_ok(lo, hi, n)
        span = np.arange(lo, hi + 1, dtype=np.int64) if tabled else birth
        for cut in cuts.tolist():
            reached = birthdays(span, int(cut))
            band += day >= (reached[birth - lo] if tabled else reached)
    return np.where(~given | (day < birth), 0, band)
