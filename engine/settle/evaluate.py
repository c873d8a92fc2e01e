"""Settle a person-year: basic insurance, serious-illness insurance, medical assistance, premium, monitoring."""
from __future__ import annotations

import bisect
import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.settle.case import Case, Encounter
from engine.policy.model import Rule
from engine.core.messages import Name, Text, msg
from engine.core.money import ZERO, fen, fen_decimal, fen_text, money_str
from engine.policy.policyset import PolicySet
from engine.core.problems import InputError, MissingFact, MissingParameter
from engine.policy.resolve import UNSTATED, Profile, ReferenceMissing, Resolved
from engine.settle.kernel import SCALAR, not_known, overlaps, Figures, Scaled, after, base_amount, kind_of, pay, scale
from engine.settle.stepfigs import Facts, Outcome, describe_person, missing_reference, step_outcome, step_words
from engine.settle.provenance import describe
from engine.settle.steptrace import off_entry, paid_entry, step_sentence

TIERS = ("basic_insurance", "serious_illness", "medical_assistance")
OFF = Outcome(Figures())  # a step not in force for the encounter


@dataclass
class Plan:
    """What every encounter of one key shares: its profile, and per step its declaration, figures and trace items."""

    prof: Profile
    categories: list[str]
    decl: dict[str, Any] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    used: dict[str, Rule] = field(default_factory=dict)
    unverified: dict[tuple, dict[str, str]] = field(default_factory=dict)
    missing: list[dict[str, str]] = field(default_factory=list)
    off: dict[str, dict[str, Any]] = field(default_factory=dict)  # the trace entry of each step that does not pay
    threshold_key: tuple = ()  # what the warning threshold depends on


@dataclass
class Settlement:
    """Everything the interpreter found, before it is turned into the contract's JSON."""

    case: Case
    lang: str = "zh"
    rows: list[dict[str, Any]] = field(default_factory=list)  # the encounters; read them as `encounters`
    used: dict[str, Rule] = field(default_factory=dict)
    unverified: dict[tuple, dict[str, str]] = field(default_factory=dict)
    missing: list[dict[str, str]] = field(default_factory=list)
    premium: dict[str, Any] = field(default_factory=dict)
    monitoring: dict[str, Any] = field(default_factory=dict)
    steps: list[Any] = field(default_factory=list)  # the declarations that appear in `paid`, in paying order
    total_fen: int = 0
    eligible_fen: int = 0
    paid_fen: dict[str, int] = field(default_factory=dict)  # the known part of each payer, fen
    unknown_parts: set[str] = field(default_factory=set)    # payers not computed in some encounter (null)
    oop_fen: int = 0
    unwritten: list[tuple] = field(default_factory=list)  # paying steps' trace entries whose sentence is not yet written

    @property
    def encounters(self) -> list[dict[str, Any]]:
        """The settled encounters, every trace sentence written (the paying steps' on first reading)."""
        for entry, st, amount, det, sc, out in self.unwritten:
            entry["text"] = step_sentence(st, amount, det, sc, out, self.lang)
        self.unwritten.clear()
        return self.rows
    unknown_steps: dict[str, tuple[str, Any]] = field(default_factory=dict)  # step -> (missing figure, words) once not computed


