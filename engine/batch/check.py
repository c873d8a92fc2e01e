"""The claims table's columns and their checks: raw strings to checked Columns, every bad value reported at its line."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

import numpy as np

from engine.batch.model import EPOCH, Columns, years_of
from engine.core.problems import InputError, Problem
from engine.core.registry import CATEGORIES, ENCOUNTER_TYPES, SCHEMES, canonical_region

REQUIRED = ("person_id", "region", "date", "type", "hospital_level", "total_cost", "eligible_cost")
OPTIONAL = ("encounter_id", "categories", "scheme", "tier", "coverage_start", "late", "lapsed_years", "repaid_years")
CHUNK_ROWS = 200_000
MAX_PROBLEMS = 20
_MONEY = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?")
DEFAULTS = {"categories": "", "scheme": "resident", "tier": "", "coverage_start": "", "late": "", "lapsed_years": "", "repaid_years": ""}


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
        raise InputError(f"{path}:1: header names a column twice: {', '.join(twice)}")
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        raise InputError(f"{path}:1: header lacks column(s) {', '.join(missing)} (required: {', '.join(REQUIRED)})")
    return header


def unsorted(path: Any, line: int, low: str, done_max: str) -> None:
    """Raise: a person id below one already finished in an earlier chunk."""
    raise InputError(f"{path}:{line}: person_id '{low}' comes after person '{done_max}' in an earlier chunk: "
                     "input larger than one chunk must be sorted by person_id (e.g. LC_ALL=C sort)")


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
        raise ValueError(f"unknown region '{s}'")
    return r


def _cats(s: str) -> frozenset[str]:
    items = frozenset(x.strip() for x in re.split(r"[|;,]", s) if x.strip())
    bad = sorted(items - CATEGORIES.keys())
    if bad:
        raise ValueError(f"unknown category '{bad[0]}' (known: {', '.join(CATEGORIES)})")
    return items


def _choice(allowed: Any) -> Callable[[str], str]:
    def check(s: str) -> str:
        v = s.strip()
        if v not in allowed:
            raise ValueError(f"'{s}' is not one of {', '.join(allowed)}")
        return v
    return check


def _day(s: str) -> int:
    return (dt.date.fromisoformat(s.strip()) - EPOCH).days


def _int(lo: int, hi: int, empty: int | None = None) -> Callable[[str], int]:
    def check(s: str) -> int:
        s = s.strip()
        if not s and empty is not None:
            return empty
        if not s.isascii() or len(s) > 20:
            raise ValueError(f"'{s[:20]}{'…' if len(s) > 20 else ''}' is not a whole number in {lo}..{hi}")
        v = int(s)
        if not lo <= v <= hi:
            raise ValueError(f"{v} is not in {lo}..{hi}")
        return v
    return check


def fen_of(s: str) -> int:
    """A yuan amount (digits, at most two decimals) as integer fen; ValueError saying why not."""
    s = s.strip()
    if not _MONEY.fullmatch(s):
        raise ValueError(f"'{s[:40]}{'…' if len(s) > 40 else ''}' is not an amount of yuan with at most two decimals (and not negative)")
    whole, _, frac = s.partition(".")
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)


def _flag(s: str) -> int:
    v = s.strip().lower()
    if v not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ValueError(f"'{s}' is not true/false")
    return int(v in ("1", "true", "yes"))


def checks() -> dict[str, Any]:
    """The check (raw string -> value, ValueError saying why) of every coded column, in reporting order."""
    return {"person_id": str, "region": _region, "categories": _cats, "scheme": _choice(SCHEMES), "type": _choice(ENCOUNTER_TYPES),
            "date": _day, "hospital_level": _int(1, 3), "tier": _int(1, 9, 0),
            "coverage_start": lambda s: _day(s) if s.strip() else -1, "late": _flag,
            "lapsed_years": _int(0, 99, 0), "repaid_years": _int(0, 99, 0)}


class Problems:
    """Bad values in reporting order (column by column, row by row), stopping at MAX_PROBLEMS."""

    def __init__(self, path: str) -> None:
        self.path, self.items = path, []

    def add(self, line: int, field: str, why: str, message: str | None = None) -> None:
        self.items.append(Problem(self.path, int(line), 1, message or f"{field}: {why}", field))
        if len(self.items) >= MAX_PROBLEMS:
            raise InputError(f"{self.path}: bad claims rows (first {MAX_PROBLEMS} shown)", sorted(self.items))

    def raise_any(self) -> None:
        if self.items:
            raise InputError(f"{self.path}: bad claims rows", sorted(self.items))


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
                problems.add(lines[i], name, str(e))
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
                problems.add(lines[i], name, str(e))
        fen[name] = arr
    fen["unread"] = unread
    values = {name: coder.values for name, coder in coders.items()}
    return finish(out, values, fen, cols.get("encounter_id"), np.asarray(lines, dtype=np.int64), "coverage_start" in cols, problems)


def finish(codes: dict[str, np.ndarray], values: dict[str, list], money: dict[str, np.ndarray], encounter_ids: list[str] | None,
           lines: np.ndarray, enrolment: bool, problems: Problems) -> Columns:
    """The checked columns as Columns (both paths end here): eligible <= total, then the person-year checks."""
    n = len(lines)
    path = problems.path
    for i in np.flatnonzero((money["eligible_cost"] > money["total_cost"]) & ~money["unread"]):
        problems.add(lines[i], "eligible_cost", "", f"eligible_cost {fen_str(money['eligible_cost'][i])} is above total_cost {fen_str(money['total_cost'][i])}")
    problems.raise_any()

    def value_of(name: str) -> np.ndarray:
        return np.array(values[name], dtype=np.int64)[codes[name]] if values[name] else np.zeros(n, dtype=np.int64)

    c = Columns(codes["person_id"], values["person_id"], codes["region"], values["region"], codes["categories"],
                values["categories"], codes["scheme"], values["scheme"], value_of("tier"), value_of("date"),
                codes["type"], values["type"], value_of("hospital_level"), money["total_cost"], money["eligible_cost"],
                encounter_ids=encounter_ids, lines=lines)
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
    year = years_of(c.day)
    order = np.lexsort((c.day, year, c.person))
    same = (c.person[order][1:] == c.person[order][:-1]) & (year[order][1:] == year[order][:-1])
    fields = [("region", c.region), ("scheme", c.scheme), ("tier", c.tier)]
    if c.cov_start is not None:
        fields += [("coverage_start", c.cov_start), ("late", c.late), ("lapsed_years", c.lapsed), ("repaid_years", c.repaid)]
    problems = []

    def at(j: int) -> tuple[int, str]:
        i = order[j + 1]
        return int(c.lines[i]) if c.lines is not None else int(i) + 2, c.person_ids[c.person[i]]

    for name, arr in fields:
        for j in np.flatnonzero(same & (arr[order][1:] != arr[order][:-1]))[:5]:
            line, person = at(j)
            problems.append(Problem(path, line, 1, f"{name} differs from the person's other rows in the same year (person {person})", name))
    sameday = same & (c.day[order][1:] == c.day[order][:-1]) & (c.cats[order][1:] != c.cats[order][:-1])
    for j in np.flatnonzero(sameday)[:5]:
        line, person = at(j)
        problems.append(Problem(path, line, 1, f"categories differ between two encounters of person {person} on the same day", "categories"))
    if problems:
        raise InputError(f"{path}: inconsistent person-year rows", sorted(problems)[:MAX_PROBLEMS])
