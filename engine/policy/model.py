"""Typed, immutable view of policy documents after they pass the schema."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.core.registry import KIND_GRADE

EFFECTS = ("set", "scale", "add", "remove_cap", "guardrail")
FAR_FUTURE = dt.date(9999, 12, 31)


def dec(v: Any) -> Decimal:
    """An exact Decimal from a YAML/JSON number or decimal string (never via float)."""
    if isinstance(v, Decimal):
        return v
    if isinstance(v, bool) or isinstance(v, float):
        raise TypeError(f"not an exact decimal: {v!r}")
    return Decimal(str(v))


def as_date(v: Any) -> dt.date | None:
    """A date from a date object or ISO string; None stays None."""
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


@dataclass(frozen=True)
class Period:
    """Half-open period [start, end)."""

    start: dt.date
    end: dt.date | None = None

    def contains(self, day: dt.date) -> bool:
        """True if `day` is in force: on `start`, not on `end`."""
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, other: "Period") -> dt.date | None:
        """First day both periods are in force, or None."""
        first = max(self.start, other.start)
        last = min(self.end or FAR_FUTURE, other.end or FAR_FUTURE)
        return first if first < last else None


@dataclass(frozen=True)
class ShareOf:
    """A value that is `share` x a reference series for the region and (previous) year."""

    series: str
    share: Decimal
    year: str  # previous | current


@dataclass(frozen=True)
class Provenance:
    """Where a figure comes from: its confidence grade, the source it cites, a note and (if inferred) its derivation."""

    grade: str
    source: str | None
    note: str | None
    derivation: str | None = None

    @property
    def verified(self) -> bool:
        """True for a primary figure (the official text or a faithful repost)."""
        return self.grade == "primary"

    @property
    def status(self) -> str:
        """The old two-way flag, kept for readers of earlier results: verified only when primary."""
        return "verified" if self.verified else "unverified"


@dataclass(frozen=True)
class Who:
    """Who a rule applies to; empty tuples mean no restriction."""

    categories: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ()
    encounter_types: tuple[str, ...] = ()
    hospital_levels: tuple[int, ...] = ()
    contribution_tiers: tuple[int, ...] = ()

    def overlaps(self, other: "Who") -> bool:
        """True if some person and encounter could match both."""
        for a, b in (
            (self.categories, other.categories),
            (self.schemes, other.schemes),
            (self.encounter_types, other.encounter_types),
            (self.hospital_levels, other.hospital_levels),
            (self.contribution_tiers, other.contribution_tiers),
        ):
            if a and b and not set(a) & set(b):
                return False
        return True


@dataclass(frozen=True)
class Rule:
    """One encoded clause with one effect on one parameter."""

    doc_id: str
    doc_version: str
    id: str
    clause: str
    quote: dict[str, str]
    who: Who
    period: Period
    parameter: str
    effect: str
    value: Any
    implements: tuple[str, ...]
    stacks_with: tuple[str, ...]
    provenance: Provenance
    jurisdiction: str
    note: str | None = None
    loc: tuple = ()

    @property
    def key(self) -> str:
        """The citation key DOC-ID#RULE-ID."""
        return f"{self.doc_id}#{self.id}"


@dataclass(frozen=True)
class Datum:
    """One reference figure."""

    doc_id: str
    id: str
    series: str
    region: str
    year: int
    value: Decimal
    provenance: Provenance
    loc: tuple = ()


@dataclass
class Document:
    """One policy document file."""

    id: str
    version: str
    path: str
    raw: dict[str, Any]
    jurisdiction: str
    period: Period
    status: str
    rules: list[Rule] = field(default_factory=list)
    data: list[Datum] = field(default_factory=list)

    @property
    def title(self) -> dict[str, str]:
        return self.raw["title"]


def _value(v: Any) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, dict) and "share_of" in v:
        return ShareOf(v["share_of"], dec(v["share"]), v["year"])
    if isinstance(v, dict):
        return {int(k): dec(x) for k, x in v.items()}
    if isinstance(v, list):
        return tuple((dec(b["from"]), dec(b["rate"])) for b in v)
    return dec(v)


def _prov(p: dict[str, Any], kinds: dict[str, str]) -> Provenance:
    """A Provenance; a document in the old form (status verified/unverified) gets the grade its source's kind implies."""
    grade = p.get("grade")
    if grade is None:
        grade = KIND_GRADE.get(kinds.get(p.get("source") or "", ""), "low") if p.get("status") == "verified" else "low"
    return Provenance(grade, p.get("source"), p.get("note"), p.get("derivation"))


def build_document(raw: dict[str, Any], path: str) -> Document:
    """A Document from data that passed the schema."""
    eff = raw["effective"]
    period = Period(as_date(eff["from"]), as_date(eff.get("until")))
    doc = Document(raw["id"], raw["version"], path, raw, raw["jurisdiction"], period, raw["status"])
    kinds = {x["id"]: x["kind"] for x in raw.get("sources", [])}
    for i, r in enumerate(raw.get("rules", [])):
        effect = next(k for k in EFFECTS if k in r)
        w = r.get("who", {})
        reff = r.get("effective")
        rp = Period(as_date(reff["from"]), as_date(reff.get("until"))) if reff else period
        value = r[effect]
        if effect == "set":
            value = _value(value)
        elif effect in ("scale", "add"):
            value = dec(value)
        elif effect == "guardrail":
            value = {
                k: (ShareOf(v["share_of"], dec(v["share"]), v["year"]) if k == "max_share_of" else dec(v))
                for k, v in value.items()
            }
        doc.rules.append(
            Rule(
                doc.id, doc.version, r["id"], r["clause"], r["quote"],
                Who(tuple(w.get("categories", ())), tuple(w.get("schemes", ())),
                    tuple(w.get("encounter_types", ())), tuple(w.get("hospital_levels", ())),
                    tuple(w.get("contribution_tiers", ()))),
                rp, r["parameter"], effect, value,
                tuple(r.get("implements", ())), tuple(r.get("stacks_with", ())),
                _prov(r["provenance"], kinds), doc.jurisdiction, r.get("note"), ("rules", i),
            )
        )
    for i, d in enumerate(raw.get("reference_data", [])):
        doc.data.append(Datum(doc.id, d["id"], d["series"], str(d["region"]), int(d["year"]),
                              dec(d["value"]), _prov(d["provenance"], kinds), ("reference_data", i)))
    return doc
