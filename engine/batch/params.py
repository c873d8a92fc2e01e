"""Figures of one batch key, resolved once by the engine's Resolver and the payment steps' shared rules, as kernel columns."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from engine.batch.depends import DAY, StepFigures, dated_words
from engine.settle.evaluate import add_months, missing_income
from engine.settle.kernel import NOCAP, PAD, Figures, kind_of, scale
from engine.settle.stepfigs import Facts, batch_outcome, missing_reference, missing_words
from engine.core.money import fen
from engine.core.problems import InputError, MissingParameter
from engine.policy.resolve import Profile, ReferenceMissing, Resolver
from engine.policy.steps import StepIndex

NEVER = 1 << 62  # fen sentinel: no warning threshold
SAFE = 1 << 40   # figures (scaled) above this take the exact Python-integer path


@dataclass
class KeyParams:
    """One (region, epoch, year, categories, scheme, tier, type, level) key: each payment step's exact figures."""

    cover_err: str = ""
    steps: dict[str, Figures] = field(default_factory=dict)


def _err(exc: Exception) -> str:
    return missing_words(exc) if isinstance(exc, MissingParameter) else str(exc)


def _get(res: Resolver, name: str, p: Profile) -> Any:
    try:
        return res.resolve(name, p)
    except ReferenceMissing as e:
        raise missing_reference(name, p, e) from e


def key_params(res: Resolver, steps: StepIndex, p: Profile, facts: Facts = Facts(), shared: StepFigures | None = None,
               epoch: int | None = None) -> KeyParams:
    """Every step's figures for one key, resolved exactly as the single-case interpreter resolves them (`shared`: once per
    distinct set of the fields a step depends on; `epoch`: the key's epoch of the region's rules)."""
    k = KeyParams()
    if not res.in_force(p.region, p.date):
        k.cover_err = f"no policy in the set covers region {p.region} on {DAY}"  # the failing row's day (Lookups.dated)
        k.steps = {sid: Figures() for sid in steps.ids}  # pays nothing: the cover error is the row's
        return k
    live = {st.id: st for st in steps.in_force(p.region, p.date)}
    if shared is None:
        for sid in steps.ids:
            out = batch_outcome(res, live.get(sid), p, facts)  # each key resolved on its own (the reference of the shared way)
            k.steps[sid] = Figures(err=dated_words(out, p)) if isinstance(out, MissingParameter) else out
    else:
        k.steps = shared.figures(steps.ids, live, p, facts, (p.region, epoch, steps.epoch(p.region, p.date), p.date.year))
    return k


def monitoring_threshold(res: Resolver, p: Profile) -> tuple[int, str]:
    """The warning threshold in fen (NEVER if none) as Evaluator._threshold computes it, and an error if it cannot."""
    try:
        fixed = _get(res, "monitoring.threshold", p)
        share = _get(res, "monitoring.threshold_share", p)
        cands = []
        if fixed is not None:
            cands.append(fen(fixed.value))
        if share is not None:
            found = res.reference("per_capita_disposable_income", p.region, p.date.year - 1)
            if found is None:
                raise missing_income(p)
            cands.append(fen(found[0].value * share.value))
    except MissingParameter as e:  # DAY: the day of the row it fails, filled by Lookups.dated
        return NEVER, dated_words(e, p)
    except InputError as e:
        return NEVER, _err(e)
    return (int(min(cands) * 100), "") if cands else (NEVER, "")


def premium_subsidy(res: Resolver, p: Profile) -> tuple[int | None, int | None, str]:
    """(contribution, subsidy) in fen for the person-year as Evaluator._premium computes them; None when not determined."""
    if p.scheme != "resident":
        return None, None, ""
    try:
        c = _get(res, "premium.individual_contribution", p)
        amount = _get(res, "premium.subsidy", p)
        share = _get(res, "premium.subsidy_share", p)
        _get(res, "premium.fiscal_subsidy", p)
    except (MissingParameter, InputError) as e:
        return None, None, _err(e)
    if c is None:
        return None, None, ""
    contribution = fen(c.value)
    if amount is None and share is None and p.categories:
        return int(contribution * 100), None, ""  # a category is held but its subsidy is not known: not determined
    sub = max(amount.value if amount else Decimal(0), fen(contribution * share.value) if share else Decimal(0))
    sub = min(fen(sub), contribution)
    return int(contribution * 100), int(sub * 100), ""


