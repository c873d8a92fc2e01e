"""Reading a case from a request body: the engine's own limits, checks and messages (as `yibao evaluate`), fast."""
from __future__ import annotations

import json
from typing import Any

from engine.core.problems import InputError
from engine.policy.load import NotPlain, plain_json
from engine.serve.errors import Refusal
from engine.serve.limits import MAX_ENCOUNTERS, MAX_PROBLEMS
from engine.settle.case import Case, case_from_data, parse_case

CASE_NAME = "request"


def _constant(name: str) -> Any:
    raise Refusal(400, "serve.bad_json", detail=f"{name} is not a number JSON allows", line=1, col=1)


def _bounded(count: int) -> None:
    if count > MAX_ENCOUNTERS:
        raise Refusal(400, "serve.too_many_encounters", field="encounters", count=count, limit=MAX_ENCOUNTERS)


def read_case(text: str) -> Case:
    """A checked case from the body: the engine's own limits, checks, messages and positions (as `yibao evaluate`)."""
    try:
        data = plain_json(text, constant=_constant)
    except NotPlain:
        return _engine_read(text)
    except json.JSONDecodeError as exc:
        raise Refusal(400, "serve.bad_json", detail=exc.msg, line=exc.lineno, col=exc.colno) from None
    if isinstance(data, dict) and isinstance(data.get("encounters"), list):
        _bounded(len(data["encounters"]))
    # Fast path: plain JSON reads the same as the engine's YAML loader (tests/test_serve_case.py checks this);
    # any refusal is re-read by the loader for the CLI's positions.
    if isinstance(data, dict):
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
