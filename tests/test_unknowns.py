"""Nothing unknown printed as a number: a missing assistance rate, an unknown subsidy and an undetermined warning."""
from __future__ import annotations

import json
import re
from pathlib import Path

from engine.cli.main import main

FIX = Path(__file__).parent / "fixtures" / "unknowns"
ARGS = [str(FIX / "case.yaml"), "--policies", str(FIX / "policies"), "--no-trace"]


def _run(capsys, *argv: str) -> str:
    assert main(["evaluate", *argv]) == 0
    return capsys.readouterr().out


def _line(out: str, start: str) -> str:
    return next(l for l in out.splitlines() if l.strip().startswith(start))


def test_text_shows_not_computed_and_undetermined_never_a_number(capsys):
    out = _run(capsys, *ARGS)
    # basic (10000 - 1000) x 0.50 = 4500.00 is known; assistance reaches 低保对象 but has no rate
    assert re.search(r"基本医保\s+4500\.00", out)
    assert _line(out, "医疗救助").split()[-1] == "未计算：缺少医疗救助比例"
    assert "不确定（至多 5500.00）" in _line(out, "个人自付")
    totals = _line(out, "合计")
    assert "医疗救助 不确定（1 项未计算" in totals and "实际报销比例 不确定" in totals and "不确定项 3" in totals
    premium = _line(out, "个人缴费:")
    assert "资助 不确定" in premium and "资助 0.00" not in premium and "个人应缴 不确定（至多 380.00）" in premium
    assert _line(out, "监测预警").startswith("监测预警: 不确定")
    en = _run(capsys, *ARGS, "--lang", "en")
    assert "not computed: medical-assistance rate missing" in en and "Subsidy undetermined" in en
    assert "Monitoring: undetermined" in en


def test_json_lists_each_undetermined_item_beside_the_totals(capsys):
    res = json.loads(_run(capsys, *ARGS, "--format", "json"))
    assert res["undetermined"]["count"] == 3
    assert [(u["part"], u["parameter"]) for u in res["undetermined"]["items"]] == [
        ("medical_assistance", "medical_assistance.rate"), ("premium", "premium.subsidy"), ("monitoring", "monitoring.threshold")]
    assert res["undetermined"]["items"][0]["encounter"] == "e-1"
    assert res["totals"]["undetermined"] == 1
    assert res["monitoring"]["warning"] is None


def test_a_settled_year_counts_only_what_is_unknown(capsys):
    # the warning demo settles every tier and decides the warning; only its premium has no rule (no contribution)
    ex = Path(__file__).parents[1] / "examples"
    res = json.loads(_run(capsys, str(ex / "synthetic-high-cost-warning.yaml"), "--policies", str(ex / "synthetic-policies"), "--format", "json"))
    assert res["undetermined"]["count"] == 1 and res["undetermined"]["items"][0]["parameter"] == "premium.individual_contribution"
    assert res["totals"]["undetermined"] == 0 and res["monitoring"]["warning"] is True


def _claims(tmp_path: Path) -> Path:
    # u-1 as case.yaml (dibao: assistance reaches, no rate); u-2 ordinary: assistance does not reach -> 0.00 is a fact
    f = tmp_path / "claims.csv"
    f.write_text("person_id,region,date,type,hospital_level,total_cost,eligible_cost,categories\n"
                 "u-1,500000,2024-05-01,inpatient,2,10000.00,10000.00,dibao\n"
                 "u-2,500000,2024-05-01,inpatient,2,10000.00,10000.00,\n", encoding="utf-8")
    return f


def test_batch_rows_leave_unknowns_blank_and_name_them(tmp_path, capsys):
    import csv

    pytest_np = __import__("pytest").importorskip("numpy")  # noqa: F841
    for engine in ("python", "auto"):
        out = tmp_path / f"rows-{engine}.csv"
        assert main(["batch", str(_claims(tmp_path)), "-o", str(out), "--policies", str(FIX / "policies"), "--quiet", "--engine", engine]) == 0
        rows = {r["person_id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
        # basic (10000 - 1000) x 0.50 = 4500.00 for both; no warning threshold anywhere
        assert rows["u-1"]["basic_insurance"] == "4500.00" and rows["u-1"]["medical_assistance"] == ""
        assert rows["u-1"]["undetermined"] == "medical_assistance.rate|monitoring.threshold"
        assert rows["u-2"]["medical_assistance"] == "0.00" and rows["u-2"]["undetermined"] == "monitoring.threshold"
        assert {r["warning"] for r in rows.values()} == {"undetermined"} and {r["status"] for r in rows.values()} == {"ok"}


def test_report_counts_unknowns_beside_the_totals(tmp_path, capsys):
    __import__("pytest").importorskip("numpy")
    args = ["report", str(_claims(tmp_path)), "--policies", str(FIX / "policies"), "--quiet"]
    assert main([*args, "--format", "json"]) == 0
    total = json.loads(capsys.readouterr().out)["total"]
    assert total["medical_assistance_undetermined"] == 1 and total["monitoring_undetermined"] == 2 and total["warnings"] == 0
    assert main([*args, "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    total_row = next(l for l in md.splitlines() if l.startswith("| 合计 |"))
    assert "| 不确定（1 项未计算；已计算部分 0.00） | 0.00 | 不确定（至少 9000.00） | 不确定（至多 11000.00） | 不确定 |" in total_row
    assert "| 0（另 2 人年不确定） |" in total_row
    assert main([*args, "--format", "csv"]) == 0
    assert "medical_assistance_undetermined" in capsys.readouterr().out.splitlines()[0]