class Evaluator:
    """Settles cases under one policy set."""

    def __init__(self, ps: PolicySet, lang: str = "zh") -> None:
        self.ps = ps
        self.lang = lang
        self.res = ps.resolver
        self._seen: dict[int, tuple[dict, dict, list]] = {}
        self._plans: dict[tuple, Plan] = {}
        self._rows: dict[tuple, tuple] = {}  # kernel rows of the figures held in self._plans (and OFF)
        self._scaled: dict[tuple, tuple[list[Figures], Scaled]] = {}
        self._thresholds: dict[tuple, tuple] = {}
        self._names: dict[str, Text] = {}
        self._days: dict[tuple, tuple[int, int]] = {}
        self._ages = bool(ps.age_limits)  # the age matters where a rule or a step's `who` tests it

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
            cached = describe(self.ps, name, rv, prof.hospital_level, self.lang)
            self._seen[id(rv)] = cached
        used, unverified, items = cached
        s.used.update(used)
        s.unverified.update(unverified)
        if trace is not None:
            trace.extend(dict(i) for i in items)
        return rv

    def need(self, s: Settlement, name: str, prof: Profile, trace: list) -> Any:
        """A parameter the computation cannot do without."""
        rv = self.param(s, name, prof, trace)
        if rv is None or rv.value is None:
            raise MissingParameter(name, describe_person(prof), prof.date.isoformat(), prof.region)
        return rv.value

    # -- the year --------------------------------------------------------
    def settle(self, case: Case) -> Settlement:
        """Resolve every encounter's step figures once per key, run the payment kernel on the year in date order, then premium and monitoring."""
        s = Settlement(case, self.lang)
        steps = self.ps.steps
        if len(self._plans) > 4096:  # bounded; the kernel rows and columns go with the plans' figures
            self._plans.clear(), self._rows.clear(), self._scaled.clear(), self._thresholds.clear(), self._days.clear()
        cats_on = _categories_on(case)
        heads: list[list[dict[str, Any]]] = []
        plans: list[Plan] = []
        for enc in case.encounters:
            day = self._day(case.region, enc.date)
            if day is None:
                raise InputError(Text("case.no_policy", region=Name("region", case.region), region_id=case.region, date=enc.date, encounter=enc.id))
            head: list[dict[str, Any]] = []
            waiting = self._waiting(s, enc, head) if case.enrolment is not None else False
            heads.append(head)
            plans.append(self._plan(case, enc, day, cats_on(enc.date), waiting))
        distinct = list({id(pl): pl for pl in plans}.values())
        at = {id(pl): j for j, pl in enumerate(distinct)}
        for pl in distinct:
            s.used.update(pl.used)
            s.unverified.update(pl.unverified)
        for enc, pl in zip(case.encounters, plans):
            if pl.missing:
                s.missing.extend(dict(m, encounter=enc.id, date=enc.date.isoformat()) for m in pl.missing)
        scaled = [self._scale(steps, sid, [pl.outcomes[sid].figs for pl in distinct]) for sid in steps.ids]
        ready = {id(pl): self._ready(pl, scaled, at[id(pl)]) for pl in distinct}
        acc = {sid: (0, 0, 0) for sid in steps.ids}
        first_warning = None
        for enc, pl, head in zip(case.encounters, plans, heads):
            row = self._encounter(s, enc, pl, ready[id(pl)], acc, head)
            s.rows.append(row)
            w = self._warning_check(s, enc, pl, s.oop_fen)  # every encounter: its threshold's rules are used
            if w and first_warning is None:
                first_warning = w
        # each step as the year's last encounter declared it (one id may be declared anew mid-year)
        s.steps = [st for st in (next((pl.decl[sid] for pl in reversed(plans) if pl.decl[sid] is not None), None) for sid in steps.ids)
                   if st is not None]
        s.premium = self._premium(s)
        s.monitoring = self._monitoring(s, fen_decimal(s.oop_fen), first_warning)
        return s

    def _words(self, st: Any) -> Text:
        """A step's name in the reader's language (stepfigs.step_words), made once per step."""
        w = self._names.get(st.key)
        if w is None:
            w = self._names[st.key] = step_words(st)
        return w

    def _scale(self, steps: Any, sid: str, figs: list[Figures]) -> Scaled:
        """A step's kernel rows for these figures (the same figures in the same order: the same rows)."""
        key = (sid, *map(id, figs))
        hit = self._scaled.get(key)
        if hit is None or any(a is not b for a, b in zip(hit[0], figs)):  # ids of these very objects, not reused ones
            if len(self._scaled) > 4096:  # one entry per combination of plans a year holds: bounded on its own
                self._scaled.clear()
            hit = self._scaled[key] = (figs, scale(kind_of(steps.kinds[sid]), figs, self._rows))
        return hit[1]

    def profile(self, case: Case, day: dt.date, enc: Encounter | None = None) -> Profile:
        """The person's facts on `day`."""
        pool = (UNSTATED if enc.in_pooling_area is None else enc.in_pooling_area) if enc else None
        admin = (enc.admin_level or UNSTATED) if enc else None
        return Profile(case.region, day, case.categories_on(day), case.scheme, case.tier,
                       enc.type if enc else None, enc.hospital_level if enc else None, case.age_on(day), pool, admin)

    def _day(self, region: str, day: dt.date) -> tuple[int, int] | None:
        """Which of the region's rule periods and step periods `day` falls in; None if no policy covers it."""
        key = (region, day)
        hit = self._days.get(key)
        if hit is None:
            if not self.res.in_force(region, day):
                return None
            if len(self._days) > 100_000:
                self._days.clear()
            hit = self._days[key] = (bisect.bisect_right(self.res.change_dates(region), day), self.ps.steps.epoch(region, day))
        return hit

    def _plan(self, case: Case, enc: Encounter, epochs: tuple[int, int], cats: frozenset[str], waiting: bool) -> Plan:
        """The plan of the encounter's key (as the batch keys encounters): resolved once per key and Evaluator, then shared."""
        day = enc.date
        age = case.age_on(day) if self._ages else None
        key = (case.region, epochs, day.year, cats, case.scheme, case.tier, enc.type, enc.hospital_level, age, waiting,
               enc.in_pooling_area, enc.admin_level)
        pl = self._plans.get(key)
        if pl is None:
            pl = self._plans[key] = self._new_plan(case, enc, waiting)
            pl.threshold_key = (case.region, epochs[0], day.year, cats, case.scheme, case.tier, age)
        return pl

    def _new_plan(self, case: Case, enc: Encounter, waiting: bool) -> Plan:
        """Every step's figures and trace items for one key (errors naming this encounter are raised, never kept)."""
        prof = self.profile(case, enc.date, enc)
        pl = Plan(prof, sorted(prof.categories))
        live = {st.id: st for st in self.ps.steps.in_force(prof.region, prof.date)}
        facts = Facts(enc.in_pooling_area, enc.admin_level)
        for sid in self.ps.steps.ids:
            st = pl.decl[sid] = live.get(sid)
            if st is None:
                pl.outcomes[sid], pl.items[sid] = OFF, []
                continue
            tmp = Settlement(case)
            items: list[dict[str, Any]] = []
            out = step_outcome(self.res, st, prof, lambda name: self.param(tmp, name, prof, items), waiting, facts, enc.id)
            pl.outcomes[sid], pl.items[sid] = out, items
            pl.used.update(tmp.used)
            pl.unverified.update(tmp.unverified)
            pl.missing.extend(out.missing)
            if not out.figs.on:
                pl.off[sid] = off_entry(st, out, self.lang)
        return pl

    def _ready(self, pl: Plan, scaled: list[Scaled], j: int) -> list[tuple]:
        """Per step, what every encounter of the plan reads in this settlement; trace items copied once, never the caches'."""
        out = []
        for sc in scaled:
            sid = sc.kind.id
            st, o = pl.decl[sid], pl.outcomes[sid]
            off = dict(pl.off[sid]) if sid in pl.off else None
            direct = bool(o.missing) and not o.figs.on  # its own key figure is missing
            gap = (o.missing[0]["parameter"] if o.missing else sid, self._words(st)) if st is not None else None
            out.append((sid, sc, sc.rows[j], sc.on[j], st, o, [dict(i) for i in pl.items[sid]], off,
                        dict(off, value=None) if off and direct else None, direct, gap))
        return out

    def _encounter(self, s: Settlement, enc: Encounter, pl: Plan, ready: list[tuple], acc: dict, head: list[dict[str, Any]]) -> dict[str, Any]:
        """One encounter through every step in paying order: the kernel's amounts, what stays unknown, and the trace."""
        trace = head
        total = int(enc.total_cost * 100)
        ins = int(enc.eligible_cost * 100)
        ooc = enc.out_of_catalogue_cost
        oos = int(ooc * 100) if ooc is not None else total - ins
        owed = (ins, oos, total - ins - oos)
        paid: dict[str, str | None] = {}
        gaps: list[tuple[str, str, Any]] = []  # (base, missing figure, step) of each part not computed so far
        for sid, sc, row, on, st, out, items, off, off_unknown, direct, gap in ready:
            kind = sc.kind
            if sc.never:  # off for every encounter of the year: pays nothing, leaves owed as it is
                if off is None:  # not declared for this encounter (a declared step off has its `off` entry)
                    continue
                trace += items
                if direct and base_amount(kind.base, *owed) > 0:  # kernel.not_known when off: only its own missing figure
                    gaps.append((kind.base, *gap))  # counts, and only if something is owed on its base
                    s.unknown_steps.setdefault(sid, gaps[-1][1:])
                    paid[sid] = None
                    s.unknown_parts.add(sid)
                    trace.append(off_unknown)
                    continue
                if direct:
                    off = self._nothing_owed(s, enc, st, out, off)
                paid[sid] = "0.00"  # nothing unknown of its own (what an earlier part left unknown it would not pay on)
                trace.append(off)
                continue
            if on and ooc is None and kind.base == "out_of_scope":
                raise MissingFact("out_of_catalogue_cost", Text("trace.needed_by_step", encounter=enc.id, step=st.key, why="base: out_of_scope"))
            amount, acc[sid], det = pay(SCALAR, kind, sc.D, sc.rden, sc.nb, row, on, owed, total, acc[sid])
            base = det["B"]
            if st is None:
                owed = after(kind.base, amount, *owed, SCALAR)
                continue
            trace += items
            unknown = False
            if direct or gaps or sid in s.unknown_steps:  # the rule for a part that is not known (kernel.not_known)
                earlier = None
                for g in gaps:
                    if overlaps(g[0], kind.base):
                        earlier = g
                        break
                yearly = s.unknown_steps.get(sid)
                unknown = bool(not_known(direct, earlier is not None, yearly is not None, on, base > 0, amount > 0))
            entry = off if off is not None else paid_entry(st, fen_text(amount))
            if unknown:
                before = None if direct else (earlier or (kind.base, *yearly))
                if before:
                    # it pays on what an earlier part (or this one, earlier in the year) left that is not computed
                    reason = Text("trace.after_unknown", step=gap[1], earlier=before[2], parameter=before[1])
                    s.missing.append({"part": sid, "parameter": before[1], "encounter": enc.id, "date": enc.date.isoformat(),
                                      "for": describe_person(pl.prof), "reason": reason})
                    entry = dict(entry, value=None)  # not computed: null in the trace too, never "0.00"
                    entry["note"] = entry["text"] = msg("trace.not_computed", self.lang, reason=reason)
                    gaps.append((kind.base, before[1], gap[1]))
                else:
                    entry = off_unknown
                    gaps.append((kind.base, *gap))
                s.unknown_steps.setdefault(sid, gaps[-1][1:])
                paid[sid] = None
                s.unknown_parts.add(sid)
            else:
                if direct and base <= 0:
                    entry = self._nothing_owed(s, enc, st, out, entry)
                owed = after(kind.base, amount, *owed, SCALAR)  # an unknown part takes nothing off: out of pocket is the known part
                paid[sid] = entry["value"]
                s.paid_fen[sid] = s.paid_fen.get(sid, 0) + amount
                if entry["text"] is None:
                    s.unwritten.append((entry, st, amount, det, sc, out))
            trace.append(entry)
        oop = owed[0] + owed[1] + owed[2]
        oop_text = fen_text(oop)
        total_text = fen_text(total)
        trace.append({"step": "out_of_pocket", "value": oop_text, "rule": None, "document_version": None, "clause": None,
                      "formula": f"{total_text} - " + " - ".join([v for v in paid.values() if v is not None])})
        for t in TIERS:
            if t not in paid:
                paid[t] = "0.00"
        s.oop_fen += oop
        s.total_fen += total
        s.eligible_fen += ins
        return {
            "id": enc.id, "date": enc.date.isoformat(), "type": enc.type, "hospital_level": enc.hospital_level,
            "categories": list(pl.categories), "total_cost": total_text, "eligible_cost": fen_text(ins),
            "paid": paid, "out_of_pocket": oop_text, "trace": trace,
        }

    def _nothing_owed(self, s: Settlement, enc: Encounter, st: Any, out: Any, entry: dict[str, Any]) -> dict[str, Any]:
        """A step whose figure is missing but with nothing owed on its base: 0.00 is a fact, the encounter's gap withdrawn."""
        s.missing = [m for m in s.missing if not (m["part"] == st.id and m.get("encounter") == enc.id)]
        entry = dict(entry)
        entry["note"] = entry["text"] = msg("trace.nothing_to_pay_on", self.lang, name=st.name["en" if self.lang == "en" else "zh"], reason=out.note or "")
        return entry

    def _waiting(self, s: Settlement, enc: Encounter, trace: list) -> bool:
        e = s.case.enrolment
        if e is None or not (e.late or e.lapsed_years > 0) or enc.date < e.coverage_start:
            return False
        start = self.profile(s.case, e.coverage_start)
        start = Profile(start.region, start.date, start.categories, start.scheme, start.tier, enc.type, enc.hospital_level, start.age,
                        start.in_pooling_area, start.admin_level)
        fixed = self.param(s, "waiting_period.fixed_months", start, trace)
        if fixed is None:
            return False
        exempt = self.param(s, "waiting_period.exempt", start, trace)
        if exempt is not None and exempt.value:
            trace.append(_calc("waiting_period", ZERO, Text("trace.waiting_exempt"), money=False))
            return False
        extra = self.param(s, "waiting_period.months_per_extra_lapse_year", start, trace)
        off = self.param(s, "waiting_period.months_off_per_repaid_year", start, trace)
        variable = (extra.value if extra else 0) * max(e.lapsed_years - 1, 0)
        variable = max(variable - (off.value if off else 0) * e.repaid_years, 0)
        months = int(fixed.value + variable)
        ends = add_months(e.coverage_start, months)
        inside = enc.date < ends
        trace.append(_calc("waiting_period", Decimal(months), Text("trace.waiting_inside" if inside else "trace.waiting_after", months=months,
                                                                   start=e.coverage_start, end=ends), money=False))
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

    def _warning_check(self, s: Settlement, enc: Encounter, pl: Plan, oop: int) -> dict[str, Any] | None:
        """The warning due after this encounter (out of pocket so far, fen, above the threshold in force), or None."""
        hit = self._thresholds.get(pl.threshold_key)
        if hit is None:
            tmp = Settlement(s.case)
            t = self._threshold(tmp, self.profile(s.case, enc.date), None)
            hit = self._thresholds[pl.threshold_key] = (t, tmp.used, tmp.unverified, None if t is None else int(t[0] * 100))
        t, used, unverified, limit = hit
        if used:
            s.used.update(used)
            s.unverified.update(unverified)
        if t is None or oop <= limit:
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

    def _monitoring(self, s: Settlement, oop: Decimal, first: dict[str, Any] | None) -> dict[str, Any]:
        last = s.case.encounters[-1].date
        prof = self.profile(s.case, last)
        trace: list[dict[str, Any]] = []
        t = self._threshold(s, prof, trace)
        out: dict[str, Any] = {"out_of_pocket": money_str(oop)}
        if first is not None:
            out.update(warning=True, threshold=money_str(first["threshold"]), first_warning={"encounter": first["encounter"], "date": first["date"]}, reasons=[
                f"out-of-pocket reached {money_str(oop)} this year, above the warning threshold {money_str(first['threshold'])} "
                f"from encounter {first['encounter']} on {first['date']} ({', '.join(first['rules'])})"])
        elif t is None:
            s.missing.append({"part": "monitoring", "parameter": "monitoring.threshold", "date": last.isoformat(), "for": describe_person(prof), "reason": "no warning threshold in force"})
            out.update(warning=None, reasons=["no warning threshold in force for this person: warning not determined"])
        else:
            out.update(warning=False, threshold=money_str(t[0]), reasons=[f"out-of-pocket {money_str(oop)} is not above the threshold {money_str(t[0])} ({', '.join(t[1])})"])
        out["trace"] = trace
        return out


def _categories_on(case: Case) -> Any:
    """`case.categories_on`, one set for every day when the case's categories have no dates."""
    if all(p.start == dt.date.min and p.end is None for _, p in case.categories):
        held = frozenset(c for c, _ in case.categories)
        return lambda day: held
    return case.categories_on


def missing_income(prof: Profile) -> MissingParameter:
    """The error for a warning threshold that is a share of an income figure the set does not have."""
    return MissingParameter("monitoring.threshold", describe_person(prof), prof.date.isoformat(), prof.region,
                            Text("error.income_missing", region=Name("region", prof.region), region_id=prof.region, year=prof.date.year - 1))


def _calc(step: str, value: Decimal, formula: str, money: bool = True) -> dict[str, Any]:
    return {"step": step, "value": money_str(value) if money else str(value), "rule": None,
            "document_version": None, "clause": None, "formula": formula}


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
