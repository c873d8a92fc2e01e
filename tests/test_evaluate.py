"""`yibao evaluate` and `yibao params`: the examples settle to the hand-worked figures; bad cases exit 2 naming the field."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.policy.schemas import validator

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"

# example -> {encounter: (basic, serious illness, assistance, out of pocket)}; arithmetic in each example's comment
EXPECTED = {
    "cq-2020-ordinary-resident.yaml": {"e-1": ("12805.00", "0.00", "0.00", "9195.00")},
    "cq-2023-ordinary-resident.yaml": {"e-1": ("24600.00", "5099.40", "0.00", "32300.60")},
    "cq-2023-dibao.yaml": {"e-1": ("34790.00", "4393.68", "8112.24", "7704.08")},
    "cq-2024-tekun-severely-disabled.yaml": {"e-1": ("7120.00", "0.00", "1410.00", "1470.00")},
    "cq-2023-becomes-dibao-mid-year.yaml": {"e-1": ("6790.00", "0.00", "0.00", "5210.00"),
                                            "e-2": ("13600.00", "5953.68", "6334.74", "4111.58")},
    "cq-2025-waiting-period.yaml": {"e-1": ("0.00", "0.00", "0.00", "15000.00")},
    "synthetic-high-cost-warning.yaml": {"e-1": ("3500.00", "0.00", "0.00", "6500.00"),
                                         "e-2": ("7500.00", "0.00", "0.00", "12500.00")},
}


def _evaluate(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["evaluate", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _json(capsys, name: str) -> dict:
    extra = ["--policies", str(EX / "synthetic-policies")] if name.startswith("synthetic") else []
    code, out, err = _evaluate(capsys, str(EX / name), "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


def test_every_example_has_expectations():
    assert sorted(p.name for p in EX.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_settles_to_the_hand_worked_figures(capsys, name):
    res = _json(capsys, name)
    got = {e["id"]: (e["paid"]["basic_insurance"], e["paid"]["serious_illness"], e["paid"]["medical_assistance"], e["out_of_pocket"])
           for e in res["encounters"]}
    assert got == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_result_is_valid_and_adds_up(capsys, name):
    res = _json(capsys, name)
    assert list(validator("result").iter_errors(res)) == []
    for e in res["encounters"]:
        assert sum(Decimal(v) for v in e["paid"].values()) + Decimal(e["out_of_pocket"]) == Decimal(e["total_cost"])
    t = res["totals"]
    assert sum(Decimal(v) for v in t["paid"].values()) + Decimal(t["out_of_pocket"]) == Decimal(t["total_cost"])
    assert res["policy_set"]["fingerprint"].startswith("sha256:") and res["documents"]


def test_unverified_values_used_are_listed_with_their_grade(capsys):
    res = _json(capsys, "cq-2023-dibao.yaml")
    grades = {u["rule"]: u["grade"] for u in res["unverified"]}
    assert grades["cq-2017-resident-inpatient-benefits#deductible"] == "low"
    assert grades["cq-2022-resident-inpatient-rate-adjustment#rate-tier-1-levels-2-3"] == "secondary"
    assert grades["cq-serious-illness-annual-standards#threshold-2023"] == "inferred"
    assert grades["cn-2021-guobanfa-42#serious-illness-threshold-halved"] == "inferred"
    assert "cq-2022-major-disease-insurance-assistance-116#rate-75" not in grades  # primary: not listed
    inferred = next(u for u in res["unverified"] if u["rule"].endswith("#threshold-2023"))
    assert "33,803" in inferred["note"]


def test_min_grade_refuses_a_result_that_uses_weaker_figures(capsys):
    code, _, err = _evaluate(capsys, str(EX / "cq-2023-dibao.yaml"), "--min-grade", "secondary")
    assert code == 2 and "--min-grade secondary" in err and "(low)" in err and "(inferred)" in err
    code, out, _ = _evaluate(capsys, str(EX / "cq-2023-dibao.yaml"), "--min-grade", "seed", "--format", "json")
    assert code == 0 and json.loads(out)["encounters"][0]["paid"]["medical_assistance"] == "8112.24"
    code, _, err = _evaluate(capsys, str(EX / "cq-2023-dibao.yaml"), "--min-grade", "best")
    assert code == 2 and "--min-grade" in err


def test_trace_steps_carry_their_grade(capsys):
    trace = _json(capsys, "cq-2023-dibao.yaml")["encounters"][0]["trace"]
    by_rule = {t["rule"]: t for t in trace if t.get("rule")}
    ma = by_rule["cq-2022-major-disease-insurance-assistance-116#rate-75"]
    assert ma["grade"] == "primary" and ma["verified"] is True
    assert by_rule["cq-2017-resident-inpatient-benefits#deductible"]["grade"] == "low"


def test_ordinary_and_dibao_2023_trace_the_national_tilts(capsys):
    dibao = _json(capsys, "cq-2023-dibao.yaml")["encounters"][0]["trace"]
    ordinary = _json(capsys, "cq-2023-ordinary-resident.yaml")["encounters"][0]["trace"]
    tilts = {(t["step"], t["action"], t["value"], t["rule"]) for t in dibao if t.get("action") in ("scale", "add")}
    doc = "cn-2021-guobanfa-42#"
    assert tilts == {
        ("serious_illness.threshold", "scale", "8450.50", doc + "serious-illness-threshold-halved"),
        ("serious_illness.rate", "add", "0.65", doc + "serious-illness-rate-plus-5"),
    }
    assert not [t for t in ordinary if t.get("action") in ("scale", "add")]
    assert all(t["document_version"] and t["clause"] for t in dibao if t["rule"])


def test_params_shows_the_same_values(capsys):
    assert main(["params", "--region", "500000", "--date", "2020-06-10", "--category", "dibao", "--tier", "1", "--format", "json"]) == 0
    rows = {(r["parameter"], r["hospital_level"]): r for r in json.loads(capsys.readouterr().out)["parameters"]}
    assert rows[("basic_insurance.inpatient.deductible", 3)]["value"] == "400.00"
    assert rows[("basic_insurance.inpatient.rate", 3)]["value"] == "0.50"
    assert rows[("serious_illness.threshold", None)]["value"] == "6596.50"
    assert rows[("serious_illness.rate", None)]["steps"][-1]["rule"] == "cq-2018-medical-poverty-alleviation#serious-illness-rate-plus-5"
    assert rows[("basic_insurance.inpatient.rate", 3)]["steps"][0]["grade"] == "inferred"


def test_text_output_is_chinese_by_default_and_english_on_request(capsys):
    code, out, _ = _evaluate(capsys, str(EX / "cq-2023-dibao.yaml"))
    assert code == 0 and "年度结算单" in out and "基本医保" in out and "非一手" in out
    code, out, _ = _evaluate(capsys, str(EX / "cq-2023-dibao.yaml"), "--lang", "en")
    assert code == 0 and "Year settlement" in out and "Basic insurance" in out


def test_strict_turns_missing_values_into_an_error(capsys):
    code, _, err = _evaluate(capsys, str(EX / "cq-2023-ordinary-resident.yaml"), "--strict", "--lang", "en")
    assert code == 2 and "missing value" in err and "serious_illness.annual_cap" in err


def test_warning_raised_when_out_of_pocket_crosses_the_threshold(capsys):
    m = _json(capsys, "synthetic-high-cost-warning.yaml")["monitoring"]
    assert m["warning"] is True and "encounter e-2" in m["reasons"][0] and "10000.00" in m["reasons"][0]


def test_no_threshold_means_warning_not_determined(capsys):
    res = _json(capsys, "cq-2023-dibao.yaml")
    assert res["monitoring"]["warning"] is None
    assert any(m["parameter"] == "monitoring.threshold" for m in res["missing"])


BASE_CASE = """person:
  id: p
  region: "500000"
  scheme: resident
  categories: [dibao]
