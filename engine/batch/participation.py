"""Participation and coverage from an enrolment roster: rates against the 99% floor and duplicate enrolments."""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from engine.core.messages import Text, os_reason
from engine.core.problems import InputError, Problem
from engine.core.registry import CATEGORIES, SCHEMES, canonical_region

# Seed 003 (NHSA, MCA, MOF, NHC, rural-revitalisation bureau; reported 2023-01-03) and the domain brief, section 5:
# participation of the rural low-income population and the lifted-out-of-poverty population "at least 99%" in every
# pooling area. A national target, not a rule parameter, so it is a constant here.
PARTICIPATION_FLOOR = Decimal("0.99")
ALL = "all"
ROSTER = ("person_id", "id_hash", "region", "scheme", "categories", "enrolled_from", "enrolled_until")


@dataclass(frozen=True)
class Enrolment:
    """One roster row: a person's enrolment in a region and scheme over [start, end) (end None = continuing)."""

    line: int
    person: str
    id_hash: str
    region: str
    scheme: str
    categories: frozenset[str]
    start: dt.date | None
    end: dt.date | None

    def on(self, day: dt.date) -> bool:
        """Enrolled on `day`."""
        return self.start is not None and self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, other: "Enrolment") -> bool:
        """The two enrolment periods share a day."""
        if self.start is None or other.start is None:
            return False
        a_end, b_end = self.end or dt.date.max, other.end or dt.date.max
        return self.start < b_end and other.start < a_end


def _date(s: str, path: str, line: int, name: str, problems: list[Problem]) -> dt.date | None:
    s = s.strip()
    if not s:
        return None
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        problems.append(Problem(path, line, 1, Text("batch.field", field=name, why=Text("batch.not_date", value=s)), name))
        return None


def read_roster(path: str | Path) -> list[Enrolment]:
    """Rows of the roster CSV; a row without enrolled_from is a person of the target population not enrolled."""
    path = str(path)
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as e:
        raise InputError(Text("file.cannot_read_at", path=path, why=os_reason(e))) from None
    out: list[Enrolment] = []
    problems: list[Problem] = []
    with fh:
        rd = csv.DictReader(fh)
        missing = [c for c in ROSTER if c not in (rd.fieldnames or [])]
        if missing:
            raise InputError(Text("batch.header_lacks", path=path, names=", ".join(missing), required=", ".join(ROSTER)))
        for i, r in enumerate(rd, start=2):
            region = canonical_region((r["region"] or "").strip())
            if region is None:
                problems.append(Problem(path, i, 1, Text("batch.field", field="region", why=Text("batch.unknown_region", value=r["region"])), "region"))
            scheme = (r["scheme"] or "").strip()
            if scheme not in SCHEMES:
                problems.append(Problem(path, i, 1, Text("batch.field", field="scheme", why=Text("batch.not_one_of", value=scheme, allowed=", ".join(SCHEMES))), "scheme"))
            cats = frozenset(x.strip() for x in (r["categories"] or "").replace(";", "|").split("|") if x.strip())
            for c in sorted(cats - CATEGORIES.keys()):
                problems.append(Problem(path, i, 1, Text("batch.field", field="categories", why=Text("batch.unknown_category", value=c, known=", ".join(CATEGORIES))), "categories"))
            if not (r["id_hash"] or "").strip():
                problems.append(Problem(path, i, 1, Text("batch.field", field="id_hash", why=Text("roster.empty_id")), "id_hash"))
            start = _date(r["enrolled_from"] or "", path, i, "enrolled_from", problems)
            end = _date(r["enrolled_until"] or "", path, i, "enrolled_until", problems)
            if start and end and end <= start:
                problems.append(Problem(path, i, 1, Text("roster.until_before_from", end=end, start=start), "enrolled_until"))
            if len(problems) >= 20:
                break
            out.append(Enrolment(i, r["person_id"].strip(), r["id_hash"].strip(), region or "", scheme, cats, start, end))
    if problems:
        raise InputError(Text("roster.bad_rows", path=path), problems[:20])
    return out


def read_population(path: str | Path) -> dict[tuple[str, str], int]:
    """Population denominators: CSV with region, category ('all' or empty for everyone) and population."""
    out: dict[tuple[str, str], int] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            for i, r in enumerate(csv.DictReader(fh), start=2):
                region = canonical_region((r.get("region") or "").strip())
                cat = (r.get("category") or "").strip() or ALL
                try:
                    n = int((r.get("population") or "").strip())
                except ValueError:
                    n = -1
                if region is None or (cat != ALL and cat not in CATEGORIES) or n < 0:
                    raise InputError(Text("roster.population_row", path=path, line=i))
                out[(region, cat)] = n
    except OSError as e:
        raise InputError(Text("file.cannot_read_at", path=path, why=os_reason(e))) from None
    return out


def kept(group: list[Enrolment]) -> Enrolment:
    """Of overlapping enrolments, the one the rules keep: the earliest started; on a tie the continuing (latest-ending) one, then the first row."""
    return min(group, key=lambda e: (e.start, -(e.end or dt.date.max).toordinal(), e.line))


def duplicates(rows: list[Enrolment]) -> list[dict[str, Any]]:
    """Persons (same id hash) with overlapping enrolments in another region or scheme, or twice in the same."""
    by: dict[str, list[Enrolment]] = {}
    for e in rows:
        if e.start is not None:
            by.setdefault(e.id_hash, []).append(e)
    out = []
    for h, es in by.items():
        if len(es) < 2:
            continue
        es.sort(key=lambda e: (e.start, e.line))
        clash = [e for e in es if any(o is not e and e.overlaps(o) for o in es)]
        if not clash:
            continue
        keep = kept(clash)
        kinds = sorted({"region" if o.region != keep.region else "scheme" if o.scheme != keep.scheme else "same region and scheme"
                        for o in clash if o is not keep})
        out.append({"id_hash": h, "kinds": kinds, "keep": _enr(keep), "drop": [_enr(o) for o in clash if o is not keep]})
    return out


def _enr(e: Enrolment) -> dict[str, Any]:
    return {"line": e.line, "person_id": e.person, "region": e.region, "scheme": e.scheme, "from": e.start.isoformat() if e.start else None,
            "until": e.end.isoformat() if e.end else None}


def rates(rows: list[Enrolment], day: dt.date, population: dict[tuple[str, str], int] | None) -> list[dict[str, Any]]:
    """Participation by pooling area and category on `day`: distinct persons enrolled over the population."""
    enrolled: dict[tuple[str, str], set[str]] = {}
    target: dict[tuple[str, str], set[str]] = {}
    for e in rows:
        for cat in (ALL, *e.categories):
            target.setdefault((e.region, cat), set()).add(e.id_hash)
            if e.on(day):
                enrolled.setdefault((e.region, cat), set()).add(e.id_hash)
    keys = sorted(set(target) | set(population or {}))
    out = []
    for k in keys:
        n = len(enrolled.get(k, ()))
        pop = population.get(k) if population is not None else len(target.get(k, ()))
        rate = None if not pop else (Decimal(n) / Decimal(pop)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        out.append({"region": k[0], "category": k[1], "enrolled": n, "population": pop, "rate": None if rate is None else str(rate),
                    "below_floor": rate is not None and Decimal(n) / Decimal(pop) < PARTICIPATION_FLOOR})
    return out
