"""Closed vocabularies: hardship categories, regions, encounter types and parameters."""
from __future__ import annotations

from dataclasses import dataclass

CATEGORIES: dict[str, tuple[str, str]] = {
    "tekun": ("特困人员", "persons in extreme poverty (state-supported destitute)"),
    "guer": ("孤儿/事实无人抚养儿童", "orphans and de facto unsupported children"),
    "dibao": ("低保对象", "minimum-living-allowance recipients"),
    "dibao_bianyuan": ("低保边缘家庭成员", "members of near-dibao households"),
    "fanpin_zhipin": ("返贫致贫人口", "persons who fell (back) into poverty"),
    "jiance_duixiang": ("防止返贫监测对象", "monitored rural persons at risk of (re)impoverishment"),
    "tuopin": ("脱贫人口", "persons lifted out of poverty (transition period)"),
    "jiandang_pinkun": ("建档立卡贫困人口", "registered poor (2014-2020 campaign)"),
    "yinbing_zhipin": ("因病致贫重病患者", "seriously ill patients impoverished by illness"),
    "zhongdu_canji": ("重度残疾人", "severely disabled persons"),
    "youfu": ("优抚对象", "persons entitled to preferential treatment"),
    "kunnan_daxuesheng": ("家庭经济困难大学生", "college students from families in financial difficulty"),
}
ORDINARY = ("普通参保人", "ordinary insured person")


@dataclass(frozen=True)
class Region:
    """A GB/T 2260 jurisdiction with its parent (None for the national level)."""

    code: str
    zh: str
    en: str
    parent: str | None


NATIONAL = "CN"
REGIONS: dict[str, Region] = {
    r.code: r
    for r in (
        Region("CN", "全国", "China (national)", None),
        Region("110000", "北京市", "Beijing", "CN"),
        Region("130000", "河北省", "Hebei", "CN"),
        Region("140000", "山西省", "Shanxi", "CN"),
        Region("500000", "重庆市", "Chongqing", "CN"),
        Region("610000", "陕西省", "Shaanxi", "CN"),
        Region("610100", "西安市", "Xi'an", "610000"),
    )
}
REGION_ALIASES = {"100000": "CN"}


def canonical_region(code: str) -> str | None:
    """The registry code for a GB/T 2260 code or alias, or None if unknown."""
    code = REGION_ALIASES.get(str(code), str(code))
    return code if code in REGIONS else None


def region_chain(code: str) -> list[str]:
    """Jurisdictions from the national level down to `code`."""
    chain: list[str] = []
    cur: str | None = canonical_region(code)
    while cur is not None:
        chain.append(cur)
        cur = REGIONS[cur].parent
    return list(reversed(chain))


def layer(code: str) -> int:
    """Depth of a jurisdiction: 0 national, 1 province, 2 pooling area below a province."""
    return len(region_chain(code)) - 1


SCHEMES = {"resident": ("城乡居民医保", "resident scheme"), "employee": ("职工医保", "employee scheme")}
ENCOUNTER_TYPES = {
    "inpatient": ("住院", "inpatient"),
    "outpatient_special": ("门诊慢特病", "outpatient chronic or special disease"),
}
HOSPITAL_LEVELS = (1, 2, 3)


@dataclass(frozen=True)
class Parameter:
    """A named quantity a rule can set, with its kind and which direction favours the insured."""

    name: str
    kind: str  # money | rate | bands | cap | months | flag
    better: str  # lower | higher
    by_level: bool
    zh: str
    en: str


