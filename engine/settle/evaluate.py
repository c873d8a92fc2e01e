"""Settle a person-year: basic insurance, serious-illness insurance, medical assistance, premium, monitoring."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.settle.case import Case, Encounter
from engine.policy.model import Rule
from engine.core.money import ZERO, fen, money_str, rate_str
from engine.policy.policyset import PolicySet
from engine.core.problems import InputError, MissingParameter
from engine.core.registry import PARAMETERS
from engine.policy.resolve import Profile, ReferenceMissing, Resolved, as_bands, tier_reaches

TIERS = ("basic_insurance", "serious_illness", "medical_assistance")


@dataclass
class Ledger:
    """What the year has accumulated so far, reset on 1 January."""

    basic_paid: Decimal = ZERO
    si_base: Decimal = ZERO
    si_paid: Decimal = ZERO
    ma_base: Decimal = ZERO
    ma_paid: Decimal = ZERO
    oop: Decimal = ZERO


@dataclass
class Settlement:
    """Everything the interpreter found, before it is turned into the contract's JSON."""

    case: Case
    encounters: list[dict[str, Any]] = field(default_factory=list)
    used: dict[str, Rule] = field(default_factory=dict)
    unverified: dict[tuple, dict[str, str]] = field(default_factory=dict)
    missing: list[dict[str, str]] = field(default_factory=list)
    premium: dict[str, Any] = field(default_factory=dict)
    monitoring: dict[str, Any] = field(default_factory=dict)


