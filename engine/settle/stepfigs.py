"""A payment step's figures for one person and encounter: resolved once, shared by the single case and the batch."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from engine.core.messages import Name, Text, person_words
from engine.core.problems import InputError, MissingFact, MissingParameter
from engine.policy.model import PayStep
from engine.policy.resolve import Profile, ReferenceMissing, Resolved, Resolver, matches
from engine.policy.steps import matches_who, reaches
from engine.settle.kernel import Figures, NotWholeFen, figures, kind_of

Getter = Callable[[str], "Resolved | None"]


@dataclass(frozen=True)
class Facts:
    """The encounter facts a step may test beyond the profile (None = the case does not say)."""

    in_pooling_area: bool | None = None
    admin_level: str | None = None


@dataclass
class Outcome:
    """A step's figures, or why it does not pay (note for the trace, missing entries for the result)."""

    figs: Figures
    note: str | None = None
    missing: list[dict[str, str]] = field(default_factory=list)
    texts: dict[tuple, Any] = field(default_factory=dict)  # the trace sentence's fixed words, by (language, D)


def step_words(step: PayStep) -> Text:
    """A step's name in the reader's language."""
    return Text("usage.reason", zh=step.name.get("zh", step.id), en=step.name.get("en", step.id))


def describe_person(p: Profile) -> str:
    """The person and encounter in a few words, for errors and `missing` entries."""
    return _person(p.categories, p.scheme, p.tier, p.encounter_type, p.hospital_level)


@lru_cache(maxsize=4096)
def _person(categories: frozenset[str], scheme: str, tier: int | None, etype: str | None, level: int | None) -> Text:
    return person_words(sorted(categories), scheme, tier, etype, level)  # a Text is never changed: shared


def missing_reference(name: str, prof: Profile, e: ReferenceMissing) -> MissingParameter:
    """The error for a parameter whose rule needs a reference figure the set does not have."""
    return MissingParameter(name, describe_person(prof), prof.date.isoformat(), prof.region,
                            Text("error.reference_missing", rule=e.rule.key, series=Name("series", e.series), series_id=e.series,
                                 region=Name("region", e.region), region_id=e.region, year=e.year))


def rule_reaches(res: Resolver, step: PayStep, prof: Profile) -> bool:
    """True if any rule of the step (a value or a guardrail) is in force for this person."""
    prefix = step.id + "."
    names = {step.parameter(role, prof.encounter_type) for role, _ in step.names}
    for name, rules in res.in_force(prof.region, prof.date).items():
        if name.startswith(prefix) or name in names:
            for r in rules:
                if matches(r, prof) and (not r.who.categories or set(r.who.categories) & prof.categories):
                    return True
    return False


def _facts_fit(step: PayStep, facts: Facts, enc_id: str) -> str | None:
    """None if the step's place conditions hold; a reason if not; InputError if the case lacks the fact."""
    if step.where:
        if facts.in_pooling_area is None:
            raise MissingFact("in_pooling_area", Text("trace.needed_by_step", encounter=enc_id, step=step.key, why=f"where: {step.where}"))
        if facts.in_pooling_area != (step.where == "inside_pooling_area"):
            return f"{step.id} applies only {step.where.replace('_', ' ')}"
    if step.admin_levels:
        if facts.admin_level is None:
            raise MissingFact("hospital_admin_level", Text("trace.needed_by_step", encounter=enc_id, step=step.key,
                                                           why=f"hospital_admin_levels: {', '.join(step.admin_levels)}"))
        if facts.admin_level not in step.admin_levels:
            return f"{step.id} applies only at {', '.join(step.admin_levels)} hospitals"
    return None


def step_outcome(res: Resolver, step: PayStep, prof: Profile, get: Getter, waiting: bool, facts: Facts,
                 enc_id: str, words: bool = True) -> Outcome:
    """Resolve what the step needs for this encounter, with the interpreter's rules for what is missing (`words=False`:
    no notes and bare `missing` entries, for the batch, which keeps only the figures and whether they are known)."""
    off = Figures()
    if waiting and step.waiting_period:
        return Outcome(off, Text("trace.waiting_step") if words else None)
    why = (reaches(step, prof) if words else not _covers(step, prof)) or _facts_fit(step, facts, enc_id)
    if why:
        return Outcome(off, Text("trace.not_for_encounter", step=step_words(step), why=why) if words else None)
    et = prof.encounter_type
    key_role = "ceiling" if step.ceiling else "rate"
    key_name = step.parameter(key_role, et)
    if not step.required and _quiet(res, key_name, prof) is None:
        if rule_reaches(res, step, prof):
            if not words:
                return Outcome(off, None, [{"part": step.id, "parameter": key_name}])
            reason = f"a {step.id} rule reaches this person but no rule in force sets {key_name}"
            miss = {"part": step.id, "parameter": key_name, "encounter": enc_id, "date": prof.date.isoformat(),
                    "for": describe_person(prof), "reason": reason}
            return Outcome(off, Text("trace.reaches_no_figure", step=step_words(step), label=Name("param", key_name), parameter=key_name), [miss])
        return Outcome(off, Text("trace.no_rule_covers", step=step_words(step), who=describe_person(prof)) if words else None)
    values: dict[str, Any] = {}
    missing = []
    for role, _ in step.names:
        name = step.parameter(role, et)
        rv = get(name)
        if role == "annual_cap":
            if rv is None:
                missing.append({"part": step.id, "parameter": name, "encounter": enc_id, "date": prof.date.isoformat(),
                                "for": describe_person(prof), "reason": "no rule in force sets the annual cap; none applied"}
                               if words else {"part": step.id, "parameter": name})
            values[role] = rv.value if rv is not None else None
            continue
        if rv is None or rv.value is None:
            raise MissingParameter(name, describe_person(prof), prof.date.isoformat(), prof.region)
        values[role] = rv.value
    figs = figures(kind_of(step), values.get("deductible"), values.get("rate"), values.get("share_limit"),
                   values.get("ceiling"), values.get("annual_cap"))
    return Outcome(figs, None, missing)


def _covers(step: PayStep, prof: Profile) -> bool:
    """`reaches(step, prof) is None`, without the words of why not."""
    w = step.who
    return not (w.categories and not set(w.categories) & prof.categories) and matches_who(step, prof)


def _quiet(res: Resolver, name: str, prof: Profile) -> Resolved | None:
    try:
        return res.resolve(name, prof)
    except ReferenceMissing as e:
        raise missing_reference(name, prof, e) from e


def batch_outcome(res: Resolver, step: PayStep | None, prof: Profile, facts: Facts) -> Figures | MissingParameter:
    """A step's figures for a batch key (no trace), other errors as `err` text; a missing parameter returned as such (its
    words name the person and day: see missing_for, missing_words)."""
    if step is None:
        return Figures()
    get = lambda name: _quiet(res, name, prof)  # noqa: E731
    try:
        out = step_outcome(res, step, prof, get, False, facts, "", words=False)
        return Figures(unknown=True) if out.missing and not out.figs.on else out.figs
    except MissingParameter as e:
        return e
    except (NotWholeFen, InputError) as e:
        return Figures(err=str(e))


def missing_for(e: MissingParameter, prof: Profile, date: str | None = None) -> MissingParameter:
    """The same missing parameter as met for another person or day (the words name them; the hint does not)."""
    return MissingParameter(e.parameter, describe_person(prof), date or prof.date.isoformat(), prof.region, e.hint)


def missing_words(e: MissingParameter) -> str:
    """A missing parameter as the batch reports it."""
    return f"missing value: {e}: {e.hint}"