def _params() -> dict[str, Parameter]:
    rows = []
    for etype, (zh_t, en_t) in ENCOUNTER_TYPES.items():
        rows += [
            (f"basic_insurance.{etype}.deductible", "money", "lower", True, f"{zh_t}起付线", f"{en_t} deductible"),
            (f"basic_insurance.{etype}.rate", "rate", "higher", True, f"{zh_t}报销比例", f"{en_t} reimbursement rate"),
        ]
    rows += [
        ("basic_insurance.annual_cap", "cap", "higher", False, "基本医保年度最高支付限额", "basic insurance annual cap"),
        ("serious_illness.threshold", "money", "lower", False, "大病保险起付线", "serious-illness threshold"),
        ("serious_illness.rate", "bands", "higher", False, "大病保险支付比例", "serious-illness rate"),
        ("serious_illness.annual_cap", "cap", "higher", False, "大病保险年度最高支付限额", "serious-illness annual cap"),
        ("medical_assistance.deductible", "money", "lower", False, "医疗救助起付标准", "medical-assistance deductible"),
        ("medical_assistance.rate", "rate", "higher", False, "医疗救助比例", "medical-assistance rate"),
        ("medical_assistance.annual_cap", "cap", "higher", False, "医疗救助年度限额", "medical-assistance annual cap"),
        ("premium.individual_contribution", "money", "lower", False, "个人缴费标准", "individual contribution"),
        ("premium.fiscal_subsidy", "money", "higher", False, "财政补助标准（人均）", "fiscal subsidy per person"),
        ("premium.subsidy", "money", "higher", False, "个人缴费资助金额", "premium subsidy (amount)"),
        ("premium.subsidy_share", "rate", "higher", False, "个人缴费资助比例", "premium subsidy (share of contribution)"),
        ("monitoring.threshold", "money", "lower", False, "高额医疗费用预警线", "high-cost warning threshold"),
        ("monitoring.threshold_share", "rate", "lower", False, "预警线占上年人均可支配收入比例", "warning threshold as share of previous-year income"),
        ("waiting_period.fixed_months", "months", "lower", False, "固定待遇等待期（月）", "fixed waiting period (months)"),
        ("waiting_period.months_per_extra_lapse_year", "months", "lower", False, "每多断保1年增加等待期（月）", "extra waiting months per further year of lapse"),
        ("waiting_period.months_off_per_repaid_year", "months", "higher", False, "每补缴1年减少等待期（月）", "waiting months removed per year repaid"),
        ("waiting_period.exempt", "flag", "higher", False, "免设等待期", "exempt from waiting periods"),
    ]
    return {r[0]: Parameter(*r) for r in rows}


STEP_ROLES: dict[str, tuple[str, str, bool, str, str]] = {
    # role: (kind, better, by_level, Chinese suffix, English suffix)
    "deductible": ("money", "lower", True, "起付线", "deductible"),
    "rate": ("bands", "higher", True, "支付比例", "rate"),
    "share_limit": ("rate", "higher", False, "计入费用占总费用上限", "share of the bill counted at most"),
    "ceiling": ("rate", "lower", False, "个人自付占总费用上限", "self-pay ceiling (share of the bill)"),
    "annual_cap": ("cap", "higher", False, "年度最高支付限额", "annual cap"),
}


def step_parameter(name: str, zh: str | None = None, en: str | None = None, flat: bool = False) -> Parameter | None:
    """The Parameter of a payment step's figure `<step>[.<type>].<role>`, or None if the name is not of that form."""
    parts = name.split(".")
    if len(parts) not in (2, 3) or parts[-1] not in STEP_ROLES or (len(parts) == 3 and parts[1] not in ENCOUNTER_TYPES):
        return None
    kind, better, by_level, zh_s, en_s = STEP_ROLES[parts[-1]]
    if flat and kind == "bands":
        kind = "rate"
    return Parameter(name, kind, better, by_level, f"{zh or parts[0]}{zh_s}", f"{en or parts[0]} {en_s}")


class _Parameters(dict):
    """The parameter registry: the named parameters, plus any payment step's figures on first use."""

    def __missing__(self, name: str) -> Parameter:
        p = step_parameter(name)
        if p is None:
            raise KeyError(name)
        return p


PARAMETERS: dict[str, Parameter] = _Parameters(_params())


def register_step_parameter(name: str, zh: str, en: str, flat: bool) -> None:
    """Add a declared step's figure with the step's own names (named parameters keep their entry)."""
    if name not in NAMED_PARAMETERS:
        p = step_parameter(name, zh, en, flat)
        if p is not None:
            PARAMETERS[name] = p


NAMED_PARAMETERS = frozenset(PARAMETERS)  # the contract's names; step figures are added per policy set

# Reference data series that rules may point at.
REFERENCE_SERIES = {
    "per_capita_disposable_income": ("居民人均可支配收入", "per-capita disposable income of residents"),
}

# Confidence grades of a figure, strongest first. `--min-grade G` accepts G and every grade before it.
GRADES: dict[str, tuple[str, str, str]] = {
    "primary": ("一手", "primary", "官方文本或注明文号、发文机关和日期的忠实转载 the official text, or a faithful repost with number, issuer and date"),
    "secondary": ("二手", "secondary", "可靠的新闻报道 a reputable news report"),
    "low": ("低", "low", "聚合站点或来源不明的镜像 an aggregator or an unidentified mirror"),
    "inferred": ("推算", "inferred", "由其他数值推算或推理得出，推导过程已写明 derived by arithmetic or reasoning, derivation written down"),
    "seed": ("种子", "seed", "项目种子文章（英文摘要）a project seed article (an English summary)"),
}
GRADE_ORDER = tuple(GRADES)
# How a document written in the old verified/unverified form is read: a verified figure takes the grade of its source's kind.
KIND_GRADE = {"official": "primary", "news": "secondary", "secondary": "low", "seed": "seed", "aggregator": "low"}


def grade_rank(grade: str) -> int:
    """Position of a grade, 0 = strongest (primary)."""
    return GRADE_ORDER.index(grade)
