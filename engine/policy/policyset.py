"""Load a folder of policy documents into a checked, fingerprinted policy set."""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import engine
from engine.core.paths import data_dir, repo_root
from engine.policy import schemas, setcache
from engine.core.messages import msg
from engine.policy.load import Loaded, limit_problems, load_file
from engine.policy.model import Datum, Document, Period, Rule, build_document
from engine.core.messages import Text
from engine.core.problems import PolicyError, Problem
from engine.policy.resolve import Resolver
from engine.policy.steps import StepIndex, declared

REPO_ROOT = repo_root()
SHIPPED = data_dir("policies")


@dataclass
class PolicySet:
    """Every document of a policy set, its rules and reference data, version and fingerprint."""

    root: str
    documents: dict[str, Document]
    loaded: dict[str, Loaded]
    version: str
    problems: list[Problem] = field(default_factory=list)
    _resolver: Resolver | None = None
    _steps: StepIndex | None = None
    _fingerprint: str | None = None

    @property
    def rules(self) -> list[Rule]:
        return [r for d in self.documents.values() for r in d.rules]

    @property
    def data(self) -> dict[tuple[str, str, int], Datum]:
        return {(x.series, x.region, x.year): x for d in self.documents.values() for x in d.data}

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            periods = {d.id: d.period for d in self.documents.values()}
            self._resolver = Resolver(self.rules, self.data, periods)
        return self._resolver

    @property
    def steps(self) -> StepIndex:
        """The payment steps (funds) the set declares, plus the engine's declaration of any of the three tiers it does not declare."""
        if self._steps is None:
            periods = {d.id: d.period for d in self.documents.values()}
            self._steps = StepIndex(declared(self.documents.values()), periods)
        return self._steps

    @property
    def age_limits(self) -> list[int]:
        """Every `age_below` a rule or a payment step tests, in order (empty: the age never matters)."""
        limits = {r.who.age_below for r in self.rules if r.who.age_below is not None}
        return sorted(limits | {s.who.age_below for s in self.steps.steps if s.who.age_below is not None})

    @property
    def fingerprint(self) -> str:
        """sha256 of everything that can change a result: the release version and every document in canonical form
        (independent of file names and order, key order, whitespace and comments); computed once."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint_of({"version": self.version, **self.canonical()})
        return self._fingerprint

    @property
    def documents_fingerprint(self) -> str:
        """sha256 of the documents alone: tells whether the policies moved between two versions."""
        return fingerprint_of(self.canonical())

    def canonical(self) -> dict[str, Any]:
        """The whole set as plain data, documents sorted by id."""
        return {"documents": [canonical_value(self.documents[k].raw) for k in sorted(self.documents)]}

    def locate(self, doc_id: str, loc: tuple, message: str) -> Problem:
        """A problem at a place in a document of this set."""
        doc = self.documents[doc_id]
        return self.loaded[doc.path].problem(loc, message)


def canonical_value(v: Any) -> Any:
    """Plain JSON data with exact decimals as normalised strings and dates as ISO strings."""
    if isinstance(v, dict):
        return {str(k): canonical_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [canonical_value(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, Decimal):
        return canonical_decimal(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    raise TypeError(f"cannot canonicalise {type(v).__name__}")


def canonical_decimal(v: Decimal) -> int | str:
    """An exact Decimal as an int, or a plain decimal string without trailing zeros; no context rounding at any length."""
    sign, digits, exp = v.as_tuple()
    if not isinstance(exp, int):
        raise ValueError(f"cannot canonicalise {v}")
    text = "".join(map(str, digits)).lstrip("0") or "0"
    if exp >= 0:
        n = int(text + "0" * exp) if text != "0" else 0
        return -n if sign else n
    whole, frac = (text[:exp] or "0"), text[exp:].rjust(-exp, "0").rstrip("0")
    if not frac:
        n = int(whole)
        return -n if sign and n else n
    return ("-" if sign else "") + whole.lstrip("0").rjust(1, "0") + "." + frac


def fingerprint_of(data: dict[str, Any]) -> str:
    """sha256 of plain data in canonical JSON: the one definition of a fingerprint."""
    return "sha256:" + hashlib.sha256(canonical_json(data).encode()).hexdigest()


def canonical_json(v: Any) -> str:
    """Sorted-key, compact, UTF-8 JSON text."""
    return json.dumps(v, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def release_version(root: Path) -> str:
    """The release version: pyproject.toml beside the policies folder, else the installed package's."""
    pyproject = root.parent / "pyproject.toml"
    if pyproject.is_file():
        m = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.M)
        if m:
            return m.group(1)
    return engine.__version__


def policy_files(root: Path) -> list[Path]:
    """Every *.yaml/*.yml file below root, in a stable order."""
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and (p.is_symlink() or not p.is_dir()))


def display_path(p: Path) -> str:
    """A path relative to the working directory where possible."""
    try:
        return os.path.relpath(p)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(p)


def load_policy_set(root: Path | str | None = None, check: bool = True) -> PolicySet:
    """Load, schema-check and (with `check`) semantically validate a folder; problems are kept, not raised."""
    root = Path(root) if root is not None else default_policies()
    problems: list[Problem] = []
    documents: dict[str, Document] = {}
    loaded: dict[str, Loaded] = {}
    if not root.is_dir():
        problems.append(Problem(str(root), 1, 1, Text("file.folder_not_found")))
        return PolicySet(str(root), documents, loaded, "unknown", problems)
    files = policy_files(root)
    if not files:
        problems.append(Problem(display_path(root), 1, 1, msg("error.empty_policy_folder", path=display_path(root))))
    named = [(display_path(p), p) for p in files]
    version = release_version(root)
    key = setcache.set_key(named, version) if check and files else None
    hit = setcache.cached(key)
    if hit is not None:  # the same files, version and engine code: the set checked before
        hit.root = str(root)
        return hit
    for name, path in named:
        doc, probs = load_file(path, name)
        problems += probs
        if doc is None:
            continue
        loaded[name] = doc
        flagged = {p.field for p in probs}
        sprobs = [p for p in limit_problems(doc) + schemas.check(doc, "policy") if p.field not in flagged]
        problems += sprobs
        if probs or sprobs:
            continue
        d = build_document(doc.data, name)
        if d.id in documents:
            first = documents[d.id].path
            problems.append(doc.problem(("id",), f"document id '{d.id}' is already used by {first}"))
            continue
        documents[d.id] = d
    ps = PolicySet(str(root), documents, loaded, version, problems)
    if check:
        from engine.policy.validate import semantic_problems  # imported only when a set is checked, not on a cache hit

        ps.problems += semantic_problems(ps)
    ps.problems.sort()
    if not ps.problems and key is not None and setcache.set_key(named, version) == key:  # no file changed while it was read
        ps.fingerprint  # noqa: B018 - computed once, kept with the set
        # without its resolver and step index: built on first use, the index registers the steps' figure names (registry)
        setcache.store(key, PolicySet(ps.root, ps.documents, ps.loaded, ps.version, [], None, None, ps._fingerprint))
    return ps


def default_policies() -> Path:
    """The policy folder: $YIBAO_POLICIES, else the one shipped with the package."""
    env = os.environ.get("YIBAO_POLICIES")
    return Path(env) if env else SHIPPED


def require_valid(ps: PolicySet) -> PolicySet:
    """The set itself, or PolicyError listing every problem."""
    if ps.problems:
        raise PolicyError(ps.problems)
    return ps


__all__ = ["PolicySet", "load_policy_set", "require_valid", "Period", "canonical_json"]
