"""Every YAML scenario is one test; every policy document with computable rules has at least three scenarios."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from engine.policy.policyset import load_policy_set, require_valid
from engine.review.scenarios import check_documents, load_scenario_files, run_scenario

ROOT = Path(__file__).resolve().parent.parent
SETS = {  # scenario folder -> policy folder it runs against
    ROOT / "tests" / "scenarios": ROOT / "policies",
    ROOT / "tests" / "fixtures" / "synthetic-full" / "scenarios": ROOT / "tests" / "fixtures" / "synthetic-full" / "policies",
    ROOT / "tests" / "fixtures" / "synthetic-steps" / "scenarios": ROOT / "tests" / "fixtures" / "synthetic-steps" / "policies",
}
MIN_SCENARIOS = 3


@lru_cache(maxsize=None)
def _policies(folder: Path):
    return require_valid(load_policy_set(folder))


def _collect():
    out = []
    for sdir, pdir in SETS.items():
        scenarios, problems = load_scenario_files([sdir])
        assert not problems, "\n".join(map(str, problems))
        for sc in scenarios:
            rel = Path(sc.file).resolve().relative_to(ROOT / "tests")
            out.append(pytest.param(pdir, sc, id=f"{rel}:{sc.line}:{sc.name}"))
    return out


@pytest.mark.parametrize("policies, scenario", _collect())
def test_scenario(policies, scenario):
    ps = _policies(policies)
    assert not check_documents([scenario], ps)
    r = run_scenario(ps, scenario)
    assert r.passed, f"{scenario.file}:{scenario.line}: {scenario.name}\n" + "\n".join(r.mismatches)


def _computable(doc) -> bool:
    return any(r.effect != "guardrail" for r in doc.rules)


@pytest.mark.parametrize("sdir, pdir", list(SETS.items()), ids=["shipped", "synthetic", "synthetic-steps"])
def test_every_computable_document_has_three_scenarios(sdir, pdir):
    ps = _policies(pdir)
    missing = []
    for doc in ps.documents.values():
        if not _computable(doc):
            continue
        mirror = sdir / Path(doc.path).resolve().relative_to(pdir.resolve())
        scenarios, problems = load_scenario_files([mirror]) if mirror.exists() else ([], [])
        mine = [s for s in scenarios if s.document == doc.id]
        if problems or len(mine) < MIN_SCENARIOS:
            missing.append(f"{doc.id}: {len(mine)} scenario(s) in {mirror.relative_to(ROOT)} (need {MIN_SCENARIOS})")
    assert not missing, "\n".join(missing)


def test_scenario_files_mirror_documents():
    """A scenario file sits at the path of the document it names, so the tree mirrors policies/."""
    for sdir, pdir in SETS.items():
        ps = _policies(pdir)
        scenarios, _ = load_scenario_files([sdir])
        for sc in scenarios:
            assert sc.document in ps.documents, f"{sc.file}: unknown document {sc.document}"
            expected = sdir / Path(ps.documents[sc.document].path).resolve().relative_to(pdir.resolve())
            assert Path(sc.file).resolve() == expected.resolve(), f"{sc.file} should be {expected}"


def test_runner_reports_a_wrong_expectation(tmp_path):
    """The runner can fail: a hand-made wrong figure is reported with the path, the expected and the actual value."""
    f = tmp_path / "s.yaml"
    f.write_text(
        "document: cq-2017-resident-inpatient-benefits\n"
        "scenarios:\n"
        "  - name: wrong on purpose\n"
        "    # (20000 - 300) x 0.65 = 12805.00, so 12800.00 is wrong\n"
        "    case:\n"
        "      person: {id: p, region: \"500000\", scheme: resident, contribution_tier: 1}\n"
        "      encounters:\n"
        "        - {id: e-1, date: 2020-06-10, type: inpatient, hospital_level: 2, total_cost: \"22000.00\", eligible_cost: \"20000.00\"}\n"
        "    expect:\n"
        "      encounters: {e-1: {paid: {basic_insurance: \"12800.00\"}}}\n"
        "      monitoring: {warning: false}\n", encoding="utf-8")
    (sc,), problems = load_scenario_files([f])
    assert not problems
    r = run_scenario(_policies(ROOT / "policies"), sc)
    assert not r.passed
    assert r.mismatches == ["encounters.e-1.paid.basic_insurance: expected 12800.00, got 12805.00",
                            "monitoring.warning: expected false, got null"]


def test_bad_scenario_file_problems_have_lines(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(
        "document: cq-2017-resident-inpatient-benefits\n"
        "scenarios:\n"
        "  - name: eligible above total\n"
        "    case:\n"
        "      person: {id: p, region: \"500000\", scheme: resident, contribution_tier: 1}\n"
        "      encounters:\n"
        "        - {id: e-1, date: 2020-06-10, type: inpatient, hospital_level: 2, total_cost: \"1.00\", eligible_cost: \"2.00\"}\n"
        "    expect: {year: 2020}\n"
        "  - name: both\n"
        "    case: {}\n"
        "    expect: {year: 2020}\n"
        "    expect_error: x\n", encoding="utf-8")
    scenarios, problems = load_scenario_files([f])
    assert scenarios == []
    lines = sorted((p.line, p.message) for p in problems)
    assert lines[0][0] == 7 and "eligible_cost" in lines[0][1]
    assert any(line == 9 and "exactly one" in msg for line, msg in lines)
