"""Parameters of one batch key, resolved once by the engine's Resolver and turned into exact integer ratios (fen)."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from engine.settle.evaluate import add_months, describe_person, missing_income, missing_reference
from engine.core.money import fen
from engine.core.problems import InputError, MissingParameter
from engine.policy.resolve import Profile, ReferenceMissing, Resolver, as_bands, matches

NOCAP = 1 << 62  # fen sentinel: no cap applied (none set, or cap missing: both mean "not applied" in the interpreter)
NEVER = 1 << 62  # fen sentinel: no warning threshold
MAX_BANDS = 4
SAFE = 1 << 40   # parameters (scaled) above this take the exact Python-integer path
PAD = 1 << 44    # fen: start of an unused serious-illness band (never reached on the int64 path)


class NotWholeFen(Exception):
    """A cap or band boundary with parts of a fen: the batch's integer path cannot represent it."""


def _ratio(x: Any, scale: int = 1) -> tuple[int, int]:
    f = Fraction(Decimal(x)) * scale
    return f.numerator, f.denominator


def _whole_fen(x: Any, what: str) -> int:
    f = Fraction(Decimal(x)) * 100
    if f.denominator != 1:
        raise NotWholeFen(f"{what} {x} is not a whole number of fen")
    return int(f)


@dataclass
class KeyParams:
    """Integer parameters of one (region, epoch, year, categories, scheme, tier, type, level) key, amounts in fen."""

    cover_err: str = ""
    basic_err: str = ""
    si_err: str = ""
    ma_err: str = ""
    bd: tuple[int, int] = (0, 1)      # 100 x deductible as num/den
    br: tuple[int, int] = (0, 1)      # rate as num/den
    b_cap: int = NOCAP
    si_on: bool = False
    st: tuple[int, int] = (0, 1)      # 100 x threshold
    s_starts: list[int] = field(default_factory=lambda: [0])   # band starts in fen above the threshold
    s_rates: list[int] = field(default_factory=lambda: [0])    # band rate numerators over s_den
    s_den: int = 1
    s_cap: int = NOCAP
    ma_on: bool = False
    md: tuple[int, int] = (0, 1)
    mr: tuple[int, int] = (0, 1)
    m_cap: int = NOCAP
    ma_missing: bool = False          # a medical-assistance rule reaches the person but no rate is in force: not computed


def _need(res: Resolver, name: str, p: Profile) -> Any:
    rv = _get(res, name, p)
    if rv is None or rv.value is None:
        raise MissingParameter(name, describe_person(p), p.date.isoformat(), p.region)
    return rv.value


def _get(res: Resolver, name: str, p: Profile) -> Any:
    try:
        return res.resolve(name, p)
    except ReferenceMissing as e:
        raise missing_reference(name, p, e) from e


def _cap(res: Resolver, name: str, p: Profile) -> int:
    rv = _get(res, name, p)
    if rv is None or rv.value is None:
        return NOCAP
    return _whole_fen(rv.value, name)


def _err(exc: Exception) -> str:
    if isinstance(exc, MissingParameter):
        return f"missing value: {exc}: {exc.hint}"
    return str(exc)


def _deductible_rate(res: Resolver, prefix: str, p: Profile) -> tuple[tuple[int, int], tuple[int, int]]:
    """100 x `prefix`.deductible and `prefix`.rate as num/den; MissingParameter when either has no value."""
    d = _need(res, f"{prefix}.deductible", p)
    r = _need(res, f"{prefix}.rate", p)
    return _ratio(d, 100), _ratio(r)


def key_params(res: Resolver, p: Profile) -> KeyParams:
    """Resolve everything one encounter needs, exactly as Evaluator._encounter does, into integers."""
    k = KeyParams()
    if not res.in_force(p.region, p.date):
        k.cover_err = f"no policy in the set covers region {p.region} on {p.date}"
        return k
    et = p.encounter_type
    try:
        k.bd, k.br = _deductible_rate(res, f"basic_insurance.{et}", p)
        k.b_cap = _cap(res, "basic_insurance.annual_cap", p)
    except (MissingParameter, NotWholeFen) as e:
        k.basic_err = _err(e)
    try:
        if _get(res, "serious_illness.rate", p) is not None:
            k.si_on = True
            t = _need(res, "serious_illness.threshold", p)
            rate = _need(res, "serious_illness.rate", p)
            bands = as_bands(rate)
            if len(bands) > MAX_BANDS:
                raise NotWholeFen(f"serious_illness.rate has {len(bands)} bands; the batch handles at most {MAX_BANDS}")
            k.st = _ratio(t, 100)
            fr = [Fraction(Decimal(b[1])) for b in bands]
            den = math.lcm(1, *(f.denominator for f in fr))
            k.s_den = den
            k.s_rates = [int(f * den) for f in fr]
            k.s_starts = [_whole_fen(b[0], "serious_illness band start") for b in bands]
            k.s_cap = _cap(res, "serious_illness.annual_cap", p)
    except (MissingParameter, NotWholeFen) as e:
        k.si_err = _err(e)
    try:
        if _get(res, "medical_assistance.rate", p) is not None:
            k.ma_on = True
            k.md, k.mr = _deductible_rate(res, "medical_assistance", p)
            k.m_cap = _cap(res, "medical_assistance.annual_cap", p)
    except (MissingParameter, NotWholeFen) as e:
        k.ma_err = _err(e)
    k.ma_missing = not k.ma_on and not k.ma_err and _reaches(res, "medical_assistance", p)
    return k


