"""The catalogue's output sentences: command results, reports, review and the site; key -> (Chinese, English)."""
from __future__ import annotations

# Command-line output.
CLI: dict[str, tuple[str, str]] = {
    "unknown.not_computed": ("未计算：缺少{what}", "not computed: {what} missing"),
    "unknown.undetermined": ("不确定", "undetermined"),
    "unknown.at_most": ("不确定（至多 {value}）", "undetermined (at most {value})"),
    "unknown.total": ("不确定（{n} 项未计算；已计算部分 {known}）", "undetermined ({n} not computed; computed part {known})"),
    "unknown.count": ("不确定项 {n}", "undetermined items {n}"),
    "validate.valid": ("全部有效", "valid"),
    "validate.invalid": ("无效，共 {n} 个问题", "INVALID, {n} problem(s)"),
    "validate.summary": ("{state}：{documents} 个文件，{rules} 条规则，{reference_data} 个参考数据；已核实 {verified} 个数值，未核实 {unverified} 个；版本 {version}",
                         "{state}: {documents} documents, {rules} rules, {reference_data} reference figures; values verified {verified}, unverified {unverified}; version {version}"),
    "bundle.wrote": ("已写入 {path}：版本 {version}，{fingerprint}，{n} 个文件", "wrote {path}: version {version}, {fingerprint}, {n} documents"),
    "reason.no_cap": ("无生效规则规定年度最高支付限额，未设封顶计算", "no rule in force sets the annual cap; none applied"),
    "reason.no_contribution": ("无生效规则规定个人缴费标准", "no rule in force sets the individual contribution"),
    "reason.no_subsidy": ("所持身份类别无生效的资助规则，资助金额不确定", "no subsidy rule in force for the categories held; subsidy shown as 0.00"),
    "reason.no_threshold": ("无生效的预警线", "no warning threshold in force"),
    "reason.employee": ("职工医保按工资缴费，未建模", "employee contributions are payroll-based and not modelled"),
    "reason.no_rate": ("有规则适用于此人（如全国底线），但无生效规则规定{label}，该部分未计算",
                       "a rule reaches this person but no rule in force sets {parameter}"),
    "words.person": ("{cats}（{scheme}{tier}{level}）", "{cat_ids} ({scheme_id}{tier_id}{level_id})"),
    "words.tier": ("，第{n}档", ", tier {n}"),
    "words.level": ("，{type} {level}级医院", ", {type} level {level}"),
}

# Batch reports and rows.
REPORT: dict[str, tuple[str, str]] = {}

# Review: diff, release check, scenario tests.
REVIEW: dict[str, tuple[str, str]] = {}

# The docs site.
SITE: dict[str, tuple[str, str]] = {}
