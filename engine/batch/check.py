"""The claims table's columns and their checks: raw strings to checked Columns, every bad value reported at its line."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

import numpy as np

from engine.batch.model import EPOCH, NO_DAY, Columns, years_of
from engine.core.messages import Text
from engine.core.problems import InputError, Problem
from engine.core.registry import CATEGORIES, ENCOUNTER_TYPES, SCHEMES, canonical_region

REQUIRED = ("person_id", "region", "date", "type", "hospital_level", "total_cost", "eligible_cost")
OPTIONAL = ("encounter_id", "categories", "scheme", "tier", "coverage_start", "late", "lapsed_years", "repaid_years",
            "out_of_catalogue_cost", "in_pooling_area", "hospital_admin_level", "birth_date")
ADMIN_LEVELS = ("", "township", "county", "municipal", "provincial")  # code 0: not given
CHUNK_ROWS = 200_000
MAX_PROBLEMS = 20
_MONEY = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?")
DEFAULTS = {"categories": "", "scheme": "resident", "tier": "", "coverage_start": "", "late": "", "lapsed_years": "", "repaid_years": "",
            "in_pooling_area": "", "hospital_admin_level": "", "birth_date": ""}


def fen_str(v: int) -> str:
    """An integer fen amount as a two-decimal yuan string."""
    sign = "-" if v < 0 else ""
    v = abs(int(v))
    return f"{sign}{v // 100}.{v % 100:02d}"


def header_columns(header: list[str], path: Any) -> list[str]:
    """The header's names stripped; InputError naming the required columns it lacks."""
    header = [h.strip() for h in header]
    twice = sorted(h for h in set(header) if header.count(h) > 1)
    if twice:
        raise InputError(Text("batch.header_twice", path=path, names=", ".join(twice)))
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        raise InputError(Text("batch.header_lacks", path=path, names=", ".join(missing), required=", ".join(REQUIRED)))
    return header


def unsorted(path: Any, line: int, low: str, done_max: str) -> None:
    """Raise: a person id below one already finished in an earlier chunk."""
    raise InputError(Text("batch.unsorted", path=path, line=line, low=low, high=done_max))


class Coder:
    """Codes for distinct values, checked once each."""

    def __init__(self, check: Callable[[str], Any]) -> None:
        self.check, self.codes, self.values = check, {}, []

    def __call__(self, raw: str) -> int:
        c = self.codes.get(raw)
        if c is None:
            self.values.append(self.check(raw))
            c = self.codes[raw] = len(self.values) - 1
        return c


def _region(s: str) -> str:
    r = canonical_region(s.strip())
    if r is None:
        raise ValueError(Text("batch.unknown_region", value=s))
    return r


def _cats(s: str) -> frozenset[str]:
    items = frozenset(x.strip() for x in re.split(r"[|;,]", s) if x.strip())
    bad = sorted(items - CATEGORIES.keys())
    if bad:
        raise ValueError(Text("batch.unknown_category", value=bad[0], known=", ".join(CATEGORIES)))
    return items


def _choice(allowed: Any) -> Callable[[str], str]:
    def check(s: str) -> str:
        v = s.strip()
        if v not in allowed:
            raise ValueError(Text("batch.not_one_of", value=s, allowed=", ".join(allowed)))
        return v
    return check


def _day(s: str) -> int:
    try:
        return (dt.date.fromisoformat(s.strip()) - EPOCH).days
    except ValueError:
        raise ValueError(Text("batch.not_date", value=s)) from None


def why_of(e: ValueError) -> str:
    """A check's reason, kept as a catalogue Text when it is one."""
    return e.args[0] if e.args and isinstance(e.args[0], str) else str(e)


def _int(lo: int, hi: int, empty: int | None = None) -> Callable[[str], int]:
    def check(s: str) -> int:
        s = s.strip()
        if not s and empty is not None:
            return empty
        if not s.isascii() or len(s) > 20:
            raise ValueError(Text("batch.not_whole", value=s[:20] + ("…" if len(s) > 20 else "")))
        v = int(s)
        if not lo <= v <= hi:
            raise ValueError(Text("batch.not_in_range", value=v, lo=lo, hi=hi))
        return v
    return check


def fen_of(s: str) -> int:
    """A yuan amount (digits, at most two decimals) as integer fen; ValueError saying why not."""
    s = s.strip()
    if not _MONEY.fullmatch(s):
        raise ValueError(Text("batch.not_money", value=s[:40] + ("…" if len(s) > 40 else "")))
    whole, _, frac = s.partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)


