"""Input limits checked before a parser or the arithmetic can fail: nesting depth, number length and size."""
from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.core.messages import Text

MAX_DEPTH = 50  # policy documents, cases and scenario files nest at most about 10 levels
MAX_NUMBER_CHARS = 40  # the longest number text accepted (far below Python's 4,300-digit int limit)
MAX_MAGNITUDE = Decimal(10) ** 15  # a thousand trillion yuan: money, counts and rates all stay below it
MIN_EXPONENT = -20  # at most 20 decimal places: 28-digit Decimal arithmetic stays exact enough and never overflows
_DECIMAL_TEXT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def number_problem(value: Any) -> tuple[str, dict[str, Any]] | None:
    """(message key, fields) when a number (int, Decimal or decimal text) is too long, too large or too fine; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        return None
    if isinstance(value, int):
        if value.bit_length() > 140:  # ~42 digits: refuse before str() could hit Python's digit limit
            digits = int(value.bit_length() * 0.30103) + 1  # never str() it: Python refuses over 4,300 digits
            return "error.number_too_long", {"value": f"({digits} digits)", "length": digits, "limit": MAX_NUMBER_CHARS}
        text = str(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            return "error.number_too_large", {"value": str(value)}
        text = str(value)
    else:
        text = value.strip()
        if not _DECIMAL_TEXT.match(text):
            return None
    if len(text) > MAX_NUMBER_CHARS:
        return "error.number_too_long", {"value": text[:20] + "…", "length": len(text), "limit": MAX_NUMBER_CHARS}
    try:
        d = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None
    if not d.is_finite() or (d != 0 and d.adjusted() >= 15):
        return "error.number_too_large", {"value": text}
    if d.as_tuple().exponent < MIN_EXPONENT:
        return "error.number_too_fine", {"value": text, "limit": -MIN_EXPONENT}
    return None


def text_depth(text: str, limit: int = MAX_DEPTH) -> tuple[int, int, int] | None:
    """(depth, line, col) of the first place where JSON brackets nest deeper than `limit`, outside strings; else None."""
    depth, line, col, in_str, esc = 0, 1, 0, False, False
    for ch in text:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return depth, line, col
        elif ch in "]}":
            depth -= 1
    return None


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"[\[{][\]}]")


def may_nest_deeper(text: str, limit: int = MAX_DEPTH) -> bool:
    """False only if JSON brackets outside strings nest at most `limit` deep (fast: regular expressions, in C); True
    also for a text whose strings do not close, which only the exact scan (`text_depth`) may read."""
    if text.count("[") + text.count("{") <= limit:
        return False
    outside = _JSON_STRING.sub("", text)
    if '"' in outside:
        return True
    brackets = _NOT_BRACKET.sub("", outside)
    for _ in range(limit):
        brackets, n = _INNERMOST.subn("", brackets)
        if not brackets:
            return False
        if not n:
            break
    return True


class JSONLimit(ValueError):
    """A JSON value outside the limits: a float, NaN, a duplicate key or a number too long."""


def _no_float(text: str) -> Any:
    raise JSONLimit(Text("limits.json_float", value=text[:40]))


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JSONLimit(Text("limits.json_long_number", value=text[:20], length=len(text), limit=MAX_NUMBER_CHARS))
    return int(text)


def _constant(name: str) -> Any:
    raise JSONLimit(Text("limits.json_not_number", value=name))


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise JSONLimit(Text("limits.json_duplicate_key", key=k))
        out[k] = v
    return out


def strict_json(text: str) -> Any:
    """Parse JSON with integers only (no floats, NaN or Infinity), no duplicate keys, bounded numbers and depth."""
    deep = text_depth(text) if may_nest_deeper(text) else None
    if deep:
        raise JSONLimit(Text("limits.json_too_deep", line=deep[1], column=deep[2], depth=deep[0], limit=MAX_DEPTH))
    return json.loads(text, parse_float=_no_float, parse_int=_int, parse_constant=_constant, object_pairs_hook=_pairs)
