"""Release checks: document versions, CHANGELOG entries and the release version; on SYNTHETIC repositories."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.review.release import last_release_tag

_spec = importlib.util.spec_from_file_location("synthetic_policy", Path(__file__).parent / "fixtures" / "synthetic_policy.py")
syn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(syn)


@pytest.fixture
def repo(tmp_path: Path) -> dict:
    """The SYNTHETIC v1/v2/v3 repository."""
    return syn.build_repo(tmp_path / "repo")


def test_unreleased_change_between_refs_is_a_release_problem(repo: dict, capsys: pytest.CaptureFixture) -> None:
    r = repo["root"]  # same rate change as v2 but no document version, CHANGELOG or release version change
    syn.write_repo(r, {"500000/baseline.yaml": syn.dump(syn.baseline("0.75"), "SYNTHETIC v1")})
    bad = syn.commit(r, "unreleased change")
    assert main(["release-check", repo["v1"], bad, "--repo", str(r), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "document 'syn-cq-baseline' changed (rules) but its version is still 1.0.0" in out
    assert "CHANGELOG.md: no entry for this change" in out
    assert "release version 1.0.0 is not above BASE's 1.0.0" in out


@pytest.mark.parametrize("head, message", [
    ((syn.baseline("0.80"), "1.1.0", syn.LOG), "changed (rules) but its version is still 1.0.0"),
    ((syn.baseline("0.80", "1.0.1", ["1.0.0", "1.0.1"]), "1.1.0", syn.LOG),
     "moves money (syn-cq-baseline#dibao-rate) but is released as a patch (1.0.0 → 1.0.1); bump at least the minor version (1.1.0)"),
    ((syn.baseline("0.80", "1.1.0", ["1.0.0", "1.1.0"]), "1.1.0", ""), "CHANGELOG.md: no entry for this change (1 document(s) changed)"),
    ((syn.baseline("0.80", "1.1.0", ["1.0.0", "1.1.0"]), "1.0.0", syn.LOG), "release version 1.0.0 is not above BASE's 1.0.0"),
])
def test_each_release_error(tmp_path: Path, head: tuple, message: str) -> None:
    rel = syn.release_between(tmp_path, (syn.V100, "1.0.0", ""), head)
    assert len(rel["errors"]) == 1 and message in rel["errors"][0], rel["errors"]


def test_version_that_already_existed(tmp_path: Path) -> None:
    base = syn.baseline("0.80", "1.1.0", ["1.0.0", "1.1.0"])
    head = syn.baseline("0.90", "1.0.0", ["1.0.0"])  # goes back to 1.0.0 with new content
    rel = syn.release_between(tmp_path, (base, "1.1.0", ""), (head, "1.2.0", syn.LOG))
    assert rel["errors"] == ["policies/500000/baseline.yaml: document 'syn-cq-baseline' version 1.0.0 already existed in BASE "
                             f"({tmp_path / 'base'}) with different content (BASE is at 1.1.0); use a version above 1.1.0"]


def test_release_check_without_a_tag_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    syn.write_repo(tmp_path, {"a.yaml": syn.dump(syn.V100)})
    syn.commit(tmp_path, "v1")
    assert main(["release-check", "--repo", str(tmp_path), "--lang", "en"]) == 0
    assert "release check skipped: no release tag v*" in capsys.readouterr().out
    assert main(["release-check", "--repo", str(tmp_path)]) == 0
    assert "跳过发布检查" in capsys.readouterr().out


def test_against_the_last_tag_from_the_working_tree(repo: dict, capsys: pytest.CaptureFixture) -> None:
    r = repo["root"]
    syn.git(r, "tag", "v1.0.0", repo["v1"])
    assert last_release_tag(r) == "v1.0.0"
    assert main(["release-check", "--repo", str(r)]) == 0  # v3 (the working tree) is v2 released properly
    (r / "engine").mkdir()
    (r / "engine" / "x.py").write_text("X = 1\n", encoding="utf-8")
    syn.commit(r, "engine")
    syn.git(r, "tag", "v1.1.0")
    (r / "engine" / "x.py").write_text("X = 2\n", encoding="utf-8")  # uncommitted engine change, no CHANGELOG line
    assert main(["release-check", "--repo", str(r), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "CHANGELOG.md: no entry for this change (1 file(s) under schema/engine changed, e.g. engine/x.py)" in out