def _flag(s: str) -> int:
    v = s.strip().lower()
    if v not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ValueError(Text("batch.not_flag", value=s))
    return int(v in ("1", "true", "yes"))


def _pool(s: str) -> int:
    """in_pooling_area: 0 not given, 1 inside, 2 outside (异地)."""
    v = s.strip().lower()
    if v not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ValueError(f"'{s}' is not true/false")
    return 0 if not v else (1 if v in ("1", "true", "yes") else 2)


def _admin(s: str) -> int:
    v = s.strip()
    if v not in ADMIN_LEVELS:
        raise ValueError(f"'{s}' is not one of {', '.join(ADMIN_LEVELS[1:])}")
    return ADMIN_LEVELS.index(v)


def checks() -> dict[str, Any]:
    """The check (raw string -> value, ValueError saying why) of every coded column, in reporting order."""
    return {"person_id": str, "region": _region, "categories": _cats, "scheme": _choice(SCHEMES), "type": _choice(ENCOUNTER_TYPES),
            "date": _day, "hospital_level": _int(1, 3), "tier": _int(1, 9, 0),
            "coverage_start": lambda s: _day(s) if s.strip() else NO_DAY, "late": _flag,
            "lapsed_years": _int(0, 99, 0), "repaid_years": _int(0, 99, 0), "in_pooling_area": _pool, "hospital_admin_level": _admin,
            "birth_date": lambda s: _day(s) if s.strip() else NO_DAY}


class Problems:
    """Bad values in reporting order (column by column, row by row), stopping at MAX_PROBLEMS."""

    def __init__(self, path: str) -> None:
        self.path, self.items = path, []

    def add(self, line: int, field: str, why: str, message: str | None = None) -> None:
        self.items.append(Problem(self.path, int(line), 1, message or Text("batch.field", field=field, why=why), field))
        if len(self.items) >= MAX_PROBLEMS:
            raise InputError(Text("batch.bad_rows_first", path=self.path, n=MAX_PROBLEMS), sorted(self.items))

    def raise_any(self) -> None:
        if self.items:
            raise InputError(Text("batch.bad_rows", path=self.path), sorted(self.items))


def to_columns(cols: dict[str, list[str]], lines: Any, path: str = "<claims>") -> Columns:
    """Check and convert string columns row by row; every bad value is reported as PATH:LINE: field and why."""
    n = len(lines)
    problems = Problems(path)
    coders = {name: Coder(check) for name, check in checks().items()}
    out: dict[str, np.ndarray] = {}
    for name, coder in coders.items():
        vals = cols.get(name) or [DEFAULTS[name]] * n
        codes = np.empty(n, dtype=np.int64)
        for i, v in enumerate(vals):
            try:
                codes[i] = coder(v)
            except ValueError as e:
                codes[i] = 0
                problems.add(lines[i], name, why_of(e))
        out[name] = codes
    fen = {}
    unread = np.zeros(n, dtype=bool)
    for name in ("total_cost", "eligible_cost"):
        arr = np.empty(n, dtype=np.int64)
        for i, v in enumerate(cols[name]):
            try:
                arr[i] = fen_of(v)
            except ValueError as e:
                arr[i], unread[i] = 0, True
                problems.add(lines[i], name, why_of(e))
        fen[name] = arr
    if "out_of_catalogue_cost" in cols:  # optional: empty = not given (-1)
        arr = np.full(n, -1, dtype=np.int64)
        for i, v in enumerate(cols["out_of_catalogue_cost"]):
            try:
                arr[i] = fen_of(v) if v.strip() else -1
            except ValueError as e:
                unread[i] = True
                problems.add(lines[i], "out_of_catalogue_cost", why_of(e))
        fen["out_of_catalogue_cost"] = arr
    fen["unread"] = unread
    values = {name: coder.values for name, coder in coders.items()}
    return finish(out, values, fen, cols.get("encounter_id"), np.asarray(lines, dtype=np.int64), "coverage_start" in cols, problems)


