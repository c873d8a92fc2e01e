"""Read and check a case: one person, one calendar year of encounters."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from engine.policy import schemas
from engine.policy.load import Loaded, NotPlain, file_text, load_text, plain_json
from engine.policy.model import Period, as_date, dec
from engine.core.limits import number_problem
from engine.core.messages import Text
from engine.core.problems import InputError, Problem
from engine.core.registry import canonical_region


class Encounter(NamedTuple):
    """One encounter of the case (a named tuple: made 4x faster than a frozen dataclass, as immutable)."""

    id: str
    date: dt.date
    type: str
    hospital_level: int
    total_cost: Decimal
    eligible_cost: Decimal
    out_of_catalogue_cost: Decimal | None = None
    in_pooling_area: bool | None = None
    admin_level: str | None = None


@dataclass(frozen=True)
class Enrolment:
    """Enrolment facts for waiting periods."""

    coverage_start: dt.date
    late: bool
    lapsed_years: int
    repaid_years: int


@dataclass(frozen=True)
class Case:
    """A checked case."""

    person_id: str
    region: str
    scheme: str
    tier: int | None
    categories: tuple[tuple[str, Period], ...]
    encounters: tuple[Encounter, ...]
    enrolment: Enrolment | None
    year: int
    birth_date: dt.date | None = None

    def age_on(self, day: dt.date) -> int:
        """Whole years of age on `day` (UNKNOWN_AGE when the case gives no birth date)."""
        b = self.birth_date
        if b is None:
            return -1
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    def categories_on(self, day: dt.date) -> frozenset[str]:
        """Categories held on `day`."""
        return frozenset(c for c, p in self.categories if p.contains(day))


def read_case(path: str | Path) -> Case:
    """Load and check a case file (YAML or JSON), or raise InputError naming every problem."""
    text, problems = file_text(path)
    if text is None:
        return check_loaded(None, problems)
    return parse_case(text, str(path))


def parse_case(text: str, name: str = "<case>") -> Case:
    """Check a case given as text: plain JSON read fast, anything else (or any problem) by the loader, with positions."""
    try:
        data = plain_json(text, closed=True)  # schema/case.schema.json is closed at every level (tests/test_single_case_paths.py)
    except (NotPlain, ValueError):  # not plain JSON (YAML, or a refusal only the loader words well)
        data = None
    if isinstance(data, dict):
        try:
            return case_from_data(data, name, dates=False)
        except (InputError, RecursionError):  # RecursionError: data nested ~980 deep, which jsonschema cannot even describe
            pass  # read again by the loader, for the lines and columns of every problem (and its depth limit)
    loaded, problems = load_text(text, name)
    return check_loaded(loaded, problems)


def case_from_data(data: dict[str, Any], name: str = "<case>", dates: bool = True) -> Case:
    """Check a case given as plain data (as produced by tests or batch code); `dates=False`: it holds no date objects (JSON)."""
    loaded = Loaded(name, data, {})
    return check_loaded(loaded, [], dates)


def check_loaded(loaded: Loaded | None, problems: list[Problem], dates: bool = True) -> Case:
    """A Case from a loaded document and the loader's problems, or InputError listing every problem."""
    if loaded is not None and not problems:
        if not isinstance(loaded.data, dict):
            problems = [loaded.problem((), Text("case.mapping"))]
        else:
            problems = schemas.check(loaded, "case", dates)
    if loaded is not None and not problems:
        case, problems = _semantic(loaded)
        if not problems:
            return case
    raise InputError(Text("case.bad"), sorted(problems))


CENT = Decimal("0.01")
MONEY_FIELDS = ("total_cost", "eligible_cost", "out_of_catalogue_cost")
_PLAIN_MONEY = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?")  # yuan, at most two decimals, below 10^13: no limit reached


def _semantic(loaded: Loaded) -> tuple[Case | None, list[Problem]]:
    d = loaded.data
    out: list[Problem] = []
    p = d["person"]
    region = canonical_region(p["region"])
    if region is None:
        out.append(loaded.problem(("person", "region"), Text("case.unknown_region", value=p["region"])))
    cats = []
    for i, c in enumerate(p.get("categories", [])):
        if isinstance(c, str):
            cats.append((c, Period(dt.date.min)))
            continue
        start, end = as_date(c.get("from")) or dt.date.min, as_date(c.get("until"))
        if end is not None and end <= start:
            out.append(loaded.problem(("person", "categories", i, "until"), Text("case.until_before_from", end=end, start=start)))
        cats.append((c["id"], Period(start, end)))
    encs = []
    for i, e in enumerate(d["encounters"]):
        money: dict[str, Decimal] = {}
        cents: dict[str, Decimal] = {}  # the same, to the fen
        bad = False
        for key in MONEY_FIELDS:
            if key not in e:
                continue
            raw = e[key]
            if type(raw) is str and _PLAIN_MONEY.fullmatch(raw):  # the usual form: within every limit, nothing to check
                money[key] = cents[key] = Decimal(raw).quantize(CENT)
                continue
            b = number_problem(raw)
            if b:
                out.append(loaded.problem(("encounters", i, key), Text(b[0], **b[1])))
                bad = True
                continue
            v = dec(raw)
            if v < 0:
                out.append(loaded.problem(("encounters", i, key), Text("case.negative", field=key, value=v)))
            q = cents[key] = v.quantize(CENT)
            if v != q:
                out.append(loaded.problem(("encounters", i, key), Text("case.decimals", field=key, value=v)))
            money[key] = v  # as given, for the messages below
        if bad:
            continue
        total, eligible = money["total_cost"], money["eligible_cost"]
        if eligible > total:
            out.append(loaded.problem(("encounters", i, "eligible_cost"), Text("case.eligible_above_total", eligible=eligible, total=total)))
        ooc = money.get("out_of_catalogue_cost")
        if ooc is not None and eligible + ooc > total:
            out.append(loaded.problem(("encounters", i, "out_of_catalogue_cost"), Text("batch.parts_above_total", eligible=eligible, outside=ooc, total=total)))
        encs.append(Encounter(e["id"], as_date(e["date"]), e["type"], int(e["hospital_level"]), cents["total_cost"],
                              cents["eligible_cost"], cents.get("out_of_catalogue_cost"), e.get("in_pooling_area"), e.get("hospital_admin_level")))
    seen: set[str] = set()
    for i, enc in enumerate(encs):
        if enc.id in seen:
            out.append(loaded.problem(("encounters", i, "id"), Text("case.duplicate_encounter", id=enc.id)))
        seen.add(enc.id)
    years = sorted({e.date.year for e in encs})
    if len(years) > 1:
        i = next(i for i, e in enumerate(encs) if e.date.year != encs[0].date.year)
        out.append(loaded.problem(("encounters", i, "date"), Text("case.years", n=len(years), years=", ".join(map(str, years)))))
    enr = p.get("enrolment")
    enrolment = None
    if enr is not None:
        enrolment = Enrolment(as_date(enr["coverage_start"]), bool(enr.get("late", False)),
                              int(enr.get("lapsed_years", 0)), int(enr.get("repaid_years", 0)))
    if out:
        return None, out
    encs.sort(key=lambda e: e.date)  # stable: same-day encounters keep file order
    case = Case(p["id"], region or "", p["scheme"], p.get("contribution_tier"), tuple(cats), tuple(encs), enrolment, years[0],
                as_date(p.get("birth_date")))
    return case, []
