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
