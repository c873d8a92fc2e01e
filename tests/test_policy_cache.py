"""The checked policy set kept in the user cache folder: used only for the very same files, version and engine code."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.policy import policyset, setcache
from engine.policy.policyset import load_policy_set

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def policies(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("YIBAO_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    return tmp_path / "policies"


def _no_validation(monkeypatch) -> None:
    import engine.policy.validate as v

    def refuse(ps):  # noqa: ANN001
        raise AssertionError("validated again: the cached set was not used")
    monkeypatch.setattr(v, "semantic_problems", refuse)


def test_a_second_load_of_the_same_files_comes_from_the_cache(policies, monkeypatch, tmp_path):
    first = load_policy_set(policies)
    assert not first.problems and len(list((tmp_path / "cache").glob("policy-set-*.pickle"))) == 1
    _no_validation(monkeypatch)
    again = load_policy_set(policies)
    assert again.fingerprint == first.fingerprint and again.documents.keys() == first.documents.keys()
    assert again.root == str(policies) and again.version == first.version


def test_a_changed_byte_is_loaded_and_validated_afresh(policies, monkeypatch):
    first = load_policy_set(policies)
    doc = next(policies.rglob("*.yaml"))
    doc.write_text(doc.read_text(encoding="utf-8").replace("\n", "\n\n", 1), encoding="utf-8")  # a blank line: same rules
    calls = []
    import engine.policy.validate as v
    real = v.semantic_problems
    monkeypatch.setattr(v, "semantic_problems", lambda ps: calls.append(1) or real(ps))
    second = load_policy_set(policies)
    assert calls == [1] and second.fingerprint == first.fingerprint  # read again; the same documents, the same fingerprint
    broken = policies / "broken.yaml"
    broken.write_text("id: [\n", encoding="utf-8")
    assert load_policy_set(policies).problems  # an invalid set is never served from the cache, nor stored


def test_an_unreadable_cache_file_is_ignored_and_an_empty_setting_turns_the_cache_off(policies, monkeypatch, tmp_path):
    first = load_policy_set(policies)
    for p in (tmp_path / "cache").glob("policy-set-*.pickle"):
        p.write_bytes(b"not a pickle")
    assert load_policy_set(policies).fingerprint == first.fingerprint
    monkeypatch.setenv("YIBAO_CACHE_DIR", "")
    shutil.rmtree(tmp_path / "cache")
    load_policy_set(policies)
    assert not (tmp_path / "cache").exists()


def test_the_key_covers_the_version_and_the_file_names(policies):
    named = [(policyset.display_path(p), p) for p in policyset.policy_files(policies)]
    k = setcache.set_key(named, "1.0.0")
    assert k != setcache.set_key(named, "1.0.1")
    assert k != setcache.set_key([("elsewhere/" + n, p) for n, p in named], "1.0.0")
    assert k == setcache.set_key(named, "1.0.0")


def test_a_command_writes_the_same_bytes_from_the_cache_as_from_the_files(tmp_path):
    # fresh processes: the first reads and validates the YAML and stores the set, the second starts from the cache; the
    # labels of the steps' figures (registered when the set's steps are indexed) must read the same in both
    import json
    import os
    import subprocess
    import sys

    case = {"person": {"id": "p", "region": "500000", "scheme": "resident", "contribution_tier": 1, "birth_date": "1980-01-01",
                       "categories": ["dibao"]},
            "encounters": [{"id": "e-1", "date": "2020-05-02", "type": "inpatient", "in_pooling_area": True, "hospital_admin_level": "county",
                            "hospital_level": 2, "total_cost": "12097.00", "eligible_cost": "10083.00"}]}
    f = tmp_path / "case.json"
    f.write_text(json.dumps(case), encoding="utf-8")
    env = dict(os.environ, YIBAO_CACHE_DIR=str(tmp_path / "cache"))
    runs = [subprocess.run([sys.executable, "-m", "engine.cli.main", "evaluate", str(f), "--format", "json"], cwd=ROOT, env=env,
                           capture_output=True, check=True).stdout for _ in range(2)]
    assert list((tmp_path / "cache").glob("policy-set-*.pickle"))
    assert runs[0] == runs[1]
    assert "扶贫济困医疗基金支付比例" in runs[1].decode("utf-8")  # a step figure's label, not its id


def test_a_file_changed_while_the_set_is_read_is_not_stored_under_the_old_key(policies, monkeypatch, tmp_path):
    # the key is made from the files' bytes before they are parsed: an edit in between must not file the new set under it
    import engine.policy.load as load

    real = load.load_file
    edited = []

    def load_then_edit(path, name=None):  # noqa: ANN001
        out = real(path, name)
        if not edited:
            p = Path(path)
            p.write_text(p.read_text(encoding="utf-8") + "\n", encoding="utf-8")
            edited.append(p)
        return out
    monkeypatch.setattr(policyset, "load_file", load_then_edit)
    load_policy_set(policies)
    assert edited and not list((tmp_path / "cache").glob("policy-set-*.pickle"))
    monkeypatch.setattr(policyset, "load_file", real)
    load_policy_set(policies)
    assert len(list((tmp_path / "cache").glob("policy-set-*.pickle"))) == 1
