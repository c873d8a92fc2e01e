"""Which key fields a payment step's figures depend on; its figures resolved once per distinct projection of the key."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.core.registry import ENCOUNTER_TYPES
from engine.core.problems import MissingParameter
from engine.policy.model import PayStep, Rule
from engine.policy.resolve import Profile, Resolver
from engine.settle.kernel import Figures
from engine.settle.stepfigs import Facts, batch_outcome, describe_person, missing_for, missing_words

DAY = "\x00day\x00"  # stands for the day in a sentence made once for many days (no other word holds it)


def dated_words(e: MissingParameter, p: Profile) -> str:
    """A missing parameter's words for the person of `p`, with DAY for the day of the row that fails (Lookups.dated)."""
    return missing_words(missing_for(e, p, DAY))


@dataclass(frozen=True)
class Depends:
    """The profile fields some declaration of a step, or some rule of its parameters, tests (region and dates always count)."""

    categories: frozenset[str]  # only these of a person's categories can matter
    scheme: bool
    tier: bool
    encounter_type: bool
    hospital_level: bool
    age: bool
    place: bool   # in the pooling area or not (the step's `where`, a rule's who.in_pooling_area)
    admin: bool   # the hospital's administrative level (the step's `admin_levels`, a rule's who.hospital_admin_levels)


def depends(in_force: dict[str, list[Rule]], step: PayStep | None) -> Depends:
    """What a step reads of a person and encounter, in a region and epoch: its declaration in force there (`who`, place
    conditions, parameter names by encounter type) and every rule in force setting a parameter it resolves or tests (`id.*`)."""
    if step is None:  # not in force: pays nothing, whoever it is
        return Depends(frozenset(), False, False, False, False, False, False, False)
    names = {step.parameter(role, t) for role, _ in step.names for t in (*ENCOUNTER_TYPES, None)}
    rules = [r for name, rs in in_force.items() if name.startswith(step.id + ".") or name in names for r in rs]
    whos = [step.who] + [r.who for r in rules]
    return Depends(
        categories=frozenset(c for w in whos for c in w.categories),
        scheme=any(w.schemes for w in whos),
        tier=any(w.contribution_tiers for w in whos),
        encounter_type=any(w.encounter_types for w in whos) or any("{type}" in n for _, n in step.names),
        hospital_level=any(w.hospital_levels for w in whos) or any(isinstance(r.value, dict) for r in rules),
        age=any(w.age_below is not None for w in whos),
        place=any(w.in_pooling_area is not None for w in whos) or bool(step.where),
        admin=any(w.hospital_admin_levels for w in whos) or bool(step.admin_levels),
    )


class StepFigures:
    """Each step's figures memoised by the key fields it depends on: keys differing only elsewhere share them."""

    def __init__(self, res: Resolver) -> None:
        self.res = res
        self.deps: dict[tuple, Depends] = {}
        self.memo: dict[tuple, Figures | MissingParameter] = {}
        self.words: dict[tuple, str] = {}

    def figures(self, ids: list[str], live: dict[str, PayStep], p: Profile, facts: Facts, at: tuple) -> dict[str, Figures]:
        """Each step's figures for the key of profile `p` (`at`: region, epochs of its rules and steps, year), as batch_outcome gives them (missing parameters as words);
        `live`: the declarations in force, by id."""
        deps = self.deps.get(at[:3])
        if deps is None:
            rules = self.res.in_force(p.region, p.date)
            deps = self.deps[at[:3]] = [(sid, live.get(sid), depends(rules, live.get(sid))) for sid in ids]
        out = {}
        for sid, step, d in deps:
            key: tuple[Any, ...] = (sid, at, p.categories & d.categories if d.categories else None, p.scheme if d.scheme else None,
                                    p.tier if d.tier else None, p.encounter_type if d.encounter_type else None,
                                    p.hospital_level if d.hospital_level else None, p.age if d.age else None,
                                    (p.in_pooling_area, facts.in_pooling_area) if d.place else None,
                                    (p.admin_level, facts.admin_level) if d.admin else None)
            f = self.memo.get(key)
            if f is None:
                f = batch_outcome(self.res, step, p, facts)
                if isinstance(f, MissingParameter):  # a fresh copy: the one raised holds its traceback, and so the chunk's frames
                    f = missing_for(f, p)
                self.memo[key] = f
            # a missing parameter's words name this key's person; DAY stands for the day of the row that fails (filled by
            # Lookups.dated, as the interpreter names the failing encounter's own date)
            out[sid] = Figures(err=self._words(key, f, p)) if isinstance(f, MissingParameter) else f
        return out

    def _words(self, key: tuple, e: MissingParameter, p: Profile) -> str:
        """dated_words(e, p), made once per person."""
        at = (key, describe_person(p))  # the words of the person (the region is the key's)
        words = self.words.get(at)
        if words is None:
            words = self.words[at] = dated_words(e, p)
        return words


__all__ = ["DAY", "Depends", "StepFigures", "dated_words", "depends"]
