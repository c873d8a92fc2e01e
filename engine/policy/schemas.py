"""JSON Schema checks that report each error at the line and column of the offending value."""
from __future__ import annotations

import datetime as dt
import difflib
import json
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import urlparse

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, relevance

from engine.core.paths import data_dir
from engine.policy.load import Loaded
from engine.core.messages import Text
from engine.core.problems import Problem

SCHEMA_DIR = data_dir("schema")

_formats = FormatChecker()


@_formats.checks("uri", raises=ValueError)
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    u = urlparse(value)
    if u.scheme not in ("http", "https") or not u.netloc:
        raise ValueError("not an http(s) address")
    return True


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    """A validator for schema/<name>.schema.json, with formats checked."""
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_formats)


_SAME_IN_DRAFT7 = {"$id", "$ref", "$defs", "title", "description", "type", "enum", "const", "properties", "required",
                   "additionalProperties", "items", "minItems", "uniqueItems", "minLength", "minimum", "maximum", "pattern",
                   "format", "anyOf", "oneOf", "allOf", "not", "if", "then", "else", "minProperties", "default", "examples"}


def _keywords(schema: Any) -> set[str]:
    """Every keyword a schema uses (names under properties and $defs are not keywords)."""
    out: set[str] = set()
    stack = [schema]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                out.add(k)
                stack.extend(x.values() if k in ("properties", "$defs") and isinstance(x, dict) else [x])
    return out


@lru_cache(maxsize=None)
def fast_validator(name: str) -> Callable[[Any], Any] | None:
    """The same schema compiled by fastjsonschema (when installed), only to accept a valid document quickly; else None."""
    try:
        import fastjsonschema
    except ImportError:
        return None
    schema = {k: v for k, v in validator(name).schema.items() if k != "$schema"}
    if not _keywords(schema) <= _SAME_IN_DRAFT7:  # a keyword whose meaning might differ: the full check alone
        return None
    formats = {f: (lambda x, f=f: _formats.conforms(x, f)) for f in _formats.checkers}  # the same format checks
    try:
        return fastjsonschema.compile(schema, formats=formats)
    except Exception:  # noqa: BLE001 - a keyword it cannot compile: the full check alone
        return None


def jsonable(v: Any) -> Any:
    """Dates become ISO strings so the schema's `format: date` sees them; Decimals stay exact numbers."""
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _deepest(err: ValidationError) -> ValidationError:
    """For anyOf/oneOf failures, the most relevant sub-error (jsonschema's best_match idea)."""
    while err.context:
        deeper = [e for e in err.context if len(e.absolute_path) >= len(err.absolute_path)]
        if not deeper:
            break
        best = sorted(deeper, key=relevance)[-1]
        if best.validator in ("type", "enum", "const") and len(best.absolute_path) == len(err.absolute_path):
            break
        err = best
    return err


def _message(err: ValidationError) -> tuple[tuple, str]:
    path = tuple(err.absolute_path)
    inst = err.instance
    v = err.validator
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = list(err.schema.get("properties", {}))
        extra = [k for k in inst if k not in allowed]
        key = extra[0] if extra else ""
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = Text("schema.did_you_mean", close=close[0]) if close else Text("schema.allowed", allowed=", ".join(allowed))
        return path + (key,), Text("schema.unknown_key", key=key, hint=hint)
    if v == "required":
        return path, Text("schema.required", key=err.message.split(" is a required")[0])
    if v == "oneOf" and path and path[-2:-1] == ("rules",):
        effects = [k for k in ("set", "scale", "add", "remove_cap", "guardrail") if isinstance(inst, dict) and k in inst]
        if len(effects) != 1:
            return path, Text("schema.one_effect", found=effects or "none")
    if v in ("anyOf", "oneOf"):
        sub = _deepest(err)
        if sub is not err:
            return _message(sub)
        return path, Text("schema.not_allowed_here", value=_short(inst), description=err.schema.get("description", "see the schema"))
    if v == "enum":
        opts = err.validator_value
        close = difflib.get_close_matches(str(inst), [str(o) for o in opts], n=1)
        hint = Text("schema.did_you_mean", close=close[0]) if close else ""
        return path, Text("schema.not_in_enum", value=_short(inst), hint=hint)
    if v == "format":
        return path, Text("schema.format", value=_short(inst), format=err.validator_value)
    if v == "type":
        return path, Text("schema.type", value=_short(inst), type=err.validator_value)
    return path, Text("schema.other", detail=err.message)


def _short(v: Any) -> str:
    if isinstance(v, Decimal):
        return str(v)
    s = json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= 60 else s[:57] + "..."


def check(loaded: Loaded, name: str) -> list[Problem]:
    """Every schema error of a loaded document, located; the most relevant first within a place."""
    data = jsonable(loaded.data)
    fast = fast_validator(name)
    if fast is not None:  # about 15x faster when valid (tests/test_schema_gate.py: it never accepts what jsonschema refuses)
        try:
            fast(data)
            return []
        except Exception:  # noqa: BLE001 - any refusal: the full check below names every problem
            pass
    errs = sorted(validator(name).iter_errors(data), key=relevance, reverse=True)
    out: list[Problem] = []
    seen: set[tuple] = set()
    for err in errs:
        loc, msg = _message(err)
        key = (loc, msg)
        if key in seen:
            continue
        seen.add(key)
        out.append(loaded.problem(loc, msg))
    return out
