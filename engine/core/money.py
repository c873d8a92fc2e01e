"""Exact money: Decimal yuan, half-up to the fen, formatted as two-decimal strings."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def fen(x: Decimal) -> Decimal:
    """Round half-up to the fen."""
    return x.quantize(FEN, rounding=ROUND_HALF_UP)


def money_str(x: Decimal) -> str:
    """Two-decimal string of an amount."""
    return str(fen(x))


def rate_str(x: Decimal) -> str:
    """A rate as a plain decimal string with at least two decimals (0.80, 0.05, 0.125)."""
    s = format(x.normalize(), "f")
    whole, _, frac = s.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def fen_decimal(v: int) -> Decimal:
    """Integer fen as Decimal yuan (exact: the same value, two places down)."""
    return Decimal(v).scaleb(-2)


FEN_TEXT = "%d.%02d"  # a non-negative amount of fen as text, from divmod(fen, 100): yuan, a point, two digits of fen


def fen_text(v: int) -> str:
    """An integer amount of fen as a two-decimal yuan string (exact, no Decimal)."""
    if type(v) is not int:
        v = int(v)
    return FEN_TEXT % divmod(v, 100) if v >= 0 else "-" + fen_text(-v)