class Evaluator:
    """Settles cases under one policy set."""

    def __init__(self, ps: PolicySet) -> None:
        self.ps = ps
        self.res = ps.resolver
        self._seen: dict[int, tuple[dict, dict, list]] = {}

    # -- parameter access -------------------------------------------------
    def param(self, s: Settlement, name: str, prof: Profile, trace: list | None) -> Resolved | None:
        """Resolve a parameter, record provenance and append its steps to the trace."""
        try:
            rv = self.res.resolve(name, prof)
        except ReferenceMissing as e:
            raise missing_reference(name, prof, e) from e
        if rv is None:
            return None
        cached = self._seen.get(id(rv))
        if cached is None:
            cached = self._describe(name, rv)
            self._seen[id(rv)] = cached
        used, unverified, items = cached
        s.used.update(used)
        s.unverified.update(unverified)
        if trace is not None:
            trace.extend(dict(i) for i in items)
        return rv

    def _describe(self, name: str, rv: Resolved) -> tuple[dict, dict, list]:
        """Rules used, unverified values and trace items of one resolved value (computed once per value)."""
        used: dict[str, Rule] = {}
        unverified: dict[tuple, dict[str, str]] = {}
        items = []
        for st in rv.steps:
            r = st.rule
            used[r.key] = r
            if not r.provenance.verified:
                unverified[(name, r.key)] = below_primary(name, r.key, r.provenance, self._source(r.doc_id, r.provenance.source))
            if st.action == "reference":
                datum = st.value
                ref = f"{datum.doc_id}#{datum.id}"
                if not datum.provenance.verified:
                    unverified[(name, ref)] = below_primary(name, ref, datum.provenance, self._source(datum.doc_id, datum.provenance.source))
            items.append(_step(name, st, rv))
        return used, unverified, items

    def _source(self, doc_id: str, source_id: str | None) -> str:
        """The cited source in a few words: title and the address where it was read."""
        for src in self.ps.documents[doc_id].raw.get("sources", []):
            if src["id"] == source_id:
                return f"{src['title']} ({src.get('url') or src.get('reference', '')})"
        return ""

    def need(self, s: Settlement, name: str, prof: Profile, trace: list) -> Any:
        """A parameter the computation cannot do without."""
        rv = self.param(s, name, prof, trace)
        if rv is None or rv.value is None:
            raise MissingParameter(name, describe_person(prof), prof.date.isoformat(), prof.region)
        return rv.value

    def reaches(self, tier: str, prof: Profile) -> bool:
        """True if any rule of the tier (a value or a guardrail) is in force for this person."""
        return tier_reaches(self.res, tier, prof)

    # -- the year --------------------------------------------------------
    def settle(self, case: Case) -> Settlement:
        """Settle every encounter in date order, then the premium and the monitoring."""
        s = Settlement(case)
        ledger = Ledger()
        first_warning = None
        for enc in case.encounters:
            row = self._encounter(s, enc, ledger)
            s.encounters.append(row)
            w = self._warning_check(s, enc, ledger)
            if w and first_warning is None:
                first_warning = w
        s.premium = self._premium(s)
        s.monitoring = self._monitoring(s, ledger, first_warning)
        return s

    def profile(self, case: Case, day: dt.date, enc: Encounter | None = None) -> Profile:
        """The person's facts on `day`."""
        return Profile(case.region, day, case.categories_on(day), case.scheme, case.tier,
                       enc.type if enc else None, enc.hospital_level if enc else None)

    def _encounter(self, s: Settlement, enc: Encounter, led: Ledger) -> dict[str, Any]:
        case = s.case
        prof = self.profile(case, enc.date, enc)
        if not self.res.in_force(prof.region, prof.date):
            raise InputError(f"no policy in the set covers region {case.region} on {enc.date} (encounter {enc.id})")
        trace: list[dict[str, Any]] = []
        eligible = enc.eligible_cost
        waiting = self._waiting(s, enc, prof, trace)
        # 1. basic insurance
        if waiting:
            basic = ZERO
        else:
            d = self.need(s, f"basic_insurance.{enc.type}.deductible", prof, trace)
            r = self.need(s, f"basic_insurance.{enc.type}.rate", prof, trace)
            raw = max(eligible - d, ZERO) * r
            basic, note = self._pay(s, "basic_insurance.annual_cap", raw, led.basic_paid, prof, trace, enc)
            trace.append(_calc("basic_insurance.paid", basic, f"min(max({eligible} - {money_str(d)}, 0) x {rate_str(r)}, {note})"))
        led.basic_paid += basic
        # 2. serious-illness insurance, on the year's accumulated owed policy-scope amount
        owed = eligible - basic
        si_before, led.si_base = led.si_base, led.si_base + owed
        si = ZERO
        if waiting:
            pass
        elif self._tier_available(s, "serious_illness", prof, enc, trace):
            t = self.need(s, "serious_illness.threshold", prof, trace)
            bands = as_bands(self.need(s, "serious_illness.rate", prof, trace))
            raw = _banded(si_before - t, led.si_base - t, bands)
            si, note = self._pay(s, "serious_illness.annual_cap", raw, led.si_paid, prof, trace, enc)
            trace.append(_calc("serious_illness.paid", si, f"owed this year {money_str(si_before)} -> {money_str(led.si_base)}, above threshold {money_str(t)} at {_bands_str(bands)}, {note}"))
        led.si_paid += si
        # 3. medical assistance, on what is still owed within the policy scope
        owed2 = eligible - basic - si
        ma_before, led.ma_base = led.ma_base, led.ma_base + owed2
        ma = ZERO
        if self._tier_available(s, "medical_assistance", prof, enc, trace):
            md = self.need(s, "medical_assistance.deductible", prof, trace)
            mr = self.need(s, "medical_assistance.rate", prof, trace)
            raw = (max(led.ma_base - md, ZERO) - max(ma_before - md, ZERO)) * mr
            ma, note = self._pay(s, "medical_assistance.annual_cap", raw, led.ma_paid, prof, trace, enc)
            trace.append(_calc("medical_assistance.paid", ma, f"owed this year {money_str(ma_before)} -> {money_str(led.ma_base)}, above deductible {money_str(md)} x {rate_str(mr)}, {note}"))
        led.ma_paid += ma
        oop = enc.total_cost - basic - si - ma
        led.oop += oop
        trace.append(_calc("out_of_pocket", oop, f"{enc.total_cost} - {basic} - {si} - {ma}"))
        return {
            "id": enc.id, "date": enc.date.isoformat(), "type": enc.type, "hospital_level": enc.hospital_level,
            "categories": sorted(prof.categories),
            "total_cost": money_str(enc.total_cost), "eligible_cost": money_str(eligible),
            "paid": {"basic_insurance": money_str(basic), "serious_illness": money_str(si), "medical_assistance": money_str(ma)},
            "out_of_pocket": money_str(oop), "trace": trace,
        }

    def _tier_available(self, s: Settlement, tier: str, prof: Profile, enc: Encounter, trace: list) -> bool:
        """A tier pays when a rate is in force for the person; otherwise say why it does not."""
        if self.res.resolve(f"{tier}.rate", prof) is not None:
            return True
        if self.reaches(tier, prof):
            # Some rule (a value or a national floor) says this tier applies, but no figure is known: refuse, never 0.00.
            raise unknown_tier_rate(tier, prof)
        else:
            reason = f"no {tier} rule in force covers {describe_person(prof)}"
        trace.append({"step": f"{tier}.paid", "value": "0.00", "rule": None, "document_version": None, "clause": None, "note": f"not computed: {reason}"})
        return False

    def _pay(self, s: Settlement, cap_name: str, raw: Decimal, paid: Decimal, prof: Profile, trace: list,
             enc: Encounter) -> tuple[Decimal, str]:
        """A tier's payment: `raw` limited to what is left of its annual cap, half-up to the fen, never below 0."""
        cap, note = self._cap(s, cap_name, prof, trace, enc)
        return max(fen(min(raw, cap - paid) if cap is not None else raw), ZERO), note

    def _cap(self, s: Settlement, name: str, prof: Profile, trace: list, enc: Encounter) -> tuple[Decimal | None, str]:
        rv = self.param(s, name, prof, trace)
        if rv is None:
            s.missing.append({"part": name.split(".")[0], "parameter": name, "encounter": enc.id, "date": prof.date.isoformat(), "for": describe_person(prof), "reason": "no rule in force sets the annual cap; none applied"})
            return None, "cap missing: not applied"
        if rv.value is None:
            return None, "no cap"
        return rv.value, f"cap {money_str(rv.value)}"

    def _waiting(self, s: Settlement, enc: Encounter, prof: Profile, trace: list) -> bool:
        e = s.case.enrolment
        if e is None or not (e.late or e.lapsed_years > 0) or enc.date < e.coverage_start:
            return False
        start = self.profile(s.case, e.coverage_start)
        start = Profile(start.region, start.date, start.categories, start.scheme, start.tier, enc.type, enc.hospital_level)
        fixed = self.param(s, "waiting_period.fixed_months", start, trace)
        if fixed is None:
            return False
        exempt = self.param(s, "waiting_period.exempt", start, trace)
        if exempt is not None and exempt.value:
            trace.append(_calc("waiting_period", ZERO, "exempt", money=False))
            return False
        extra = self.param(s, "waiting_period.months_per_extra_lapse_year", start, trace)
        off = self.param(s, "waiting_period.months_off_per_repaid_year", start, trace)
        variable = (extra.value if extra else 0) * max(e.lapsed_years - 1, 0)
        variable = max(variable - (off.value if off else 0) * e.repaid_years, 0)
        months = int(fixed.value + variable)
        ends = add_months(e.coverage_start, months)
        inside = enc.date < ends
        trace.append(_calc("waiting_period", Decimal(months), f"{months} months from {e.coverage_start} until {ends}: encounter {'inside' if inside else 'after'} it", money=False))
        if inside:
            trace.append({"step": "basic_insurance.paid", "value": "0.00", "rule": fixed.steps[-1].rule.key, "document_version": fixed.steps[-1].rule.doc_version, "clause": fixed.steps[-1].rule.clause, "note": "inside the waiting period: basic and serious-illness insurance do not pay"})
        return inside

    def _premium(self, s: Settlement) -> dict[str, Any]:
        case = s.case
        day = dt.date(case.year, 1, 1)
        prof = self.profile(case, day)
        trace: list[dict[str, Any]] = []
        out: dict[str, Any] = {"date": day.isoformat(), "categories": sorted(prof.categories)}
        if case.scheme != "resident":
            out.update(individual_contribution=None, subsidy=None, payable=None, note="employee contributions are payroll-based and not modelled")
            return out
        c = self.param(s, "premium.individual_contribution", prof, trace)
        amount = self.param(s, "premium.subsidy", prof, trace)
        share = self.param(s, "premium.subsidy_share", prof, trace)
        fiscal = self.param(s, "premium.fiscal_subsidy", prof, trace)
        if fiscal is not None:
            out["fiscal_subsidy_per_person"] = money_str(fiscal.value)
        if c is None:
            s.missing.append({"part": "premium", "parameter": "premium.individual_contribution", "date": day.isoformat(), "for": describe_person(prof), "reason": "no rule in force sets the individual contribution"})
            out.update(individual_contribution=None, subsidy=None, payable=None, trace=trace)
            return out
        contribution = fen(c.value)
        if amount is None and share is None and prof.categories:
            s.missing.append({"part": "premium", "parameter": "premium.subsidy", "date": day.isoformat(), "for": describe_person(prof),
                              "reason": "no subsidy rule in force for the categories held; subsidy and payable not determined"})
            out.update(individual_contribution=money_str(contribution), subsidy=None, payable=None, trace=trace)
            return out
        sub = max(amount.value if amount else ZERO, fen(contribution * share.value) if share else ZERO)
        sub = min(fen(sub), contribution)
        out.update(individual_contribution=money_str(contribution), subsidy=money_str(sub), payable=money_str(contribution - sub), trace=trace)
        return out

    def _warning_check(self, s: Settlement, enc: Encounter, led: Ledger) -> dict[str, Any] | None:
        prof = self.profile(s.case, enc.date)
        t = self._threshold(s, prof, None)
        if t is None or led.oop <= t[0]:
            return None
        return {"encounter": enc.id, "date": enc.date.isoformat(), "threshold": t[0], "rules": t[1]}

    def _threshold(self, s: Settlement, prof: Profile, trace: list | None) -> tuple[Decimal, list[str]] | None:
        fixed = self.param(s, "monitoring.threshold", prof, trace)
        share = self.param(s, "monitoring.threshold_share", prof, trace)
        candidates = []
        if fixed is not None:
            candidates.append((fen(fixed.value), [x.key for x in fixed.rules]))
        if share is not None:
            found = self.res.reference("per_capita_disposable_income", prof.region, prof.date.year - 1)
            if found is None:
                raise missing_income(prof)
            candidates.append((fen(found[0].value * share.value), [x.key for x in share.rules]))
        return min(candidates, key=lambda c: c[0]) if candidates else None

    def _monitoring(self, s: Settlement, led: Ledger, first: dict[str, Any] | None) -> dict[str, Any]:
        last = s.case.encounters[-1].date
        prof = self.profile(s.case, last)
        trace: list[dict[str, Any]] = []
        t = self._threshold(s, prof, trace)
        out: dict[str, Any] = {"out_of_pocket": money_str(led.oop)}
        if first is not None:
            out.update(warning=True, threshold=money_str(first["threshold"]), first_warning={"encounter": first["encounter"], "date": first["date"]}, reasons=[
                f"out-of-pocket reached {money_str(led.oop)} this year, above the warning threshold {money_str(first['threshold'])} "
                f"from encounter {first['encounter']} on {first['date']} ({', '.join(first['rules'])})"])
        elif t is None:
            s.missing.append({"part": "monitoring", "parameter": "monitoring.threshold", "date": last.isoformat(), "for": describe_person(prof), "reason": "no warning threshold in force"})
            out.update(warning=None, reasons=["no warning threshold in force for this person: warning not determined"])
        else:
            out.update(warning=False, threshold=money_str(t[0]), reasons=[f"out-of-pocket {money_str(led.oop)} is not above the threshold {money_str(t[0])} ({', '.join(t[1])})"])
        out["trace"] = trace
        return out


