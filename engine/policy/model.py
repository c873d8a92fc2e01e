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
    age_below: int | None = None
    in_pooling_area: bool | None = None           # only care inside (True) or outside (False, 异地就医) the pooling area
    hospital_admin_levels: tuple[str, ...] = ()   # only at hospitals of these administrative levels (e.g. county: 区县级)

    def overlaps(self, other: "Who") -> bool:
        """True if some person and encounter could match both."""
        for a, b in (
            (self.categories, other.categories),
            (self.schemes, other.schemes),
            (self.encounter_types, other.encounter_types),
            (self.hospital_levels, other.hospital_levels),
            (self.contribution_tiers, other.contribution_tiers),
            (self.hospital_admin_levels, other.hospital_admin_levels),
        ):
            if a and b and not set(a) & set(b):
                return False
        if None not in (self.in_pooling_area, other.in_pooling_area) and self.in_pooling_area != other.in_pooling_area:
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


STEP_ROLES = ("deductible", "rate", "share_limit", "ceiling", "annual_cap")


@dataclass(frozen=True)
class PayStep:
    """One declared payment step (a fund): its place in the order of payment, who it reaches and its arithmetic."""

    doc_id: str
    doc_version: str
    id: str
    name: dict[str, str]
    order: int
    clause: str
    who: Who
    period: Period
    base: str            # in_scope | out_of_scope | self_pay
    accumulation: str    # encounter | year
    deductible: str      # none | encounter | year
    rate: str | None     # flat | marginal | None (ceiling form)
    share_limit: bool
    ceiling: bool
    annual_cap: bool
    required: bool
    waiting_period: bool
    where: str | None
    admin_levels: tuple[str, ...]
    names: tuple[tuple[str, str], ...]   # (role, parameter name pattern) for the roles the step uses
    provenance: Provenance
    jurisdiction: str
    loc: tuple = ()

    @property
    def key(self) -> str:
        """The citation key DOC-ID#STEP-ID."""
        return f"{self.doc_id}#{self.id}"

    @property
    def kind(self) -> tuple:
        """The arithmetic (everything the kernel needs besides figures); equal for every declaration of one id."""
        return (self.base, self.accumulation, self.deductible, self.rate, self.share_limit, self.ceiling,
                self.annual_cap, self.waiting_period)

    def parameter(self, role: str, encounter_type: str | None) -> str:
        """The parameter name of a role for an encounter type."""
        return dict(self.names)[role].replace("{type}", encounter_type or "inpatient")


def step_roles(raw: dict[str, Any]) -> list[str]:
    """The roles (figures) a step declaration uses, in the order they are resolved."""
    roles = []
    if raw.get("deductible", "none") != "none":
        roles.append("deductible")
    roles.append("ceiling" if raw.get("ceiling") else "rate")
    if raw.get("share_limit"):
        roles.append("share_limit")
    if raw.get("annual_cap"):
        roles.append("annual_cap")
    return roles


def build_step(raw: dict[str, Any], doc: "Document", i: int) -> PayStep:
    """A PayStep from a declaration that passed the schema."""
    w = raw.get("who", {})
    eff = raw.get("effective")
    period = Period(as_date(eff["from"]), as_date(eff.get("until"))) if eff else doc.period
    given = raw.get("parameters", {})
    names = tuple((role, given.get(role, f"{raw['id']}.{role}")) for role in step_roles(raw))
    return PayStep(
        doc.id, doc.version, raw["id"], raw["name"], int(raw["order"]), raw["clause"],
        Who(tuple(w.get("categories", ())), tuple(w.get("schemes", ())), tuple(w.get("encounter_types", ())),
            tuple(w.get("hospital_levels", ())), tuple(w.get("contribution_tiers", ())), w.get("age_below"),
            w.get("in_pooling_area"), tuple(w.get("hospital_admin_levels", ()))),
        period, raw["base"], raw["accumulation"], raw.get("deductible", "none"),
        None if raw.get("ceiling") else raw["rate"], bool(raw.get("share_limit")), bool(raw.get("ceiling")),
        bool(raw.get("annual_cap")), bool(raw.get("required")), bool(raw.get("waiting_period")),
        raw.get("where"), tuple(raw.get("hospital_admin_levels", ())), names, _prov(raw["provenance"], {x["id"]: x["kind"] for x in doc.raw.get("sources", [])}),
        doc.jurisdiction, ("steps", i),
    )


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
    steps: list["PayStep"] = field(default_factory=list)

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
                    tuple(w.get("contribution_tiers", ())), w.get("age_below"), w.get("in_pooling_area"),
                    tuple(w.get("hospital_admin_levels", ()))),
                rp, r["parameter"], effect, value,
                tuple(r.get("implements", ())), tuple(r.get("stacks_with", ())),
                _prov(r["provenance"], kinds), doc.jurisdiction, r.get("note"), ("rules", i),
            )
        )
    for i, st in enumerate(raw.get("steps", [])):
        doc.steps.append(build_step(st, doc, i))
    for i, d in enumerate(raw.get("reference_data", [])):
        doc.data.append(Datum(doc.id, d["id"], d["series"], str(d["region"]), int(d["year"]),
                              dec(d["value"]), _prov(d["provenance"], kinds), ("reference_data", i)))
    return doc