encounters:
  - id: e-1
    date: 2020-06-10
    type: inpatient
    hospital_level: 2
    total_cost: "22000.00"
    eligible_cost: "20000.00"
"""

BAD_CASES = {
    "negative amount": (BASE_CASE.replace('total_cost: "22000.00"', "total_cost: -5"), "total_cost"),
    "non-numeric amount": (BASE_CASE.replace('"22000.00"', '"lots"'), "total_cost"),
    "more than two decimals": (BASE_CASE.replace('"22000.00"', '"22000.001"'), "total_cost"),
    "eligible above total": (BASE_CASE.replace('"20000.00"', '"25000.00"'), "eligible_cost 25000.00 is above total_cost 22000.00"),
    "unknown region": (BASE_CASE.replace('"500000"', '"999999"'), "unknown region '999999'"),
    "unknown category": (BASE_CASE.replace("[dibao]", "[pinkun]"), "categories"),
    "two years": (BASE_CASE + '  - {id: e-2, date: 2021-01-05, type: inpatient, hospital_level: 1, total_cost: "10.00", eligible_cost: "10.00"}\n',
                  "encounters fall in 2 calendar years"),
    "date no policy covers": (BASE_CASE.replace("2020-06-10", "2001-06-10"), "no policy in the set covers region 500000 on 2001-06-10"),
    "malformed file": ("person: [oops\n", "YAML syntax error"),
    "unknown key": (BASE_CASE.replace("scheme: resident", "scheme: resident\n  colour: blue"), "unknown key 'colour'"),
    "impossible date": (BASE_CASE.replace("2020-06-10", "2020-02-30"), "impossible date"),
}


@pytest.mark.parametrize("label", sorted(BAD_CASES))
def test_bad_case_exits_2_naming_the_field(tmp_path, capsys, label):
    text, words = BAD_CASES[label]
    f = tmp_path / "case.yaml"
    f.write_text(text, encoding="utf-8")
    code, out, err = _evaluate(capsys, str(f), "--lang", "en")
    assert code == 2
    assert words in err, err
    assert "Traceback" not in err and out == ""


def test_missing_file_and_missing_parameter_exit_2(tmp_path, capsys):
    code, _, err = _evaluate(capsys, str(tmp_path / "nope.yaml"))
    assert code == 2 and "无法读取文件" in err
    code, _, err = _evaluate(capsys, str(tmp_path / "nope.yaml"), "--lang", "en")
    assert code == 2 and "cannot read file" in err
    f = tmp_path / "national.yaml"
    f.write_text(BASE_CASE.replace('"500000"', "CN").replace("2020-06-10", "2023-06-10"), encoding="utf-8")
    code, _, err = _evaluate(capsys, str(f), "--lang", "en")
    assert code == 2
    assert "no rule in force supplies basic_insurance.inpatient.deductible for dibao" in err and "2023-06-10" in err


def test_usage_errors_exit_2(capsys):
    assert main(["evaluate"]) == 2
    assert main(["params", "--region", "500000", "--date", "2020-13-01", "--lang", "en"]) == 2
    assert main(["params", "--region", "nowhere", "--date", "2020-01-01"]) == 2
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--date '2020-13-01' is not a date" in err
