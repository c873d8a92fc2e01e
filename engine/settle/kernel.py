"""The payment arithmetic, written once: every step kind on integer fen, for one encounter of one or many person-years."""
# The same functions run on Python integers (a single case, encounter by encounter) and on numpy arrays (a batch, the
# k-th encounters of many person-years at once): `xp` is the namespace, SCALAR or numpy. Amounts are integer fen;
# deductibles, share limits and ceilings may have parts of a fen, so a step's amounts are held in units of 1/D fen
# (D the common denominator of its figures) and its rates as numerators over one denominator. Rounding happens once,
# in `half_up`, when a step's payment is fixed.
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

NOCAP = 1 << 62  # fen sentinel: no annual cap (none set, removed, or missing and not applied)
PAD = 1 << 44    # fen: start of an unused band (never reached)
MAX_BANDS = 8


class Scalar:
    """The array namespace for plain Python integers (a single case)."""

    maximum = staticmethod(max)
    minimum = staticmethod(min)

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b


SCALAR = Scalar()


class NotWholeFen(Exception):
    """A cap or band boundary with parts of a fen, or more bands than the kernel takes."""


def half_up(num: Any, den: Any) -> Any:
    """num/den rounded half-up, num >= 0, den > 0: the one rounding of the payment arithmetic."""
    return (2 * num + den) // (2 * den)


@dataclass(frozen=True)
class Kind:
    """A step's arithmetic (from its declaration): the same for every encounter the step settles."""

    id: str
    base: str
    accumulation: str
    deductible: str
    share_limit: bool
    ceiling: bool


@dataclass
class Figures:
    """One step's figures for one encounter key, exact (fractions of a fen), or why it does not pay."""

    on: bool = False
    d: Fraction = Fraction(0)           # deductible, fen
    q: Fraction = Fraction(1)           # share of the bill counted at most
    x: Fraction = Fraction(0)           # ceiling: share of the bill the person pays at most
    starts: tuple[int, ...] = (0,)      # band starts, whole fen above the deductible
    rates: tuple[Fraction, ...] = (Fraction(0),)
    cap: int = NOCAP                    # annual cap, whole fen
    err: str = ""
    unknown: bool = False               # a rule reaches the person but the key figure is missing: not computed (null)


def whole_fen(x: Any, what: str) -> int:
    """A yuan amount as whole fen; NotWholeFen if it has parts of a fen."""
    f = Fraction(Decimal(x)) * 100
    if f.denominator != 1:
        raise NotWholeFen(f"{what} {x} is not a whole number of fen")
    return int(f)


@lru_cache(maxsize=8192)
def figures(kind: Kind, deductible: Any, rate: Any, share: Any, ceiling: Any, cap: Any) -> Figures:
    """Exact figures of a step that pays, from resolved values (yuan, rates, bands as ((from, rate), ...), None); the same
    values give the same object (never changed once made), so equal figures are converted and tabled once."""
    f = Figures(on=True)
    if deductible is not None:
        f.d = Fraction(Decimal(deductible)) * 100
    if share is not None:
        f.q = Fraction(Decimal(share))
    if kind.ceiling:
        f.x = Fraction(Decimal(ceiling))
        rate = Decimal(1)
    bands = rate if isinstance(rate, tuple) else ((Decimal(0), rate),)
    if len(bands) > MAX_BANDS:
        raise NotWholeFen(f"{kind.id}.rate has {len(bands)} bands; at most {MAX_BANDS} are taken")
    f.starts = tuple(whole_fen(b[0], f"{kind.id} band start") for b in bands)
    f.rates = tuple(Fraction(Decimal(b[1])) for b in bands)
    f.cap = NOCAP if cap is None else whole_fen(cap, f"{kind.id}.annual_cap")
    return f


@dataclass
class Scaled:
    """A step's figures for many keys as integers over common denominators: amounts x D, rates over `rden`."""

    kind: Kind
    D: int
    rden: int
    nb: int
    cols: dict[str, list[int]]
    on: list[bool]
    rows: list[dict[str, int]]  # the same figures row by row (a single case reads one row per encounter)
    never: bool = False         # no row pays: the step is off for every key


