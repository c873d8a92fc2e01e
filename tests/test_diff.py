"""`yibao diff`: words, impact against hand counts, metadata versus money; on SYNTHETIC policy sets in temporary git repos."""
from __future__ import annotations

import importlib.util
import json
from decimal import Decimal
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.review.diff import run_diff

_spec = importlib.util.spec_from_file_location("synthetic_policy", Path(__file__).parent / "fixtures" / "synthetic_policy.py")
syn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(syn)


def person(pid: str, cats: list[str], day: str, cost: str) -> dict:
    """A SYNTHETIC case: one level-2 inpatient stay, all of it within the policy scope."""
    return {"person": {"id": pid, "region": "500000", "scheme": "resident", "categories": cats},
            "encounters": [{"id": "e-1", "date": day, "type": "inpatient", "hospital_level": 2,
                            "total_cost": cost, "eligible_cost": cost}]}


# A: dibao 2024, 10,300 -> basic (10300 - 300) x 0.70 = 7000.00 before, x 0.80 = 8000.00 after;
#    serious illness owes 3300 / 2300, below the 10,000 threshold -> 0.00; out of pocket 3300.00 -> 2300.00.
# B: ordinary 2024, 10,300 -> (10300 - 300) x 0.60 = 6000.00 under both; out of pocket 4300.00.
# C: dibao 2023: the SYNTHETIC documents start 2024-01-01 -> cannot be settled under either version.
PERSONS = [person("A", ["dibao"], "2024-03-01", "10300.00"), person("B", [], "2024-03-01", "10300.00"),
           person("C", ["dibao"], "2023-05-01", "10300.00")]

@pytest.fixture
def repo(tmp_path: Path) -> dict:
    """v1 (dibao rate 70%), v2 (80%, properly released), v3 (v2 with only a YAML comment edited)."""
    return syn.build_repo(tmp_path / "repo")


def test_rate_change_in_words_with_hand_counted_impact(repo: dict) -> None:
    rep = run_diff(repo["v1"], repo["v2"], repo["root"], persons=PERSONS)
    assert rep["moves_money"] and rep["fingerprint_changed"]
    (ch,) = rep["rules"]["changed"]
    assert ch["rule"] == "syn-cq-baseline#dibao-rate" and ch["fields"] == ["set"]
    assert ch["zh"] == "重庆市 低保对象 住院报销比例 70% → 80%，自 2024-01-01 起"
    assert ch["en"] == "Chongqing minimum-living-allowance recipients inpatient reimbursement rate 70% → 80%, from 2024-01-01"
    assert rep["documents"]["changed"][0]["bump"] == "minor"
    pop = rep["impact"]["population"]
    assert (pop["persons"], pop["settled_under_both"], pop["changed"]) == (3, 2, 1)
    assert pop["totals"]["basic_insurance"] == {"before": "13000.00", "after": "14000.00", "change": "1000.00"}
    assert pop["totals"]["out_of_pocket"] == {"before": "7600.00", "after": "6600.00", "change": "-1000.00"}
    assert pop["totals"]["serious_illness"]["change"] == "0.00"
    assert pop["by_category"]["dibao"] == {"persons": 2, "changed": 1, "paid_before": "7000.00", "paid_after": "8000.00", "change": "1000.00"}
    assert pop["by_category"]["ordinary"]["changed"] == 0
    (why_b, n_b), = pop["failed"]["base"].items()
    assert n_b == 1 and "2023-05-01" in why_b and pop["failed"]["head"] == {why_b: 1}
    (top,) = pop["largest"]
    assert top["person"] == "A" and top["change"] == "1000.00" and top["case"] == PERSONS[0]
    assert rep["release"]["ok"], rep["release"]


def test_markdown_for_a_reviewer_who_does_not_program(repo: dict) -> None:
    from engine.review.diff import render_markdown

    md = render_markdown(run_diff(repo["v1"], repo["v2"], repo["root"], persons=PERSONS))
    # the changed scenario as a sentence, with before and after in words and the verdict
    assert "- 场景「synthetic dibao stay」（tests/scenarios/syn.yaml:3）：基本医保 7000.00 → 8000.00；原来通过，现在不通过" in md
    # why C cannot be settled, in words, naming the person
    assert "- 旧版本下有 1 人无法结算：政策集中没有覆盖参保地 重庆市（500000）2023-05-01 的政策（就诊 e-1）（例如 C）" in md
    # categories in words, the largest change as a row: who, when, before, after
    assert "| 低保对象 | 2 | 1 | 7000.00 | 8000.00 | 1000.00 |" in md
    assert "| `A` 低保对象，重庆市 | 2024-03-01 起 1 次住院 | 7000.00 | 8000.00 | 1000.00 |" in md
    assert "yibao-diff-" not in md and "/tmp/" not in md and "```json" not in md


def test_scenario_outcomes_that_change(repo: dict) -> None:
    sc = run_diff(repo["v1"], repo["v2"], repo["root"], persons=PERSONS)["impact"]["scenarios"]
    if importlib.util.find_spec("engine.review.scenarios") is None:
        assert "engine.review.scenarios is not available" in sc["skipped"]
        return
    assert sc["scenarios"] == 2
    (c,) = sc["changed"]  # only the dibao stay moves: 7000.00 -> 8000.00; it passed under v1 and fails under v2
    assert c["scenario"] == "synthetic dibao stay" and (c["passed_before"], c["passed_after"]) == (True, False)
    assert (c["paid_before"]["basic_insurance"], c["paid_after"]["basic_insurance"]) == ("7000.00", "8000.00")


