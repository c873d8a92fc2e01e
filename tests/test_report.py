"""`yibao report` on a small hand-counted claims file under a SYNTHETIC policy set."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from batch_synth import policies
from engine.cli.main import main

# 2021, synthetic baseline (deductible 100/300/800, rate 0.85/0.70/0.55, cap 30000; SI 8000 at 0.60; dibao +0.05,
# SI threshold x0.5, assistance 0.70 from 0; warning above 12000 (dibao 6000); contribution 350, dibao subsidy 200).
# A ordinary L2 10000/8000: basic (8000-300)x0.70 = 5390.00; owed 2610 < 8000; oop 4610.00.
# B dibao L1 5000/5000: basic (5000-100)x0.90 = 4410.00; owed 590 < 4000; assistance 590x0.70 = 413.00; oop 177.00.
# B dibao L3 30000/30000: basic (30000-800)x0.60 = 17520.00; owed 12480, year 13070: SI (13070-4000)x0.60 = 5442.00;
#   assistance (12480-5442)x0.70 = 4926.60; oop 2111.40; year oop 2288.40 < 6000: no warning.
# C ordinary L3 60000/50000: basic (50000-800)x0.55 = 27060.00; SI (22940-8000)x0.60 = 8964.00; oop 23976.00 > 12000: warning.
CLAIMS = """person_id,region,categories,scheme,tier,date,type,hospital_level,total_cost,eligible_cost
A,500000,,resident,1,2021-03-01,inpatient,2,10000.00,8000.00
B,500000,dibao,resident,1,2021-04-01,inpatient,1,5000.00,5000.00
B,500000,dibao,resident,1,2021-05-01,inpatient,3,30000.00,30000.00
C,500000,,resident,1,2021-06-01,inpatient,3,60000.00,50000.00
"""


@pytest.fixture()
def files(tmp_path: Path):
    f = tmp_path / "claims.csv"
    f.write_text(CLAIMS, encoding="utf-8")
    return f, policies(tmp_path / "policies")


def run(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_report_json_hand_counted(files, capsys):
    f, pol = files
    out = json.loads(run(capsys, "report", str(f), "--policies", str(pol), "--format", "json", "--quiet"))
    groups = {(g["category"], g["year"]): g for g in out["groups"]}
    ordinary, dibao = groups[("ordinary", 2021)], groups[("dibao", 2021)]
    assert (ordinary["persons"], ordinary["encounters"], ordinary["total_cost"]) == (2, 2, "70000.00")
    assert (ordinary["basic_insurance"], ordinary["serious_illness"], ordinary["out_of_pocket"]) == ("32450.00", "8964.00", "28586.00")
    assert ordinary["warnings"] == 1 and ordinary["premium_subsidy"] == "0.00"
    assert (dibao["persons"], dibao["encounters"], dibao["basic_insurance"], dibao["serious_illness"]) == (1, 2, "21930.00", "5442.00")
    assert (dibao["medical_assistance"], dibao["out_of_pocket"], dibao["warnings"]) == ("5339.60", "2288.40", 0)
    assert dibao["premium_subsidy"] == "200.00" and dibao["premium_subsidised_persons"] == 1
    t = out["total"]
    # paid 54380 + 14406 + 5339.60 = 74125.60; /105000 = 0.70596 -> 0.7060; /93000 eligible = 0.79705 -> 0.7970;
    # out of pocket 30874.40 / 105000 = 0.29404 -> 0.2940
    assert (t["persons"], t["encounters"], t["paid_total"], t["out_of_pocket"]) == (3, 4, "74125.60", "30874.40")
    assert (t["reimbursement_rate"], t["policy_scope_rate"], t["out_of_pocket_share"]) == ("0.7060", "0.7970", "0.2940")


def test_report_csv_markdown_and_text(files, capsys):
    f, pol = files
    rows = list(csv.DictReader(io.StringIO(run(capsys, "report", str(f), "--policies", str(pol), "--format", "csv", "--by", "year"))))
    assert [(r["year"], r["persons"], r["encounters"], r["paid_total"]) for r in rows] == [("2021", "3", "4", "74125.60"), ("total", "3", "4", "74125.60")]
    md = run(capsys, "report", str(f), "--policies", str(pol), "--format", "markdown", "--lang", "en")
    assert md.startswith("| region |") and "| 70.60 |" in md
    md = run(capsys, "report", str(f), "--policies", str(pol), "--format", "markdown")
    assert md.startswith("| 参保地代码 | 参保地 | 身份类别 |") and "| 70.60 |" in md and "| 合计 |" in md
    text = run(capsys, "report", str(f), "--policies", str(pol))
    assert "合计" in text and "74125.60" in text and "预警不确定的人年" in text


def test_report_bad_input_exits_2(files, tmp_path, capsys):
    f, pol = files
    bad = tmp_path / "bad.csv"
    bad.write_text(CLAIMS.replace("60000.00,50000.00", "60000.00,70000.00"), encoding="utf-8")
    assert main(["report", str(bad), "--policies", str(pol), "--lang", "en"]) == 2
    assert "bad.csv:5:1: eligible_cost 70000.00 is above total_cost 60000.00" in capsys.readouterr().err
    assert main(["report", str(f), "--policies", str(pol), "--by", "hospital"]) == 2


def test_report_unsettled_person_years_are_counted_not_summed(tmp_path, capsys):
    # the shipped policies have no Chongqing 2024 income: a 2025 encounter cannot be settled (serious-illness threshold)
    f = tmp_path / "c.csv"
    f.write_text("person_id,region,date,type,hospital_level,total_cost,eligible_cost\n"
                 "a,500000,2025-03-01,inpatient,1,100.00,100.00\n", encoding="utf-8")
    out = json.loads(run(capsys, "report", str(f), "--format", "json"))
    assert out["total"]["unsettled_person_years"] == 1 and out["total"]["encounters"] == 0


def test_an_invalid_policy_set_is_reported_though_the_claims_are_read_first(files, tmp_path, capsys):
    # the first chunk is read while the policy set loads: a bad set is still the error, and the reading thread stops
    import threading

    f, pol = files
    bad = tmp_path / "bad.csv"
    bad.write_text(CLAIMS.replace("60000.00,50000.00", "60000.00,70000.00"), encoding="utf-8")
    empty = tmp_path / "no-policies"
    empty.mkdir()
    for claims in (f, bad):
        assert main(["report", str(claims), "--policies", str(empty), "--lang", "en"]) == 2
        err = capsys.readouterr().err
        assert "invalid" in err.lower() and "eligible_cost" not in err, err
    assert not [t for t in threading.enumerate() if t.name == "yibao-read-ahead"]
