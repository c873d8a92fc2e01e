"""Refusals as JSON: a status, a stable code, a message in the caller's language and the engine's problems."""
from __future__ import annotations

from typing import Any

from engine.core.messages import msg, tr
from engine.core.problems import Problem


class Refusal(Exception):
    """A request the service refuses: HTTP status, catalogue key (its code) and the fields of its message."""

    def __init__(self, status: int, key: str, problems: list[Problem] | None = None, field: str = "", **fields: Any) -> None:
        super().__init__(key)
        self.status, self.key, self.problems, self.field, self.fields = status, key, problems or [], field, fields


def problem_json(p: Problem, lang: str = "zh") -> dict[str, Any]:
    """One engine problem as JSON: where (path, line, col, field), what (in `lang`) and its stable code."""
    return {"path": p.path, "line": p.line, "col": p.col, "field": p.field, "message": tr(p.message, lang), "code": p.code}


def refusal_body(r: Refusal, lang: str) -> dict[str, Any]:
    """The JSON body of a refusal."""
    err: dict[str, Any] = {"status": r.status, "code": r.key.removeprefix("serve."), "message": msg(r.key, lang, **r.fields)}
    if r.field:
        err["field"] = r.field
    if "request_id" in r.fields:
        err["request_id"] = r.fields["request_id"]
    if r.problems:
        err["problems"] = [problem_json(p, lang) for p in r.problems]
    return {"error": err}