def waiting_end(res: Resolver, p: Profile, lapsed: int, repaid: int) -> tuple[dt.date | None, str]:
    """The day the waiting period ends for enrolment starting on p.date (None: no waiting), as Evaluator._waiting does."""
    try:
        fixed = _get(res, "waiting_period.fixed_months", p)
        if fixed is None:
            return None, ""
        exempt = _get(res, "waiting_period.exempt", p)
        if exempt is not None and exempt.value:
            return None, ""
        extra = _get(res, "waiting_period.months_per_extra_lapse_year", p)
        off = _get(res, "waiting_period.months_off_per_repaid_year", p)
    except (MissingParameter, InputError) as e:
        return None, _err(e)
    variable = (extra.value if extra else 0) * max(lapsed - 1, 0)
    variable = max(variable - (off.value if off else 0) * repaid, 0)
    return add_months(p.date, int(fixed.value + variable)), ""


def tables(kps: list[KeyParams], steps: StepIndex, memo: dict | None = None) -> dict[str, dict[str, Any]]:
    """Per step: its kernel columns (numpy, one row per key; object dtype when a figure is too large for int64)."""
    return extend_tables({}, kps, steps, memo, {})


def extend_tables(T: dict[str, dict[str, Any]], new: list[KeyParams], steps: StepIndex, memo: dict | None,
                  canon: dict[str, tuple]) -> dict[str, dict[str, Any]]:
    """T with the keys `new` appended: per step, the columns of its distinct figures (scaled over every key's denominators),
    taken by each key's row among them."""
    memo = {} if memo is None else memo
    out: dict[str, dict[str, Any]] = {}
    for sid in steps.ids:
        kind = kind_of(steps.kinds[sid])
        # one Figures object per distinct set of numbers (its message and unknown flag are not the kernel's), and its row
        seen, objs, at = canon.setdefault(sid, ({}, {}, {}))
        rows = []
        for f in (k.steps[sid] for k in new):
            hit = objs.get(id(f))
            if hit is None or hit[0] is not f:  # keys share Figures objects: the numbers are hashed once per object
                c = seen.setdefault((f.on, f.d, f.q, f.x, f.starts, f.rates, f.cap), f)
                hit = objs[id(f)] = (f, at.setdefault(id(c), len(at)))
            rows.append(hit[1])
        prev = T.get(sid)
        allrows = np.array(rows, dtype=np.int64) if prev is None else np.concatenate([prev["rows"], np.array(rows, dtype=np.int64)])
        sc = scale(kind, list(seen.values()), memo)  # in the order rows were given: the denominators of all keys
        big = any(abs(v) >= SAFE for vs in sc.cols.values() for v in vs if v not in (NOCAP, PAD)) or sc.D >= SAFE or sc.rden >= SAFE
        cols = {name: np.array(vs, dtype=object if big else np.int64)[allrows] for name, vs in sc.cols.items()}
        cols["on"] = np.array(sc.on, dtype=bool)[allrows]
        out[sid] = {"scaled": sc, "cols": cols, "big": big, "rows": allrows}
    return out


def dtype_for(n: int, total: int, T: dict[str, dict[str, Any]]) -> type:
    """int64 when every intermediate product of every step provably fits, else exact Python integers (object arrays)."""
    if not n:
        return object
    year_sum = total + 1  # bounds any person-year's accumulated amounts
    if year_sum >= (1 << 43):
        return object
    for t in T.values():
        sc = t["scaled"]
        if t["big"]:
            return object
        rmax = max([max(vs) for name, vs in sc.cols.items() if name.startswith("r")] + [1])
        amount = max(2 * year_sum, PAD) * sc.D
        if amount * max(rmax * sc.nb, 2 * sc.rden, 1) * 4 >= (1 << 62):
            return object
    return np.int64


__all__ = ["KeyParams", "key_params", "monitoring_threshold", "premium_subsidy", "waiting_end", "NOCAP", "NEVER",
           "InputError", "tables", "dtype_for"]
