"""`yibao validate`: the shipped policies are valid, and each class of invalid document is reported at its line."""
from __future__ import annotations

import json

from pathlib import Path

import pytest

from engine.cli.main import main
from engine.policy.load import MAX_BYTES
from engine.policy.policyset import load_policy_set

INVALID = Path(__file__).parent / "invalid"
POLICIES = Path(__file__).resolve().parent.parent / "policies"

# folder -> (file name, line, words the message must contain)
CASES = {
    "yaml-syntax": ("bad.yaml", 3, "YAML syntax error"),
    "tab-indent": ("bad.yaml", 4, "tabs are not allowed"),
    "duplicate-key": ("bad.yaml", 10, "duplicate key 'status' (first at line 9)"),
    "alias": ("bad.yaml", 6, "alias '*who' is not allowed"),
    "unknown-key": ("bad.yaml", 12, "unknown key 'colour'"),
    "wrong-type": ("bad.yaml", 18, '"seventy" is not an allowed value'),
    "impossible-date": ("bad.yaml", 7, "impossible date '2023-02-30'"),
    "until-not-after-from": ("bad.yaml", 8, "until 2019-06-01 is not after from 2020-01-01"),
    "unknown-category": ("bad.yaml", 16, '"pinkun" is not one of the allowed values'),
    "dangling-reference": ("bad.yaml", 20, "implements 'no-such-doc#no-such-rule' names no rule"),
    "supersedes-cycle": ("a.yaml", 12, "supersedes cycle: cycle-a -> cycle-b -> cycle-a"),
    "same-layer-conflict": ("a.yaml", 13, "conflict: conflict-a#rate and conflict-b#rate both set serious_illness.rate"),
    "guardrail-violation": ("province.yaml", 13, "floor-province#rate makes serious_illness.rate = 0.50 for ordinary insured in 500000 from 2020-01-01: below the floor 0.60 set by guardrail floor-national#floor"),
    "billion-laughs": ("bad.yaml", 2, "alias '*a0' is not allowed"),
    "non-utf8": ("bad.yaml", 12, "file is not UTF-8"),
    "internal-source": ("bad.yaml", 12, "source 'brief' names an internal file"),
}


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_shipped_policies_are_valid_and_summarised(capsys):
    code, out, err = _run(capsys, "validate", str(POLICIES))
    assert code == 0, out
    last = out.strip().splitlines()[-1]
    assert last.startswith("全部有效：") and "个文件" in last and "条规则" in last and "低于一手来源" in last
    assert "按可信度：一手" in last and "推算" in last
    code, out, err = _run(capsys, "validate", str(POLICIES), "--lang", "en")
    last = out.strip().splitlines()[-1]
    assert last.startswith("valid: ") and "documents" in last and "rules" in last and "below primary" in last


def test_summary_counts_values_by_grade_in_json(capsys):
    code, out, _ = _run(capsys, "validate", str(POLICIES), "--format", "json")
    s = json.loads(out)["summary"]
    assert code == 0 and set(s["grades"]) == {"primary", "secondary", "low", "inferred", "seed"}
    assert sum(s["grades"].values()) == s["verified"] + s["unverified"] and s["grades"]["primary"] == s["verified"]


@pytest.mark.parametrize("folder", sorted(CASES))
def test_invalid_document_reported_at_its_line(capsys, folder):
    name, line, words = CASES[folder]
    code, out, err = _run(capsys, "validate", str(INVALID / folder), "--lang", "en")
    assert code == 1
    assert "Traceback" not in out + err
    hits = [l for l in out.splitlines() if l.split(":")[0].endswith(f"{folder}/{name}") and words in l]
    assert hits, out
    assert int(hits[0].split(":")[1]) == line, hits[0]


def test_every_invalid_folder_has_a_case():
    assert sorted(p.name for p in INVALID.iterdir() if p.is_dir()) == sorted([*CASES, "three-problems"])


def test_a_file_with_three_problems_reports_all_three(capsys):
    code, out, _ = _run(capsys, "validate", str(INVALID / "three-problems"))
    lines = [l for l in out.splitlines() if l.startswith(str(INVALID / "three-problems")) or "three-problems/bad.yaml:" in l]
    assert code == 1
    assert [int(l.split(":")[1]) for l in lines] == [7, 10, 13], out
    assert "日期 '2023-13-01' 不存在" in lines[0] and "键 'status' 重复" in lines[1] and "未知的键 'colour'" in lines[2]
    code, out, _ = _run(capsys, "validate", str(INVALID / "three-problems"), "--lang", "en")
    lines = [l for l in out.splitlines() if "three-problems/bad.yaml:" in l]
    assert "impossible date" in lines[0] and "duplicate key" in lines[1] and "unknown key 'colour'" in lines[2]
    code, out, _ = _run(capsys, "validate", str(INVALID / "three-problems"), "--format", "json")
    problems = json.loads(out)["problems"]
    assert [(p["code"], p["line"], p["field"]) for p in problems] == [
        ("load.impossible_date", 7, "issued"), ("load.duplicate_key", 10, "status"), ("schema.unknown_key", 13, "colour")]
    assert problems[0]["message"] == "日期 '2023-13-01' 不存在"


def test_oversized_file_is_refused(tmp_path, capsys):
    big = tmp_path / "big.yaml"
    big.write_text("notes: '" + "x" * (MAX_BYTES + 10) + "'\n", encoding="utf-8")
    code, out, _ = _run(capsys, "validate", str(tmp_path), "--lang", "en")
    assert code == 1
    assert f"over the limit of {MAX_BYTES}" in out and "big.yaml:1:1:" in out


def test_missing_folder_is_reported_not_raised(tmp_path, capsys):
    code, out, _ = _run(capsys, "validate", str(tmp_path / "nope"), "--lang", "en")
    assert code == 1 and "policy folder not found" in out


def test_problems_are_sorted_by_path_and_line():
    ps = load_policy_set(INVALID / "same-layer-conflict")
    keys = [(p.path, p.line, p.col) for p in ps.problems]
    assert keys == sorted(keys) and len(keys) == 2


def test_internal_sources_are_refused_by_validate_but_an_older_set_still_loads(capsys):
    """A pinned older version (a --ref, a bundle, the base of a diff) keeps its answers even if it cited internal files."""
    from engine.policy.policyset import load_policy_set

    assert load_policy_set(INVALID / "internal-source").problems == []
    code, out, _ = _run(capsys, "validate", str(INVALID / "internal-source"))
    assert code == 1 and "指向内部文件" in out