def finish(codes: dict[str, np.ndarray], values: dict[str, list], money: dict[str, np.ndarray], encounter_ids: list[str] | None,
           lines: np.ndarray, enrolment: bool, problems: Problems) -> Columns:
    """The checked columns as Columns (both paths end here): eligible <= total, then the person-year checks."""
    n = len(lines)
    path = problems.path
    for i in np.flatnonzero((money["eligible_cost"] > money["total_cost"]) & ~money["unread"]):
        problems.add(lines[i], "eligible_cost", "", Text("batch.eligible_above_total", eligible=fen_str(money["eligible_cost"][i]), total=fen_str(money["total_cost"][i])))
    ooc = money.get("out_of_catalogue_cost")
    if ooc is not None:
        for i in np.flatnonzero((ooc >= 0) & (money["eligible_cost"] + ooc > money["total_cost"]) & ~money["unread"]):
            problems.add(lines[i], "out_of_catalogue_cost", "", Text("batch.parts_above_total", eligible=fen_str(money["eligible_cost"][i]),
                                                                     outside=fen_str(ooc[i]), total=fen_str(money["total_cost"][i])))
    problems.raise_any()

    def value_of(name: str) -> np.ndarray:
        return np.array(values[name], dtype=np.int64)[codes[name]] if len(values[name]) else np.zeros(n, dtype=np.int64)

    c = Columns(codes["person_id"], values["person_id"], codes["region"], values["region"], codes["categories"],
                values["categories"], codes["scheme"], values["scheme"], value_of("tier"), value_of("date"),
                codes["type"], values["type"], value_of("hospital_level"), money["total_cost"], money["eligible_cost"],
                encounter_ids=encounter_ids, lines=lines, ooc=ooc)
    c.pool, c.admin, c.birth = value_of("in_pooling_area"), value_of("hospital_admin_level"), value_of("birth_date")
    if enrolment:
        c.cov_start, c.late = value_of("coverage_start"), value_of("late").astype(bool)
        c.lapsed, c.repaid = value_of("lapsed_years"), value_of("repaid_years")
    check_person_years(c, path)
    return c


def check_person_years(c: Columns, path: str) -> None:
    """Within a person-year: one region, scheme, tier and enrolment; one category set per day."""
    n = len(c)
    if n < 2:
        return
    lo = int(c.day.min())
    year = years_of(np.arange(lo, int(c.day.max()) + 1, dtype=np.int64))[c.day - lo]  # each day's year, looked up
    order = _person_day_order(c.person, c.day)
    ordered = order is None  # rows already by person and date: compared where they are
    order = np.arange(n) if ordered else order

    def by(arr: np.ndarray) -> np.ndarray:
        return arr if ordered else arr[order]

    same = (by(c.person)[1:] == by(c.person)[:-1]) & (by(year)[1:] == by(year)[:-1])
    fields = [("region", c.region), ("scheme", c.scheme), ("tier", c.tier)]
    if c.birth is not None:
        fields.append(("birth_date", c.birth))
    if c.cov_start is not None:
        fields += [("coverage_start", c.cov_start), ("late", c.late), ("lapsed_years", c.lapsed), ("repaid_years", c.repaid)]
    problems = []

    def at(j: int) -> tuple[int, str]:
        i = order[j + 1]
        return int(c.lines[i]) if c.lines is not None else int(i) + 2, c.person_ids[c.person[i]]

    for name, arr in fields:
        for j in np.flatnonzero(same & (by(arr)[1:] != by(arr)[:-1]))[:5]:
            line, person = at(j)
            problems.append(Problem(path, line, 1, Text("batch.differs", field=name, person=person), name))
    sameday = same & (by(c.day)[1:] == by(c.day)[:-1]) & (by(c.cats)[1:] != by(c.cats)[:-1])
    for j in np.flatnonzero(sameday)[:5]:
        line, person = at(j)
        problems.append(Problem(path, line, 1, Text("batch.categories_same_day", person=person), "categories"))
    if problems:
        raise InputError(Text("batch.inconsistent", path=path), sorted(problems)[:MAX_PROBLEMS])


def _person_day_order(person: np.ndarray, day: np.ndarray) -> np.ndarray | None:
    """Rows by person, then date (the year follows the date), same-day rows in input order; None when already so."""
    lo, span = int(day.min()), int(day.max()) - int(day.min()) + 1
    if int(person.max()) < (1 << 62) // span:
        key = person * span + (day - lo)
        if (key[1:] >= key[:-1]).all():
            return None
        return np.argsort(key, kind="stable")
    return np.lexsort((day, person))