def _reaches(res: Resolver, tier: str, p: Profile) -> bool:
    """True if a rule of the tier (a value or a guardrail) is in force for this person (as Evaluator.reaches)."""
    return any(name.startswith(tier + ".") and matches(r, p) and (not r.who.categories or set(r.who.categories) & p.categories)
               for name, rules in res.in_force(p.region, p.date).items() for r in rules)


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
    except MissingParameter as e:
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
    except MissingParameter as e:
        return None, None, _err(e)
    if c is None:
        return None, None, ""
    contribution = fen(c.value)
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
    except MissingParameter as e:
        return None, _err(e)
    variable = (extra.value if extra else 0) * max(lapsed - 1, 0)
    variable = max(variable - (off.value if off else 0) * repaid, 0)
    return add_months(p.date, int(fixed.value + variable)), ""


def tables(kps: list[KeyParams]) -> dict:
    """Per-key integer columns (numpy), object dtype when a value is too large for the int64 path."""
    nb = max([len(k.s_rates) for k in kps] + [1])
    t: dict = {"nb": nb}
    cols = {
        "bd_num": [k.bd[0] for k in kps], "bd_den": [k.bd[1] for k in kps], "br_num": [k.br[0] for k in kps], "br_den": [k.br[1] for k in kps],
        "b_cap": [k.b_cap for k in kps], "st_num": [k.st[0] for k in kps], "st_den": [k.st[1] for k in kps], "s_den": [k.s_den for k in kps],
        "s_cap": [k.s_cap for k in kps], "md_num": [k.md[0] for k in kps], "md_den": [k.md[1] for k in kps], "mr_num": [k.mr[0] for k in kps],
        "mr_den": [k.mr[1] for k in kps], "m_cap": [k.m_cap for k in kps],
    }
    for b in range(nb):
        cols[f"s_start{b}"] = [k.s_starts[b] if b < len(k.s_starts) else PAD for k in kps]
        cols[f"s_rate{b}"] = [k.s_rates[b] if b < len(k.s_rates) else 0 for k in kps]
    big = any(abs(v) >= SAFE for vs in cols.values() for v in vs if v not in (NOCAP, PAD))
    for name, vs in cols.items():
        t[name] = np.array(vs, dtype=object if big else np.int64)
    t["si_on"] = np.array([k.si_on and not k.si_err for k in kps], dtype=bool)
    t["ma_on"] = np.array([k.ma_on and not k.ma_err for k in kps], dtype=bool)
    t["ma_missing"] = np.array([k.ma_missing for k in kps], dtype=bool)
    return t


def dtype_for(n: int, total: int, g: dict, nb: int) -> type:
    """int64 when every intermediate product provably fits, else exact Python integers (object arrays)."""
    if not n or g["bd_num"].dtype == object:
        return object
    year_sum = total + 1  # bounds any person-year's accumulated amounts
    m = {k: max(int(g[k].max()), 1) for k in ("bd_den", "br_num", "br_den", "st_den", "s_den", "md_den", "mr_num", "mr_den")}
    rmax = max(max(int(g[f"s_rate{b}"].max()), 1) for b in range(nb))
    worst = max(m["bd_den"] * max(m["br_num"], m["br_den"]), m["st_den"] * max(rmax * nb, m["s_den"]) * 2,
                m["md_den"] * max(m["mr_num"], m["mr_den"]) * 2)
    fits = year_sum < (1 << 43) and (year_sum + PAD) * worst * 4 < (1 << 62)
    return np.int64 if fits else object


__all__ = ["KeyParams", "key_params", "monitoring_threshold", "premium_subsidy", "waiting_end", "NOCAP", "NEVER",
           "InputError"]
