"""Shared fixtures and Hypothesis profiles: `default` (quick) and `ci` (HYPOTHESIS_PROFILE=ci) replay a fixed seed, so a
commit's result never depends on chance; `dev` (more examples, random, with the example database) explores."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
# The tests never read nor fill the user's cache folder (compiled schema checks, checked policy sets): their own, per run.
if "YIBAO_CACHE_DIR" not in os.environ:
    os.environ["YIBAO_CACHE_DIR"] = tempfile.mkdtemp(prefix="yibao-test-cache-")
    atexit.register(shutil.rmtree, os.environ["YIBAO_CACHE_DIR"], True)
SYNTHETIC = ROOT / "tests" / "fixtures" / "synthetic-full"

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], print_blob=True)
settings.register_profile("default", max_examples=40, derandomize=True, **_COMMON)
settings.register_profile("ci", max_examples=300, derandomize=True, **_COMMON)
settings.register_profile("dev", max_examples=2000, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)

# Examples per fuzz target: the ci profile runs at least 2,000 of each; YIBAO_FUZZ_EXAMPLES overrides (the scheduled
# fuzz workflow and long local runs: 7 targets x 15,000 = 105,000 generated documents, cases and bundles).
FUZZ_EXAMPLES = int(os.environ.get("YIBAO_FUZZ_EXAMPLES", 0)) or {"default": 60, "ci": 2000, "dev": 10000}.get(PROFILE, 60)


@pytest.fixture(scope="session")
def shipped():
    """The shipped policy set, loaded once."""
    from engine.policy.policyset import load_policy_set, require_valid

    return require_valid(load_policy_set(ROOT / "policies"))


@pytest.fixture(scope="session")
def synthetic():
    """The SYNTHETIC test policy set (tests/fixtures/synthetic-full), loaded once."""
    from engine.policy.policyset import load_policy_set, require_valid

    return require_valid(load_policy_set(SYNTHETIC / "policies"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Counts of scenarios, property tests and fuzz examples, for the run's summary."""
    stats = terminalreporter.stats
    def count(prefix: str, outcome: str) -> int:
        return sum(1 for r in stats.get(outcome, []) if getattr(r, "when", "call") == "call" and r.nodeid.startswith(prefix))
    rows = []
    for label, prefix in (("scenarios", "tests/test_scenarios.py::test_scenario["), ("property tests", "tests/test_properties.py::"),
                          ("static properties", "tests/test_static_properties.py::"), ("fuzz targets", "tests/test_fuzz.py::")):
        p, f = count(prefix, "passed"), count(prefix, "failed")
        if p or f:
            rows.append(f"{label}: {p} passed, {f} failed")
    if rows:
        from hypothesis import settings as _s
        terminalreporter.write_sep("-", f"yibao test suite (Hypothesis profile '{PROFILE}')")
        for r in rows:
            terminalreporter.write_line(r)
        terminalreporter.write_line(f"examples: up to {_s.default.max_examples} per property test, {FUZZ_EXAMPLES} per fuzz target")