def missing_reference(name: str, prof: Profile, e: ReferenceMissing) -> MissingParameter:
    """The error for a parameter whose rule needs a reference figure the set does not have."""
    return MissingParameter(name, describe_person(prof), prof.date.isoformat(), prof.region,
                            f"{e.rule.key} computes it from {e.series} of region {e.region} for {e.year}, "
                            f"which the reference data does not have: add that figure with its source")


def unknown_tier_rate(tier: str, prof: Profile) -> MissingParameter:
    """The error for a tier some rule says applies to the person but whose rate no rule supplies: refused, never 0.00."""
    return MissingParameter(f"{tier}.rate", describe_person(prof), prof.date.isoformat(), prof.region,
                            f"a {tier} rule reaches this person but no rule in force sets {tier}.rate: the figure "
                            f"is not known, so {tier} cannot be paid (see 'yibao gaps --region {prof.region}')")


def missing_income(prof: Profile) -> MissingParameter:
    """The error for a warning threshold that is a share of an income figure the set does not have."""
    return MissingParameter("monitoring.threshold", describe_person(prof), prof.date.isoformat(), prof.region,
                            f"the warning threshold is a share of per_capita_disposable_income of region {prof.region} "
                            f"for {prof.date.year - 1}, which the reference data does not have: add that figure with its source")


