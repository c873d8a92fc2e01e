"""The catalogue's output sentences: command results, reports, review and the site; key -> (Chinese, English)."""
from __future__ import annotations

# Command-line output.
CLI: dict[str, tuple[str, str]] = {
    "unknown.not_computed": ("未计算：缺少{what}", "not computed: {what} missing"),
    "unknown.undetermined": ("不确定", "undetermined"),
    "unknown.at_most": ("不确定（至多 {value}）", "undetermined (at most {value})"),
    "unknown.total": ("不确定（{n} 项未计算；已计算部分 {known}）", "undetermined ({n} not computed; computed part {known})"),
    "unknown.count": ("不确定项 {n}", "undetermined items {n}"),
    "action.set": ("规定", "set"),
    "action.scale": ("按比例调整", "scale"),
    "action.add": ("增加", "add"),
    "action.remove_cap": ("取消封顶", "remove_cap"),
    "action.reference": ("参考数据", "reference"),
    "action.guardrail": ("全国底线", "guardrail"),
    "params.no_cap": ("不封顶", "no cap"),
    "params.guardrail_only": ("无（仅有全国底线）", "none (only a guardrail)"),
    "params.guardrail": ("全国底线", "guardrail"),
    "params.none": ("无生效参数", "no parameters in force"),
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
REPORT: dict[str, tuple[str, str]] = {
    "batch.wrote": ("已写入 {path}：{n} 次就诊", "wrote {path}: {n} encounters"),
    "claims.wrote": ("已写入 {path}：{n} 条合成（虚构）就诊记录，随机种子 {seed}", "wrote {path}: {n} SYNTHETIC encounters, seed {seed}"),
    "participation.title": ("{date} 参保率（底线 {floor}%，国家目标）", "participation on {date} (floor {floor}%, national target)"),
    "participation.region": ("参保地", "region"),
    "participation.category": ("身份类别", "category"),
    "participation.enrolled": ("已参保", "enrolled"),
    "participation.population": ("应参保人数", "population"),
    "participation.rate": ("参保率", "rate"),
    "participation.no_population": ("不确定（无应参保人数）", "undetermined (no population)"),
    "participation.below": ("低于底线", "BELOW FLOOR"),
    "participation.below_count": ("低于底线的地区/类别：{n}", "areas/categories below the floor: {n}"),
    "participation.dups": ("重复参保（参保期重叠）的人数：{n}", "persons enrolled twice (overlapping periods): {n}"),
    "participation.enrolment": ("第 {line} 行（{region}，{scheme}，自 {start}）", "line {line} ({region}, {scheme}, from {start})"),
    "participation.dup": ("{id}：保留 {keep}；去掉 {drop} [{kinds}]", "{id}: keep {keep}; drop {drop} [{kinds}]"),
    "report.total": ("合计", "total"),
    "report.warnings_undetermined": ("{n}（另 {undetermined} 人年不确定）", "{n} ({undetermined} undetermined)"),
    "report.undetermined_note": ("预警不确定的人年（无生效预警线）：{n}", "person-years whose warning is undetermined (no threshold in force): {n}"),
    "report.unsettled_note": ("未能结算的人年：{n}（{encounters} 次就诊），未计入上列金额", "person-years not settled: {n} ({encounters} encounters), not in the amounts above"),
}

# Review: diff, release check, scenario tests.
REVIEW: dict[str, tuple[str, str]] = {
    "release.skipped": ("跳过发布检查：{repo} 中没有发布标签 v*", "release check skipped: no release tag v* in {repo}"),
    "release.errors": ("错误", "error"),
    "release.warnings": ("提醒", "warning"),
    "release.notes": ("说明", "note"),
    "release.ok": ("通过", "ok"),
    "release.n_errors": ("{n} 个错误", "{n} error(s)"),
    "release.summary": ("发布检查 {base} → {head}：{state}", "release check {base} → {head}: {state}"),
}

# The docs site.
SITE: dict[str, tuple[str, str]] = {}
