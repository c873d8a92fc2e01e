"""The message catalogue: every user-facing sentence in Chinese and English, looked up by a stable key."""
from __future__ import annotations

from typing import Any

LANGS = ("zh", "en")

# Each entry: key -> (Chinese, English), with str.format fields. Keys are stable: JSON errors and tests use them.
# One dict per area keeps the catalogue readable; add a key to the area that shows it.

# Settlement trace: each step a sentence as the notice says it.
TRACE: dict[str, tuple[str, str]] = {
    "trace.not_computed": ("未计算：{reason}", "not computed: {reason}"),
}

# Errors: bad input, bad usage, invalid policies.
ERRORS: dict[str, tuple[str, str]] = {
    "error.input": ("输入有误：{detail}", "bad input: {detail}"),
}

# Command-line output, reports and review.
CLI: dict[str, tuple[str, str]] = {
    "unknown.not_computed": ("未计算：缺少{what}", "not computed: {what} missing"),
    "unknown.undetermined": ("不确定", "undetermined"),
    # yibao gaps: figures a settlement may need that no rule supplies
    "gaps.region": ("{region} {first}–{last} 年：缺失数值 {n} 项", "{region} {first}–{last}: {n} missing figure(s)"),
    "gaps.none": ("没有缺失数值。", "No missing figures."),
    "gaps.no_policy": ("无任何生效政策", "no policy in force"),
    "gaps.effect.refused": ("结算被拒绝并指出该数值", "settlement refused, naming the figure"),
    "gaps.effect.not_applied": ("不设该封顶计算，并列为缺失", "no cap applied; listed as missing"),
    "gaps.effect.undetermined": ("结果显示为无法确定", "shown as not determined"),
    "gaps.who": ("{encounters} · {levels}级医院 · 缴费档次 {tiers} · {who}", "{encounters} · hospital level {levels} · tier {tiers} · {who}"),
    "gaps.who_person": ("按人按年（与就诊无关） · 缴费档次 {tiers} · {who}", "per person and year (any encounter) · tier {tiers} · {who}"),
    "gaps.everyone": ("所有参保人", "everyone"),
    "gaps.ordinary": ("普通参保人", "ordinary insured"),
    "gaps.no_tier": ("未填", "none given"),
    "gaps.known": ("已知：{value}（{who}；{start} 起至 {until}；可信度 {grade}；{rule}）", "known: {value} ({who}; {start} to {until}; grade {grade}; {rule})"),
    "gaps.look": ("查找：{text}", "look for: {text}"),
    "gaps.look_for.reference": ("{region} {year} 年全体居民人均可支配收入：当年统计公报“人民生活”部分或统计局报告",
                                "the {year} per-capita disposable income of {region}: the statistical bulletin's living-standards section or a statistics-bureau report"),
    "gaps.look_for.serious_illness.threshold": ("当年大病保险起付线：医保局年度居民医保待遇通知或其解读；重庆按两年前全市居民人均可支配收入的一半确定，可由该收入推算",
                                                "the year's serious-illness threshold: the healthcare-security bureau's annual residents' notice or its interpretation; in Chongqing half the income of two years before, so the income figure also gives it"),
    "gaps.look_for.serious_illness.rate": ("大病保险支付比例或分段：大病保险调整通知（市政府办公厅或医保局）", "the serious-illness rate or bands: the adjustment notice (municipal government office or healthcare-security bureau)"),
    "gaps.look_for.serious_illness.annual_cap": ("大病保险年度最高支付限额：大病保险通知或年度待遇通知", "the serious-illness annual cap: the serious-illness notice or the annual benefits notice"),
    "gaps.look_for.medical_assistance.rate": ("医疗救助比例（按救助对象类别）：医疗救助实施办法、区县医保局政策问答", "the assistance rate by category: the medical-assistance rules, district healthcare-security Q&A pages"),
    "gaps.look_for.medical_assistance.deductible": ("医疗救助起付标准（按类别）：医疗救助实施办法或国办发〔2021〕42号的地方实施意见", "the assistance deductible by category: the medical-assistance rules or the local implementation of 国办发〔2021〕42号"),
    "gaps.look_for.medical_assistance.annual_cap": ("医疗救助年度限额：医疗救助实施办法", "the assistance annual limit: the medical-assistance rules"),
    "gaps.look_for.basic_insurance.inpatient.deductible": ("住院起付线（按医院等级）：居民医保待遇通知", "the inpatient deductible by hospital level: the residents' benefits notice"),
    "gaps.look_for.basic_insurance.inpatient.rate": ("住院报销比例（按医院等级、缴费档次）：居民医保待遇通知；案例须填缴费档次", "the inpatient rate by level and tier: the residents' benefits notice; a case must give its contribution tier"),
    "gaps.look_for.basic_insurance.outpatient_special.deductible": ("门诊慢特病起付线：门诊慢特病待遇通知", "the outpatient special-disease deductible: the outpatient special-disease notice"),
    "gaps.look_for.basic_insurance.outpatient_special.rate": ("门诊慢特病报销比例：门诊慢特病待遇通知", "the outpatient special-disease rate: the outpatient special-disease notice"),
    "gaps.look_for.basic_insurance.annual_cap": ("基本医保年度最高支付限额（按档次）：居民医保待遇通知", "the basic-insurance annual limit by tier: the residents' benefits notice"),
    "gaps.look_for.premium.individual_contribution": ("当年个人缴费标准（按档次）：年度居民医保参保缴费通知", "the year's individual contribution by tier: the annual enrolment notice"),
    "gaps.look_for.premium.subsidy": ("该类别的资助参保标准：年度参保缴费通知、区县医保局“资助参保”政策问答或明白卡", "the premium subsidy for the category: the annual enrolment notice, district Q&A pages or benefit cards"),
    "gaps.look_for.monitoring.threshold": ("高额医疗费用预警线：防止因病返贫监测预警文件（医保局、乡村振兴局）", "the high-cost warning threshold: the monitoring and early-warning rules (healthcare-security and rural-revitalisation bureaus)"),
    "gaps.look_for.policy": ("该地区该时期的任何政策文件", "any policy document of the region for the period"),
    "gaps.look_for.other": ("规定 {parameter} 的文件", "the document that sets {parameter}"),
}

CATALOGUE: dict[str, tuple[str, str]] = {**TRACE, **ERRORS, **CLI}


def msg(key: str, lang: str = "zh", **fields: Any) -> str:
    """The sentence for `key` in `lang` (zh or en), its fields filled in; an unknown key is a programming error."""
    zh, en = CATALOGUE[key]
    return (en if lang == "en" else zh).format(**fields)
