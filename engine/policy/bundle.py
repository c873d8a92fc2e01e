"""One canonical JSON file of a whole policy set, and loading a set back from it."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from engine.policy import schemas
from engine.policy.load import Loaded
from engine.policy.model import build_document
from engine.policy.policyset import PolicySet, canonical_json
from engine.core.messages import Text, os_reason
from engine.core.problems import InputError, Problem

FORMAT = "yibao-rules-bundle/1"


def bundle_data(ps: PolicySet) -> dict[str, Any]:
    """The bundle: format, release version, fingerprint and every document in canonical form."""
    return {"format": FORMAT, "version": ps.version, "fingerprint": ps.fingerprint, **ps.canonical()}


def bundle_text(ps: PolicySet) -> str:
    """Byte-stable bundle text."""
    return canonical_json(bundle_data(ps)) + "\n"


def load_bundle(path: Path | str) -> PolicySet:
    """A policy set from a bundle file, checked against its own fingerprint."""
    from engine.policy.validate import semantic_problems

    name = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(Text("bundle.cannot_read", path=name, why=os_reason(exc))) from None
    except UnicodeDecodeError as exc:
        raise InputError(Text("bundle.cannot_read", path=name, why=Text("file.not_utf8", byte=f"{exc.object[exc.start]:02x}"))) from None
    except json.JSONDecodeError as exc:
        raise InputError(Text("bundle.cannot_read", path=name, why=Text("bundle.not_json", line=exc.lineno, column=exc.colno))) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(Text("bundle.not_bundle", path=name, format=FORMAT))
    problems: list[Problem] = []
    documents = {}
    loaded = {}
    for i, raw in enumerate(data.get("documents", [])):
        doc_name = f"{name}#{raw.get('id', i)}"
        ld = Loaded(doc_name, raw, {})
        problems += schemas.check(ld, "policy")
        if not problems:
            loaded[doc_name] = ld
            d = build_document(raw, doc_name)
            documents[d.id] = d
    ps = PolicySet(name, documents, loaded, str(data.get("version", "unknown")), problems)
    if not problems:
        ps.problems += semantic_problems(ps)
    if ps.problems:
        raise InputError(Text("bundle.invalid", path=name), ps.problems)
    if ps.fingerprint != data.get("fingerprint"):
        raise InputError(Text("bundle.fingerprint", path=name, claimed=data.get("fingerprint"), actual=ps.fingerprint))
    return ps


def file_sha256(text: str) -> str:
    """sha256 of a text, for reporting what was written."""
    return hashlib.sha256(text.encode()).hexdigest()
