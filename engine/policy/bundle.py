"""One canonical JSON file of a whole policy set, and loading a set back from it (every malformed file refused)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from engine.core.limits import JSONLimit, strict_json
from engine.core.problems import KeyedInputError, Problem
from engine.policy import schemas
from engine.policy.load import Loaded, limit_problems
from engine.policy.model import build_document
from engine.policy.policyset import PolicySet, canonical_json
from engine.core.messages import Text, os_reason

FORMAT = "yibao-rules-bundle/2"  # the fingerprint covers the version and the documents
OLD_FORMAT = "yibao-rules-bundle/1"  # 0.1.0: the fingerprint covers the documents only; still read, never written
MAX_BUNDLE_BYTES = 50_000_000
KEYS = {"format", "version", "fingerprint", "documents"}


def bundle_data(ps: PolicySet) -> dict[str, Any]:
    """The bundle: format, release version, fingerprint (of version and documents) and every document in canonical form."""
    return {"format": FORMAT, "version": ps.version, "fingerprint": ps.fingerprint, **ps.canonical()}


def bundle_text(ps: PolicySet) -> str:
    """Byte-stable bundle text."""
    return canonical_json(bundle_data(ps)) + "\n"


def _bad(name: str, field: str, value: Any, what: str) -> KeyedInputError:
    """A bundle field with a wrong value: `what` names the message (unknown_key, string, documents, object, id)."""
    shown = canonical_json(value) if isinstance(value, (dict, list, str, int, bool)) or value is None else repr(value)
    return KeyedInputError(f"error.bundle_{what}", path=name, field=field, value=shown[:60])


def read_bundle(path: Path | str) -> dict[str, Any]:
    """The bundle's JSON data, its top level checked; KeyedInputError naming file, field and value otherwise."""
    name = str(path)
    p = Path(path)
    if p.exists() and not p.is_file():
        raise KeyedInputError("error.not_a_file", path=name)
    try:
        size = p.stat().st_size
        if size > MAX_BUNDLE_BYTES:
            raise KeyedInputError("bundle.cannot_read", path=name, why=Text("file.too_big", size=size, limit=MAX_BUNDLE_BYTES))
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyedInputError("bundle.cannot_read", path=name, why=os_reason(exc) if isinstance(exc, OSError) else Text("file.not_utf8", byte=f"{exc.object[exc.start]:02x}")) from None
    try:
        data = strict_json(text)
    except JSONLimit as exc:
        raise KeyedInputError("bundle.cannot_read", path=name, why=exc.args[0]) from None
    except ValueError as exc:  # json.JSONDecodeError
        raise KeyedInputError("bundle.cannot_read", path=name, why=Text("bundle.not_json", line=getattr(exc, "lineno", 1),
                                                                         column=getattr(exc, "colno", 1))) from None
    if not isinstance(data, dict) or data.get("format") not in (FORMAT, OLD_FORMAT):
        raise KeyedInputError("error.bundle_format", path=name, expected=FORMAT)
    for key in sorted(set(data) - KEYS):
        raise _bad(name, key, data[key], "unknown_key")
    for key in ("version", "fingerprint"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise _bad(name, key, data.get(key), "string")
    docs = data.get("documents")
    if not isinstance(docs, list) or not docs:
        raise _bad(name, "documents", docs, "documents")
    first: dict[str, int] = {}
    for i, raw in enumerate(docs):
        if not isinstance(raw, dict):
            raise _bad(name, f"documents/{i}", raw, "object")
        if not isinstance(raw.get("id"), str):
            raise _bad(name, f"documents/{i}/id", raw.get("id"), "id")
        if raw["id"] in first:
            raise KeyedInputError("error.bundle_duplicate_id", path=name, id=raw["id"], first=first[raw["id"]], second=i)
        first[raw["id"]] = i
    return data


def load_bundle(path: Path | str) -> PolicySet:
    """A policy set from a bundle file, checked against its own fingerprint (which covers its version)."""
    from engine.policy.validate import semantic_problems

    name = str(path)
    data = read_bundle(path)
    problems: list[Problem] = []
    documents, loaded = {}, {}
    for raw in data["documents"]:
        doc_name = f"{name}#{raw['id']}"
        ld = Loaded(doc_name, raw, {})
        probs = limit_problems(ld) or schemas.check(ld, "policy")
        problems += probs
        if not probs:
            loaded[doc_name] = ld
            d = build_document(raw, doc_name)
            documents[d.id] = d
    ps = PolicySet(name, documents, loaded, data["version"], problems)
    if not problems:
        ps.problems += semantic_problems(ps)
    if ps.problems:
        raise KeyedInputError("error.bundle_invalid", sorted(ps.problems), path=name)
    if (ps.fingerprint if data["format"] == FORMAT else ps.documents_fingerprint) != data["fingerprint"]:
        raise KeyedInputError("error.bundle_fingerprint", path=name, stated=data["fingerprint"], actual=ps.fingerprint)
    return ps


def file_sha256(text: str) -> str:
    """sha256 of a text, for reporting what was written."""
    return hashlib.sha256(text.encode()).hexdigest()