def scale(kind: Kind, figs: list[Figures], memo: dict | None = None) -> Scaled:
    """Integer columns of a step's figures (one row per key) over one D and one rate denominator; `memo` keeps rows."""
    # `memo` is keyed by id(Figures) and keeps each Figures beside its row, so an id reused after one is freed never hits
    uniq = {id(f): f for f in figs}  # figures are shared between encounters of one key: convert each once
    live = [f for f in uniq.values() if f.on]
    D = math.lcm(1, *(g.denominator for f in live for g in (f.d, f.q, f.x)))
    rden = math.lcm(1, *(r.denominator for f in live for r in f.rates))
    nb = max([len(f.rates) for f in live] + [1])
    rows: dict[int, tuple[int, ...]] = {}
    memo = {} if memo is None else memo
    for key, f in uniq.items():
        hit = memo.get((key, D, rden, nb))
        if hit is not None and hit[0] is f:  # the same object, not another one that took a freed one's id
            rows[key] = hit[1]
            continue
        g = f if f.on else Figures()
        rows[key] = (int(g.d * D), int(g.q * D), int(g.x * D), g.cap,
                     *(g.starts[b] if b < len(g.starts) else PAD for b in range(nb)),
                     *(int(g.rates[b] * rden) if b < len(g.rates) else 0 for b in range(nb)))
        memo[(key, D, rden, nb)] = (f, rows[key])
    names = ["d", "q", "x", "cap", *(f"s{b}" for b in range(nb)), *(f"r{b}" for b in range(nb))]
    table = [rows[id(f)] for f in figs]
    cols = {name: [r[j] for r in table] for j, name in enumerate(names)}
    dicts = {key: dict(zip(names, r)) for key, r in rows.items()}
    return Scaled(kind, D, rden, nb, cols, [f.on for f in figs], [dicts[id(f)] for f in figs], not live)


def base_amount(base: str, ins: Any, oos: Any, rest: Any) -> Any:
    """What a step pays on: the in-scope cost still owed, the out-of-scope cost still owed, or all the person owes."""
    if base == "in_scope":
        return ins
    if base == "out_of_scope":
        return oos
    return ins + oos + rest


def pay(xp: Any, k: Kind, D: int, rden: int, nb: int, p: dict[str, Any], on: Any, owed: tuple, total: Any,
        acc: tuple) -> tuple[Any, tuple, dict[str, Any]]:
    """One step for one encounter (of each person-year): its payment in fen, the year's new accumulators, the figures used."""
    # owed = (in-scope, out-of-scope, other) fen still owed; acc = (A: counted base this year, Y: amounts above the
    # deductible this year, both x D; paid this year, fen)
    A, Y, paid = acc
    B = base_amount(k.base, *owed)
    C = B * D if D != 1 else B
    if k.share_limit:                       # at most share x bill counted
        C = xp.minimum(C, p["q"] * total)
    d = p["x"] * total if k.ceiling else p["d"]   # the ceiling form: the person keeps x of the bill
    A1 = A + C
    if k.deductible == "year":              # met once a year by the accumulated base
        above_b = xp.maximum(A - d, 0)
        above_a = xp.maximum(A1 - d, 0)
    elif k.deductible == "encounter" or k.ceiling:
        above_b = 0
        above_a = xp.maximum(C - d, 0)
    else:                                   # no deductible
        above_b, above_a = 0, C
    inc = above_a - above_b
    if k.accumulation == "year":            # bands on the year's accumulated amount above the deductible
        lo = above_b if k.deductible == "year" else Y
    else:                                   # bands restart at every encounter
        lo = 0
    hi = lo + inc
    raw = p["r0"] * inc if nb == 1 else 0   # one rate: on everything above the deductible
    for b in range(nb if nb > 1 else 0):    # marginal bands: each rate on the part inside its band only
        top = hi if b + 1 == nb else xp.minimum(hi, p[f"s{b + 1}"] * D)
        bottom = lo if b == 0 else xp.maximum(lo, p[f"s{b}"] * D)  # bands start at 0 (checked)
        raw = raw + p[f"r{b}"] * xp.maximum(top - bottom, 0)
    due = half_up(raw, D * rden)
    cap = p["cap"]
    left = cap - paid
    limit = B if isinstance(cap, int) and cap == NOCAP else xp.minimum(left, B)
    amount = xp.maximum(xp.minimum(due, limit), 0)
    if on is not True:
        amount = xp.where(on, amount, 0)
    return amount, (A1, Y + inc, paid + amount), {"B": B, "C": C, "A": A, "d": d, "lo": lo, "hi": hi, "due": due,
                                                       "left": left, "total": total}


def after(base: str, amount: Any, ins: Any, oos: Any, rest: Any, xp: Any) -> tuple[Any, Any, Any]:
    """What is still owed after a step paid `amount` on its base (a self-pay step reduces the in-scope part first)."""
    if base == "in_scope":
        return ins - amount, oos, rest
    if base == "out_of_scope":
        return ins, oos - amount, rest
    a = xp.minimum(amount, ins)
    b = xp.minimum(amount - a, oos)
    return ins - a, oos - b, rest - (amount - a - b)


def kind_of(step: Any) -> Kind:
    """The kernel's Kind of a declared step."""
    return Kind(step.id, step.base, step.accumulation, step.deductible, step.share_limit, step.ceiling)


def overlaps(a: str, b: str) -> bool:
    """True if two steps' bases share money: the same base, or either is the whole remaining self-pay."""
    return a == b or "self_pay" in (a, b)


def not_known(direct: Any, earlier: Any, yearly: Any, on: Any, owe: Any, pays: Any) -> Any:
    """Whether a part is not known (scalars or arrays): its own key figure is missing while something is owed on its
    base; or it pays on what an uncomputed earlier part left and would pay something even on the most that part could
    leave; or it was not computed earlier in the year and something is owed on its base now."""
    return (direct & owe) | (earlier & on & pays) | (yearly & on & owe)

