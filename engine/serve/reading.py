"""Reading a case from a request body: the engine's own limits, checks and messages (as `yibao evaluate`), fast."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from engine.core.limits import MAX_DEPTH, number_problem, text_depth
from engine.core.problems import InputError
from engine.serve.errors import Refusal
from engine.serve.limits import MAX_ENCOUNTERS, MAX_PROBLEMS
from engine.settle.case import Case, case_from_data, parse_case

CASE_NAME = "request"
# Characters the YAML loader refuses or reads as line breaks, and the tab and backslash (indentation, escapes):
# a body holding any of them takes the engine's own reading, never the fast path.
_NOT_PLAIN = re.compile(r"[^\n\r\x20-\x5b\x5d-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _EngineReads(Exception):
    """Something the engine's loader refuses (a number past its limits, a key named twice): left to it, for its message."""


def _int(text: str) -> int:
    if number_problem(text):
        raise _EngineReads()
    return int(text)


def _decimal(text: str) -> Decimal:
    if number_problem(text):
        raise _EngineReads()
    return Decimal(text)


def _constant(name: str) -> Any:
    raise Refusal(400, "serve.bad_json", detail=f"{name} is not a number JSON allows", line=1, col=1)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _EngineReads()
    return out


def _too_deep(text: str) -> bool:
    """Nested past the engine's MAX_DEPTH (the exact scan only when there are more brackets than that at all)."""
    return text.count("[") + text.count("{") > MAX_DEPTH and text_depth(text) is not None


def _bounded(count: int) -> None:
    if count > MAX_ENCOUNTERS:
        raise Refusal(400, "serve.too_many_encounters", field="encounters", count=count, limit=MAX_ENCOUNTERS)


def read_case(text: str) -> Case:
    """A checked case from the body: the engine's own limits, checks, messages and positions (as `yibao evaluate`)."""
    if _too_deep(text):  # before json.loads, which recurses
        return _engine_read(text)
    try:
        data = json.loads(text, parse_float=_decimal, parse_int=_int, parse_constant=_constant, object_pairs_hook=_pairs)
    except _EngineReads:
        return _engine_read(text)
    except json.JSONDecodeError as exc:
        raise Refusal(400, "serve.bad_json", detail=exc.msg, line=exc.lineno, col=exc.colno) from None
    if isinstance(data, dict) and isinstance(data.get("encounters"), list):
        _bounded(len(data["encounters"]))
    # Fast path: valid JSON within the engine's limits and of plain characters reads the same as the engine's YAML
    # loader (tests/test_serve_case.py checks this); any refusal is re-read by the loader for the CLI's positions.
    if isinstance(data, dict) and not _NOT_PLAIN.search(text):
        try:
            return case_from_data(data, CASE_NAME)
        except InputError:
            pass
    return _engine_read(text)


def _engine_read(text: str) -> Case:
    """The case as the CLI reads a file (engine.settle.case.parse_case), its problems as a 400 `bad_case`."""
    try:
        case = parse_case(text, CASE_NAME)
    except InputError as exc:
        first = exc.problems[0].message if exc.problems else str(exc)
        raise Refusal(400, "serve.bad_case", exc.problems[:MAX_PROBLEMS], detail=first, count=max(1, len(exc.problems))) from None
    _bounded(len(case.encounters))
    return case