def below_primary(name: str, key: str, prov: Any, source: str = "") -> dict[str, str]:
    """The result's entry for a figure below primary: parameter, rule or datum, grade and the note (derivation, source)."""
    note = prov.note or prov.derivation or (f"Source: {source}" if source else "")
    if prov.derivation and prov.note and prov.derivation not in prov.note:
        note = f"{prov.note} Derivation: {prov.derivation}"
    return {"parameter": name, "rule": key, "grade": prov.grade, "note": note}


def describe_person(p: Profile) -> str:
    cats = ",".join(sorted(p.categories)) or "ordinary insured"
    extra = f", tier {p.tier}" if p.tier else ""
    lvl = f", {p.encounter_type} level {p.hospital_level}" if p.encounter_type else ""
    return f"{cats} ({p.scheme}{extra}{lvl})"


def _step(name: str, st: Any, rv: Resolved) -> dict[str, Any]:
    r = st.rule
    v = st.value
    if st.action == "reference":
        shown = money_str(v.value)
    else:
        shown = show_value(name, v)
    item = {"step": name, "value": shown, "rule": r.key, "document_version": r.doc_version, "clause": r.clause,
            "action": st.action, "verified": r.provenance.verified, "grade": r.provenance.grade}
    if st.action == "reference":
        item["detail"] = st.detail
        item["grade"] = v.provenance.grade
        item["verified"] = v.provenance.verified
    if rv.category:
        item["category"] = rv.category
    return item


def show_value(name: str, v: Any) -> str | None:
    kind = PARAMETERS[name].kind
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return _bands_str(v)
    if kind in ("rate", "bands"):
        return rate_str(v)
    if kind == "months":
        return str(v)
    return money_str(v)


def _calc(step: str, value: Decimal, formula: str, money: bool = True) -> dict[str, Any]:
    return {"step": step, "value": money_str(value) if money else str(value), "rule": None,
            "document_version": None, "clause": None, "formula": formula}


def _bands_str(bands: tuple) -> str:
    if len(bands) == 1:
        return rate_str(bands[0][1])
    return "; ".join(f"{rate_str(r)} from {money_str(f)}" for f, r in bands)


def _banded(lo: Decimal, hi: Decimal, bands: tuple) -> Decimal:
    """Pay on the part of [lo, hi] above zero, band by band."""
    lo, hi = max(lo, ZERO), max(hi, ZERO)
    total = ZERO
    for i, (start, rate) in enumerate(bands):
        end = bands[i + 1][0] if i + 1 < len(bands) else None
        a = max(lo, start)
        b = hi if end is None else min(hi, end)
        if b > a:
            total += (b - a) * rate
    return total


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
