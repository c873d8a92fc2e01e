"""The policy sets a service answers for: loaded, validated and fingerprinted once at start, picked per request."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.core.problems import InputError
from engine.policy.policyset import PolicySet, load_policy_set, require_valid
from engine.review.gaps import gaps_report
from engine.serve import limits
from engine.settle.case import Case
from engine.settle.evaluate import Evaluator
from engine.settle.explain import result_json


class PinnedSet(PolicySet):
    """A policy set that no longer changes: its fingerprint is computed once (PolicySet recomputes it on each use)."""

    _pinned_fingerprint: str = ""

    @property
    def fingerprint(self) -> str:
        return self._pinned_fingerprint

    @classmethod
    def of(cls, ps: PolicySet, fingerprint: str | None = None) -> "PinnedSet":
        """A pinned copy of a valid set, sharing its documents, with a resolver (and its caches) of its own."""
        out = cls(**{f.name: getattr(ps, f.name) for f in dataclasses.fields(ps) if f.name != "_resolver"})
        out._pinned_fingerprint = fingerprint or ps.fingerprint
        return out


@dataclass
class Served:
    """One policy set served: where it came from, the pinned set and its evaluator."""

    source: str
    ps: PinnedSet
    evaluator: Evaluator
    settled: int = 0
    _gaps: dict[tuple, dict[str, Any]] = field(default_factory=dict, repr=False)

    def gaps(self, region: str | None, first: int, last: int) -> dict[str, Any]:
        """`yibao gaps --format json` for this set, on a resolver of its own (safe off the event loop); recent ones kept."""
        key = (region, first, last)
        if key not in self._gaps:
            report = gaps_report(PinnedSet.of(self.ps), region, first, last)
            while len(self._gaps) >= limits.GAPS_KEPT:
                self._gaps.pop(next(iter(self._gaps)))
            self._gaps[key] = report
        return self._gaps[key]

    def settle(self, case: Case) -> dict[str, Any]:
        """The contract's result for a checked case; caches start afresh every REFRESH_EVERY settlements."""
        self.settled += 1
        if self.settled % limits.REFRESH_EVERY == 0:
            self.ps = PinnedSet.of(self.ps, self.ps.fingerprint)
            self.evaluator = Evaluator(self.ps)
        return result_json(self.evaluator.settle(case), self.ps)

    @property
    def version(self) -> str:
        return self.ps.version

    @property
    def fingerprint(self) -> str:
        return self.ps.fingerprint

    def info(self, default: bool) -> dict[str, object]:
        """What /v1/versions says about this set."""
        return {"version": self.version, "fingerprint": self.fingerprint, "source": self.source,
                "documents": len(self.ps.documents), "rules": len(self.ps.rules), "default": default}


def version_key(version: str) -> tuple:
    """Sort key: numeric parts compared as numbers (0.10.0 after 0.9.0), then the text."""
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.\-+]", version)), version


class Catalog:
    """Every served set, by version and by fingerprint; the newest version is the default."""

    def __init__(self, served: list[Served]) -> None:
        if not served:
            raise InputError("yibao serve: no policy set to serve")
        by_version: dict[str, Served] = {}
        for s in served:
            other = by_version.get(s.version)
            if other is not None and other.fingerprint != s.fingerprint:
                raise InputError(f"yibao serve: {other.source} and {s.source} both say version {s.version} but differ "
                                 f"({other.fingerprint} vs {s.fingerprint}); a version must name one policy set")
            by_version.setdefault(s.version, s)
        self.sets = sorted(by_version.values(), key=lambda s: version_key(s.version), reverse=True)
        self.default = self.sets[0]
        self._pick = {s.version: s for s in self.sets} | {s.fingerprint: s for s in self.sets}

    def pick(self, selector: str | None) -> Served | None:
        """The set a version or fingerprint names (None: the default), or None if no served set has it."""
        if not selector:
            return self.default
        return self._pick.get(selector.strip())

    def versions(self) -> list[dict[str, object]]:
        """Every served set, newest first."""
        return [s.info(s is self.default) for s in self.sets]


def load_catalog(bundles: list[str], policies: list[str]) -> Catalog:
    """Load every bundle and policy folder named (none: the shipped policies), each checked, pinned and ready."""
    from engine.policy.bundle import load_bundle

    # The source names the file or folder only: where it lies on the server is not the callers' business.
    found: list[tuple[str, PolicySet]] = [(f"bundle:{Path(b).name}", load_bundle(b)) for b in bundles]
    folders = policies if policies or bundles else [None]
    for d in folders:
        ps = require_valid(load_policy_set(d))
        found.append((f"policies:{Path(ps.root).name}", ps))
    served = []
    for source, ps in found:
        pinned = PinnedSet.of(ps)
        served.append(Served(source, pinned, Evaluator(pinned)))  # the Evaluator builds the resolver, before any request
    return Catalog(served)
