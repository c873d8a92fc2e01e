"""A checked policy set kept in the user cache folder, so a command starts without re-reading and re-validating it."""
from __future__ import annotations

import hashlib
import pickle
import sys
from pathlib import Path
from typing import Any

from engine.core.paths import data_dir
from engine.policy.schemas import cache_dir, cache_write

KEEP = 32  # policy sets kept; older ones are removed when a new one is stored
_CODE = [Path(__file__).resolve().parents[1] / sub for sub in ("core", "policy")]


def set_key(files: list[tuple[str, Path]], version: str) -> str | None:
    """A key that changes with every byte of the policy files, their names, the release version and the engine code
    that reads them (each module's size and time, as Python checks its .pyc files); None if a file cannot be read."""
    h = hashlib.sha256(f"yibao-policy-set-1\0{version}\0{sys.implementation.cache_tag}\0{pickle.HIGHEST_PROTOCOL}".encode())
    try:
        for folder in (*_CODE, data_dir("schema")):
            if folder.is_dir():
                for p in sorted(folder.iterdir()):
                    if p.suffix in (".py", ".json"):
                        st = p.stat()
                        h.update(f"\0{p.name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        for name, p in files:
            h.update(f"\0{name}\0".encode() + p.read_bytes())
    except OSError:
        return None
    return h.hexdigest()


def _path(key: str) -> Path | None:
    folder = cache_dir()
    return folder / f"policy-set-{key[:32]}.pickle" if folder is not None else None


def cached(key: str | None) -> Any:
    """The policy set stored under `key`, or None (none, another key, unreadable)."""
    path = _path(key) if key else None
    if path is None:
        return None
    try:
        stored, ps = pickle.loads(path.read_bytes())  # noqa: S301 - the user's own cache, as Python's __pycache__
    except Exception:  # noqa: BLE001 - absent, truncated or from another version: load afresh
        return None
    return ps if stored == key else None


def store(key: str | None, ps: Any) -> None:
    """Keep a checked set for the next process (schemas.cache_write); silently skipped if it cannot be written."""
    path = _path(key) if key else None
    if path is None:
        return
    try:
        data = pickle.dumps((key, ps), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    if cache_write(path, data):
        try:
            old = sorted(path.parent.glob("policy-set-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
            for p in old[KEEP:]:
                p.unlink(missing_ok=True)
        except OSError:
            pass
