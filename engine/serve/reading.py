"""Reading a case from a request body: the service's limits first, then the engine's own checks and messages."""
from __future__ import annotations

import re
from decimal import InvalidOperation

from engine.core.problems import InputError
from engine.serve.errors import Refusal
from engine.serve.limits import MAX_DIGITS, LimitExceeded, check_depth, long_numeral, parse_json
from engine.settle.case import Case, case_from_data, parse_case

CASE_NAME = "request"
# Characters the YAML loader refuses or reads as line breaks, and the tab and backslash (indentation, escapes):
# a body holding any of them takes the engine's own reading, never the fast path.
_NOT_PLAIN = re.compile(r"[^\n\r\x20-\x5b\x5d-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def read_case(text: str) -> Case:
    """A checked case from the body: the engine's own checks, messages and positions (as `yibao evaluate`)."""
    try:
        data, plain = parse_json(text)
    except LimitExceeded as exc:
        raise _refusal(exc) from None
    try:
        # Fast path: valid JSON without duplicate keys and of plain characters reads the same as the engine's YAML
        # loader (tests/test_serve_case.py checks this); any refusal is re-read by the loader for the CLI's positions.
        if plain and isinstance(data, dict) and not _NOT_PLAIN.search(text):
            try:
                return case_from_data(data, CASE_NAME)
            except InputError:
                pass
        check_depth(data)  # before the YAML loader, whose composer recurses in C
        return parse_case(text, CASE_NAME)
    except LimitExceeded as exc:
        raise _refusal(exc) from None
    except InputError as exc:
        first = exc.problems[0].message if exc.problems else str(exc)
        raise Refusal(400, "serve.bad_case", exc.problems, detail=first, count=max(1, len(exc.problems))) from None
    except (InvalidOperation, ValueError, OverflowError):  # an amount the engine's decimal context cannot hold
        raise Refusal(400, "serve.number_too_long", field=long_numeral(data) or "", limit=MAX_DIGITS) from None


def _refusal(exc: LimitExceeded) -> Refusal:
    return Refusal(400, exc.key, field=exc.field, **exc.figures)