def test_comment_only_commit_moves_no_money(repo: dict, capsys: pytest.CaptureFixture) -> None:
    rep = run_diff(repo["v2"], repo["v3"], repo["root"], persons=PERSONS)
    assert not rep["moves_money"] and not rep["fingerprint_changed"]
    assert rep["documents"]["changed"] == [] and rep["rules"]["changed"] == [] and rep["metadata_only"] == []
    assert rep["impact"]["population"]["changed"] == 0 and rep["release"]["ok"]
    assert main(["diff", repo["v2"], repo["v3"], "--repo", str(repo["root"]), "--no-impact", "--lang", "en"]) == 0
    assert "nothing moves money" in capsys.readouterr().out
    assert main(["diff", repo["v2"], repo["v3"], "--repo", str(repo["root"]), "--no-impact"]) == 0
    assert "不影响待遇" in capsys.readouterr().out


def test_markdown_and_json_from_the_command(repo: dict, capsys: pytest.CaptureFixture) -> None:
    assert main(["diff", repo["v1"], repo["v2"], "--repo", str(repo["root"]), "--no-impact"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("## 政策变更：") and "- 重庆市 低保对象 住院报销比例 70% → 80%，自 2024-01-01 起（`syn-cq-baseline#dibao-rate`）" in md
    assert "### 发布检查：✅ 通过" in md and "Release" not in md
    assert main(["diff", repo["v1"], repo["v2"], "--repo", str(repo["root"]), "--no-impact", "--lang", "en"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("## Policy changes: ") and "inpatient reimbursement rate 70% → 80%, from 2024-01-01" in md
    assert "Release check: ✅ ok" in md and "政策变更" not in md
    assert main(["diff", repo["v1"], repo["v2"], "--repo", str(repo["root"]), "--no-impact", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["documents"]["changed"][0]["version_before"] == "1.0.0"


def test_metadata_only_change_is_told_apart(tmp_path: Path) -> None:
    head = syn.baseline("0.70", "1.0.1", ["1.0.0", "1.0.1"])
    head["title"]["en"] += " (retitled)"
    head["rules"][2]["quote"] = {"zh": "新的引文"}
    assert syn.release_between(tmp_path, (syn.V100, "1.0.0", ""), (head, "1.0.1", syn.LOG))["ok"]  # a patch is right for metadata
    rep = run_diff(str(tmp_path / "base"), str(tmp_path / "head"), impact=False)
    assert not rep["moves_money"] and rep["rules"]["changed"] == []
    (m,) = rep["metadata_only"]
    assert m["fields"] == ["history", "title", "version"] and m["rules"] == [{"rule": "syn-cq-baseline#dibao-rate", "fields": ["quote"]}]


def test_documents_added_removed_superseded(tmp_path: Path) -> None:
    old = syn.doc("syn-old", [syn.rule("si-cap", "serious_illness.annual_cap", "set", syn.D(200000))])
    new = syn.doc("syn-new", [syn.rule("si-cap", "serious_illness.annual_cap", "set", syn.D(300000))], start="2025-01-01",
                  supersedes=["syn-old"])
    old_until = syn.copy_doc(old)
    old_until["effective"]["until"] = "2025-01-01"
    syn.write_repo(tmp_path / "base", {"a.yaml": syn.dump(syn.V100), "old.yaml": syn.dump(old), "gone.yaml": syn.dump(syn.doc("syn-gone", []))})
    syn.write_repo(tmp_path / "head", {"a.yaml": syn.dump(syn.V100), "old.yaml": syn.dump(old_until), "new.yaml": syn.dump(new)})
    rep = run_diff(str(tmp_path / "base" / "policies"), str(tmp_path / "head" / "policies"), impact=False)
    d = rep["documents"]
    assert [x["id"] for x in d["added"]] == ["syn-new"] and [x["id"] for x in d["removed"]] == ["syn-gone"]
    assert d["superseded"] == [{"id": "syn-old", "by": "syn-new"}]
    assert rep["effective_dates"] == [{"document": "syn-old", "before": {"from": "2024-01-01"},
                                       "after": {"from": "2024-01-01", "until": "2025-01-01"}}]
    assert rep["rules"]["added"][0]["zh"] == "重庆市 所有参保人：大病保险年度最高支付限额为300000.00元，自 2025-01-01 起"
    assert rep["moves_money"]


def test_bad_revision_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    syn.write_repo(tmp_path, {"a.yaml": syn.dump(syn.V100)})
    syn.commit(tmp_path, "v1")
    assert main(["diff", "no-such-ref", "HEAD", "--repo", str(tmp_path), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "'no-such-ref' is neither a folder nor a git revision" in err and "Traceback" not in err


def test_reference_population_is_seeded_synthetic_and_covers_every_category() -> None:
    from engine.review.population import generate, group_of
    from engine.core.registry import CATEGORIES

    a, b = generate(), generate()
    assert a == b and len(a) == 17 * 7 * 3  # 17 groups (ordinary, 12 categories, 4 pairs) x 7 years x 3
    assert {c for p in a for c in p["person"]["categories"]} == set(CATEGORIES)
    assert {p["encounters"][0]["date"][:4] for p in a} == {str(y) for y in range(2019, 2026)}
    for p in a:
        assert p["person"]["id"].startswith("syn-") and 1 <= len(p["encounters"]) <= 4
        assert all(Decimal(e["eligible_cost"]) <= Decimal(e["total_cost"]) for e in p["encounters"])
    assert group_of(a[0]) == "ordinary" and generate(seed=1) != a
