"""The service's input limits, in one place, checked before the engine reads a case."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from engine.policy.load import MAX_BYTES

# The body limit is the CLI's file limit (engine.policy.load.MAX_BYTES): a case the CLI can read, the service can read.
MAX_BODY_BYTES = MAX_BYTES
# JSON nesting: a case is four levels deep at most (case > encounters > encounter > field); generous headroom.
MAX_DEPTH = 32
# Encounters in one case (one person, one calendar year).
MAX_ENCOUNTERS = 1000
# Digits of a numeral (a JSON number, or a string of digits): 10^15 yuan is far beyond any cost, and the engine's
# decimal context (28 significant digits) cannot quantize much larger amounts to the fen.
MAX_DIGITS = 15
MAX_EXPONENT = 6
# The engine caches every resolution it makes (by region, date epoch, year, categories, tier, ...): a stream of cases
# with ever new tiers or years would grow that cache without end, so each served set starts afresh after this many
# settlements (about 18 KB a settlement at worst, measured; typical traffic re-warms in a few hundred resolutions).
REFRESH_EVERY = 10_000


class LimitExceeded(Exception):
    """A body over one of the limits: which one, where (a field path) and the figures for the message."""

    def __init__(self, key: str, field: str = "", **figures: Any) -> None:
        super().__init__(key)
        self.key, self.field, self.figures = key, field, figures


class _Duplicate(Exception):
    """A JSON object naming a key twice: left to the engine's loader, which reports it with its line."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate()
    return out


def _constant(name: str) -> Any:
    raise LimitExceeded("serve.bad_json", detail=f"{name} is not a number JSON allows", line=1, col=1)


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise LimitExceeded("serve.number_too_long", value=text[:40], limit=MAX_DIGITS)
    return int(text)


def _decimal(text: str) -> Decimal:
    v = Decimal(text)
    if v.adjusted() >= MAX_DIGITS or abs(int(v.as_tuple().exponent)) > MAX_DIGITS + MAX_EXPONENT:
        raise LimitExceeded("serve.number_too_long", value=text[:40], limit=MAX_DIGITS)
    return v


def parse_json(text: str) -> tuple[Any, bool]:
    """The body as data (numbers exact, bounded as read) and whether no key is named twice; LimitExceeded if refused."""
    plain = True
    try:
        try:
            data = json.loads(text, parse_float=_decimal, parse_int=_int, parse_constant=_constant, object_pairs_hook=_pairs)
        except _Duplicate:
            data = json.loads(text, parse_float=_decimal, parse_int=_int, parse_constant=_constant)
            plain = False
    except RecursionError:
        raise LimitExceeded("serve.too_deep", limit=MAX_DEPTH) from None
    except json.JSONDecodeError as exc:
        raise LimitExceeded("serve.bad_json", detail=exc.msg, line=exc.lineno, col=exc.colno) from None
    if isinstance(data, dict) and isinstance(data.get("encounters"), list) and len(data["encounters"]) > MAX_ENCOUNTERS:
        raise LimitExceeded("serve.too_many_encounters", "encounters", count=len(data["encounters"]), limit=MAX_ENCOUNTERS)
    return data, plain


def check_depth(data: Any) -> None:
    """LimitExceeded past MAX_DEPTH levels (walked without recursion)."""
    _walk(data, lambda v: False)


def _digits_too_long(v: Any) -> bool:
    """A string of digits the engine would read as an amount too large for its decimal context."""
    if not isinstance(v, str):
        return False
    head = v.split(".", 1)[0]
    return head.isdigit() and len(head) > MAX_DIGITS


def long_numeral(data: Any) -> str | None:
    """The field path of the first string of too many digits, to name when the engine could not read an amount."""
    return _walk(data, _digits_too_long)


def _walk(data: Any, test: Any) -> str | None:
    """The path of the first leaf (in document order) that `test` flags; LimitExceeded past MAX_DEPTH."""
    stack: list[tuple[Any, tuple, int]] = [(data, (), 0)]
    while stack:
        v, loc, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise LimitExceeded("serve.too_deep", "/".join(map(str, loc[:8])) + "/...", limit=MAX_DEPTH)
        if isinstance(v, dict):
            stack.extend(reversed([(x, loc + (k,), depth + 1) for k, x in v.items()]))
        elif isinstance(v, list):
            stack.extend(reversed([(x, loc + (i,), depth + 1) for i, x in enumerate(v)]))
        elif test(v):
            return "/".join(map(str, loc))
    return None
