"""JSON Schema checks that report each error at the line and column of the offending value."""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import marshal
import os
import re
import sys
import tempfile
from decimal import Decimal
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlparse

from engine.core.paths import data_dir
from engine.policy.load import Loaded
from engine.core.messages import Text
from engine.core.problems import Problem

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.exceptions import ValidationError

SCHEMA_DIR = data_dir("schema")

def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    u = urlparse(value)
    if u.scheme not in ("http", "https") or not u.netloc:
        raise ValueError("not an http(s) address")
    return True


@lru_cache(maxsize=None)
def schema_text(name: str) -> str:
    """The text of schema/<name>.schema.json."""
    return (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def validator(name: str) -> "Draft202012Validator":
    """A validator for schema/<name>.schema.json, with formats checked (built when first needed: it costs 0.1 s)."""
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_text(name))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=format_checker())


@lru_cache(maxsize=None)
def format_checker() -> "FormatChecker":
    """jsonschema's format checks, with `uri` meaning an http(s) address."""
    from jsonschema import FormatChecker

    checker = FormatChecker()
    checker.checks("uri", raises=ValueError)(_is_uri)
    return checker


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)  # jsonschema's own `date` check, written here so the gate needs no jsonschema


def _gate_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        return bool(_DATE.fullmatch(value) and dt.date.fromisoformat(value))
    except ValueError:
        return False


def _gate_uri(value: object) -> bool:
    try:
        return _is_uri(value)
    except ValueError:
        return False


GATE_FORMATS: dict[str, Callable[[Any], bool]] = {"date": _gate_date, "uri": _gate_uri}


def _nodes(schema: Any) -> Any:
    """Every schema object within a schema (under properties and $defs, the values, not the names)."""
    stack = [schema]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            yield v
            for k, x in v.items():
                stack.extend(x.values() if k in ("properties", "$defs") and isinstance(x, dict) else [x])


def _formats_used(schema: Any) -> set[str]:
    """The names every `format` keyword of a schema asks for."""
    return {v["format"] for v in _nodes(schema) if isinstance(v.get("format"), str)}


_SAME_IN_DRAFT7 = {"$id", "$ref", "$defs", "title", "description", "type", "enum", "const", "properties", "required",
                   "additionalProperties", "items", "minItems", "uniqueItems", "minLength", "minimum", "maximum", "pattern",
                   "format", "anyOf", "oneOf", "allOf", "not", "if", "then", "else", "minProperties", "default", "examples"}


def _keywords(schema: Any) -> set[str]:
    """Every keyword a schema uses (names under properties and $defs are not keywords)."""
    return {k for v in _nodes(schema) for k in v}


def cache_dir() -> Path | None:
    """The user cache folder: $YIBAO_CACHE_DIR, else $XDG_CACHE_HOME/yibao-rules or ~/.cache/yibao-rules; None if set empty."""
    env = os.environ.get("YIBAO_CACHE_DIR")
    if env is not None:
        return Path(env) if env else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "yibao-rules"


def _cached_code(key: str, path: Path | None) -> Any:
    """The code object stored under `key` at `path`, or None (absent, another key, unreadable)."""
    if path is None:
        return None
    try:
        stored, code = marshal.loads(path.read_bytes())
    except Exception:  # noqa: BLE001 - absent, truncated or foreign: compile afresh
        return None
    return code if stored == key else None


def _store_code(key: str, path: Path | None, code: Any) -> None:
    """Keep the compiled code for the next process; silently skipped if it cannot."""
    if path is not None:
        cache_write(path, marshal.dumps((key, code)))


def cache_write(path: Path, data: bytes) -> bool:
    """Write a file of the cache folder (a temporary file, renamed); False, and nothing left behind, if it cannot."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


@lru_cache(maxsize=None)
def fast_validator(name: str) -> Callable[[Any], Any] | None:
    """The same schema compiled by fastjsonschema (when installed), only to accept a valid document quickly; else None.

    Compiling takes about 0.3 s, so the compiled code is kept in the user cache folder under a key made of the schema's
    text, fastjsonschema's version, the format names and the Python bytecode tag (the way Python keeps .pyc files).
    """
    try:
        import fastjsonschema
        from fastjsonschema.ref_resolver import RefResolver
    except ImportError:
        return None
    text = schema_text(name)
    schema = {k: v for k, v in json.loads(text).items() if k != "$schema"}
    if not _keywords(schema) <= _SAME_IN_DRAFT7:  # a keyword whose meaning might differ: the full check alone
        return None
    if not _formats_used(schema) <= set(GATE_FORMATS):  # a format the gate does not check as jsonschema does
        return None
    formats = GATE_FORMATS  # the same checks as jsonschema's (tests/test_schema_gate.py)
    tag = sys.implementation.cache_tag or "none"
    key = hashlib.sha256("\0".join(["yibao-schema-gate-2", fastjsonschema.VERSION, tag, ",".join(sorted(formats)), text])
                         .encode("utf-8")).hexdigest()
    folder = cache_dir()
    path = folder / f"schema-gate-{name}-{key[:24]}.{tag}.marshal" if folder is not None and tag != "none" else None
    try:
        code = _cached_code(key, path)
        if code is None:
            validator(name)  # the schema itself is checked against its meta-schema before it is compiled
            code = compile(fastjsonschema.compile_to_code(schema, formats=formats), f"<schema gate {name}>", "exec")
            _store_code(key, path, code)
        scope: dict[str, Any] = {}
        exec(code, scope)  # noqa: S102 - code generated by fastjsonschema from our own schema
        func = scope[RefResolver.from_schema(schema, handlers={}, store={}).get_scope_name()]
    except Exception:  # noqa: BLE001 - a keyword it cannot compile: the full check alone
        return None
    return partial(func, custom_formats=formats) if formats else func


def jsonable(v: Any) -> Any:
    """Dates become ISO strings so the schema's `format: date` sees them; Decimals stay exact numbers."""
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _deepest(err: "ValidationError") -> "ValidationError":
    """For anyOf/oneOf failures, the most relevant sub-error (jsonschema's best_match idea)."""
    while err.context:
        deeper = [e for e in err.context if len(e.absolute_path) >= len(err.absolute_path)]
        if not deeper:
            break
        best = sorted(deeper, key=_relevance())[-1]
        if best.validator in ("type", "enum", "const") and len(best.absolute_path) == len(err.absolute_path):
            break
        err = best
    return err


def _message(err: "ValidationError") -> tuple[tuple, str]:
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


def _relevance() -> Callable[[Any], Any]:
    """jsonschema's ordering of errors by relevance (imported with the full check)."""
    from jsonschema.exceptions import relevance

    return relevance


def _short(v: Any) -> str:
    if isinstance(v, Decimal):
        return str(v)
    s = json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= 60 else s[:57] + "..."


def check(loaded: Loaded, name: str, dates: bool = True) -> list[Problem]:
    """Every schema error of a loaded document, located; the most relevant first within a place (`dates=False`: the
    data holds no date objects to write as text, as JSON never does)."""
    data = jsonable(loaded.data) if dates else loaded.data
    fast = fast_validator(name)
    if fast is not None:  # about 15x faster when valid (tests/test_schema_gate.py: it never accepts what jsonschema refuses)
        try:
            fast(data)
            return []
        except Exception:  # noqa: BLE001 - any refusal: the full check below names every problem
            pass
    errs = sorted(validator(name).iter_errors(data), key=_relevance(), reverse=True)
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
