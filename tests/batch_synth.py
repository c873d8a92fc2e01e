"""A SYNTHETIC policy set for the batch tests: invented figures that exercise caps, bands, assistance, epochs, waiting."""
from __future__ import annotations

from pathlib import Path

from synth import document, rule, write_set



def policies(root: Path) -> Path:
    """Two synthetic baselines (the second from 2022-07-01 changes rates and the cap mid-year) plus tilts."""
    def common() -> list[dict]:
        return [
        rule("si-threshold", "serious_illness.threshold", "set", 8000),
        rule("si-rate", "serious_illness.rate", "set", [{"from": "0.00", "rate": "0.60"}, {"from": "20000.00", "rate": "0.70"}]),
        rule("si-cap", "serious_illness.annual_cap", "set", 50000),
        rule("ma-rate", "medical_assistance.rate", "set", "0.70", {"categories": ["dibao", "tekun"]}),
        rule("ma-deductible", "medical_assistance.deductible", "set", 0, {"categories": ["dibao", "tekun"]}),
        rule("ma-cap", "medical_assistance.annual_cap", "set", 12000, {"categories": ["dibao", "tekun"]}),
        rule("ma-rate-edge", "medical_assistance.rate", "set", "0.60", {"categories": ["dibao_bianyuan"]}),
        rule("ma-deductible-edge", "medical_assistance.deductible", "set", "1500.50", {"categories": ["dibao_bianyuan"]}),
        rule("ma-cap-edge", "medical_assistance.annual_cap", "set", 2000, {"categories": ["dibao_bianyuan"]}),
        rule("mon", "monitoring.threshold", "set", 12000),
        rule("mon-dibao", "monitoring.threshold", "set", 6000, {"categories": ["dibao"]}),
        rule("contribution", "premium.individual_contribution", "set", 350),
        rule("subsidy-dibao", "premium.subsidy", "set", 200, {"categories": ["dibao"]}),
        rule("subsidy-tekun", "premium.subsidy_share", "set", 1, {"categories": ["tekun"]}),
        rule("wait", "waiting_period.fixed_months", "set", 3),
        rule("wait-extra", "waiting_period.months_per_extra_lapse_year", "set", 1),
        rule("wait-off", "waiting_period.months_off_per_repaid_year", "set", 1),
        rule("wait-exempt", "waiting_period.exempt", "set", True, {"categories": ["dibao"]}),
        ]
    first = document("synthetic-batch-2020", "500000", [
        rule("deductible", "basic_insurance.inpatient.deductible", "set", {"1": 100, "2": 300, "3": 800}),
        rule("rate", "basic_insurance.inpatient.rate", "set", {"1": "0.85", "2": "0.70", "3": "0.55"}),
        rule("cap", "basic_insurance.annual_cap", "set", 30000),
        *common(),
    ], start="2020-01-01", until="2022-07-01")
    second = document("synthetic-batch-2022", "500000", [
        rule("deductible", "basic_insurance.inpatient.deductible", "set", {"1": 50, "2": 333, "3": 777}),
        rule("rate", "basic_insurance.inpatient.rate", "set", {"1": "0.875", "2": "0.75", "3": "0.6"}),
        rule("cap", "basic_insurance.annual_cap", "set", 40000),
        *common(),
    ], start="2022-07-01")
    tilts = document("synthetic-batch-tilts", "500000", [
        rule("dibao-rate", "basic_insurance.inpatient.rate", "add", "0.05", {"categories": ["dibao"]}),
        rule("dibao-threshold", "serious_illness.threshold", "scale", "0.5", {"categories": ["dibao"]}),
        rule("tekun-si-cap", "serious_illness.annual_cap", "remove_cap", True, {"categories": ["tekun"]}),
    ], start="2020-01-01")
    return write_set(root, [first, second, tilts])
