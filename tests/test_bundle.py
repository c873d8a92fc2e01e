"""Pinning: bundles and --ref give byte-identical results for the same version, on SYNTHETIC and shipped policies."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import engine.policy.policyset
from engine.cli.main import main

_spec = importlib.util.spec_from_file_location("synthetic_policy", Path(__file__).parent / "fixtures" / "synthetic_policy.py")
syn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(syn)

ROOT = Path(__file__).resolve().parent.parent
# dibao 2024, level 2, 10,300 all in scope: basic (10300 - 300) x 0.70 = 7000.00 under v1, x 0.80 = 8000.00 under v2.
CASE = """person: {id: A, region: "500000", scheme: resident, categories: [dibao]}
encounters:
  - {id: e-1, date: 2024-03-01, type: inpatient, hospital_level: 2, total_cost: "10300.00", eligible_cost: "10300.00"}
"""


def run(args: list[str], capsys: pytest.CaptureFixture) -> str:
    """stdout of one in-process command that must succeed."""
    assert main(args) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_same_case_same_bundle_is_byte_identical_across_processes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bundle = tmp_path / "b.json"
    run(["bundle", "-o", str(bundle)], capsys)
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.append(subprocess.run([sys.executable, "-m", "engine.cli.main", "evaluate", str(ROOT / "examples" / "cq-2023-dibao.yaml"),
                                    "--bundle", str(bundle), "--format", "json"], capture_output=True, env=env, check=True).stdout)
    assert outs[0] == outs[1]
    # by hand (example file): (50000 - 300) x 0.70 = 34790.00
    assert json.loads(outs[0])["totals"]["paid"]["basic_insurance"] == "34790.00"


def test_bundle_of_an_older_version_reproduces_it(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    repo = syn.build_repo(tmp_path / "repo")
    case = tmp_path / "case.yaml"
    case.write_text(CASE, encoding="utf-8")
    syn.git(repo["root"], "checkout", "-q", repo["v1"])
    pol = str(repo["root"] / "policies")
    old = run(["evaluate", str(case), "--policies", pol, "--format", "json"], capsys)
    run(["bundle", "--policies", pol, "-o", str(tmp_path / "old.json")], capsys)
    syn.git(repo["root"], "checkout", "-q", repo["v2"])
    new = run(["evaluate", str(case), "--policies", pol, "--format", "json"], capsys)
    pinned = run(["evaluate", str(case), "--bundle", str(tmp_path / "old.json"), "--format", "json"], capsys)
    assert pinned == old != new
    assert json.loads(old)["totals"]["paid"]["basic_insurance"] == "7000.00"
    assert json.loads(new)["totals"]["paid"]["basic_insurance"] == "8000.00"


def test_ref_of_an_older_commit_matches_its_bundle(tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = syn.build_repo(tmp_path / "repo")
    case = tmp_path / "case.yaml"
    case.write_text(CASE, encoding="utf-8")
    monkeypatch.setattr(engine.policy.policyset, "REPO_ROOT", repo["root"])
    by_ref = run(["evaluate", str(case), "--ref", repo["v1"], "--format", "json"], capsys)
    syn.git(repo["root"], "checkout", "-q", repo["v1"])
    run(["bundle", "--policies", str(repo["root"] / "policies"), "-o", str(tmp_path / "v1.json")], capsys)
    assert by_ref == run(["evaluate", str(case), "--bundle", str(tmp_path / "v1.json"), "--format", "json"], capsys)
    assert json.loads(by_ref)["policy_set"]["version"] == "1.0.0"


def test_edited_bundle_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bundle = tmp_path / "b.json"
    run(["bundle", "-o", str(bundle)], capsys)
    data = json.loads(bundle.read_text(encoding="utf-8"))
    data["documents"][0]["title"]["en"] += " (edited)"
    bundle.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["evaluate", str(ROOT / "examples" / "cq-2023-dibao.yaml"), "--bundle", str(bundle), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "fingerprint mismatch" in err and "Traceback" not in err
