"""The message catalogue: every user-facing sentence in Chinese and English, looked up by a stable key."""
from __future__ import annotations

from typing import Any

from engine.core.msg_errors import ERRORS
from engine.core.msg_help import HELP
from engine.core.msg_output import CLI, DIFF, REPORT, REVIEW, SITE

LANGS = ("zh", "en")

# Each entry: key -> (Chinese, English), with str.format fields. Keys are stable: JSON errors and tests use them.
# One dict per area keeps the catalogue readable; add a key to the area that shows it (errors in msg_errors.py,
# command output, reports, review and the site in msg_output.py).

# Settlement trace: each step a sentence as the notice says it.
TRACE: dict[str, tuple[str, str]] = {
    "trace.not_computed": ("未计算：{reason}", "not computed: {reason}"),
    "trace.waiting_step": ("等待期内，本项不支付", "inside the waiting period: this step does not pay"),
    "trace.waiting_exempt": ("免等待期", "exempt from the waiting period"),
    "trace.waiting_inside": ("等待期 {months} 个月，自 {start} 至 {end}：本次就诊在等待期内", "{months} months from {start} until {end}: encounter inside it"),
    "trace.waiting_after": ("等待期 {months} 个月，自 {start} 至 {end}：本次就诊在等待期之后", "{months} months from {start} until {end}: encounter after it"),
    "trace.not_for_encounter": ("本次就诊不适用{step}：{why}", "no {step} for this encounter: {why}"),
    "trace.no_rule_covers": ("没有生效的{step}规则适用于{who}", "no {step} rule in force covers {who}"),
    "trace.reaches_no_figure": ("有{step}规则适用于此人，但没有生效规则规定{label}（{parameter}）",
                                "a {step} rule reaches this person but no rule in force sets {parameter}"),
    "trace.why.categories": ("所持身份类别不含{categories}", "held categories do not include {categories}"),
    "trace.why.who": ("本项的适用范围（险种、就诊类型、医院等级或缴费档次）不含本次就诊",
                      "the step's who (scheme, encounter type, hospital level or tier) does not cover this encounter"),
    "trace.nothing_to_pay_on": ("{name}：本次就诊支付基数为 0 元，无可支付，0.00 元为确定值（虽然{reason}）",
                                "{name}: nothing is owed on this step's base for this encounter, so 0.00 is a fact (although {reason})"),
    "trace.after_unknown": ("{step}按前面未计算的{earlier}之后的余额支付，缺少{parameter}，本项也无法确定",
                            "{step} pays on what {earlier} left, which is not computed for lack of {parameter}: not known either"),
    "trace.needed_by_step": ("就诊 {encounter} 的支付步骤 {step}（{why}）", "payment step {step} ({why}) for encounter {encounter}"),
    # payment steps: one sentence per step, assembled from these parts in this order
    "trace.step.base.in_scope": ("{name}：政策范围内尚未支付 {base} 元", "{name}: {base} still owed within the policy scope"),
    "trace.step.base.out_of_scope": ("{name}：目录外尚未支付 {base} 元", "{name}: {base} still owed outside the policy scope"),
    "trace.step.base.self_pay": ("{name}：个人尚需负担 {base} 元", "{name}: the person still owes {base}"),
    "trace.step.share_limit": ("，至多按总费用 {total} 元的 {share} 计入 {counted} 元", ", counted at most {share} of the bill {total}: {counted}"),
    "trace.step.deductible.encounter": ("，扣除起付线 {deductible} 元后 {above} 元", ", {above} above the deductible {deductible}"),
    "trace.step.deductible.year": ("，本年累计 {before} → {after} 元，超过起付线 {deductible} 元的部分 {above} 元",
                                   ", year so far {before} -> {after}, {above} above the deductible {deductible}"),
    "trace.step.deductible.none": ("，计入 {above} 元", ", {above} counted"),
    "trace.step.ceiling": ("，个人负担不超过总费用的 {share}（{limit} 元），超出部分 {above} 元",
                           ", the person pays at most {share} of the bill ({limit}): {above} above it"),
    "trace.step.rate": ("，按 {rate} 支付", " at {rate}"),
    "trace.step.bands": ("，分段累进（本年 {lo} → {hi} 元）：{bands}", ", marginal bands (year {lo} -> {hi}): {bands}"),
    "trace.step.band": ("{start} 元以上 {rate}", "{rate} from {start}"),
    "trace.step.cap": ("，年度限额剩余 {left} 元", ", {left} left of the annual cap"),
    "trace.step.no_cap": ("，不封顶", ", no cap"),
    "trace.step.cap_missing": ("，年度限额缺失，未适用", ", annual cap missing: not applied"),
    "trace.step.paid": ("，支付 {paid} 元", ": pays {paid}"),
    # a payment step's arithmetic in words (params, docs pages, diff)
    "step.describe": ("{order}. {name}（{id}）：{parts}", "{order}. {name} ({id}): {parts}"),
    "step.base.in_scope": ("对政策范围内尚未支付的费用", "on the policy-scope cost still owed"),
    "step.base.out_of_scope": ("对目录外尚未支付的费用", "on the out-of-catalogue cost still owed"),
    "step.base.self_pay": ("对个人尚需负担的全部费用", "on everything the person still owes"),
    "step.share_limit": ("至多按总费用的 {p} 计入", "counted at most {p} x the bill"),
    "step.accumulation.encounter": ("按次计算", "per encounter"),
    "step.accumulation.year": ("按年度累计", "accumulated over the year"),
    "step.deductible.encounter": ("每次扣除起付线 {p}", "deductible {p} per encounter"),
    "step.deductible.year": ("每年起付线 {p}", "yearly deductible {p}"),
    "step.rate.flat": ("按比例 {p} 支付", "paid at rate {p}"),
    "step.rate.marginal": ("按分段比例 {p} 累进支付", "paid in marginal bands {p}"),
    "step.ceiling": ("个人负担不超过总费用的 {p}，其余由本项支付", "the person pays at most {p} of the bill, the step the rest"),
    "step.annual_cap": ("年度限额 {p}", "annual cap {p}"),
    "step.waiting_period": ("等待期内不支付", "not paid inside a waiting period"),
    "step.who": ("适用于 {p}", "for {p}"),
    "step.where": ("仅限{p}", "only {p}"),
    "step.added": ("新增支付步骤 {name}（{id}，第 {order} 位）：{parts}", "new payment step {name} ({id}, order {order}): {parts}"),
    "step.removed": ("取消支付步骤 {name}（{id}）", "payment step {name} ({id}) removed"),
    "step.changed": ("支付步骤 {name}（{id}）改为：{parts}", "payment step {name} ({id}) now: {parts}"),
    "trace.param.set": ("{label} {value}{where}", "{label} {value}{where}"),
    "trace.param.scale": ("{who}按 {factor} 倍调整为 {value}", "{who}: x {factor} = {value}"),
    "trace.param.add": ("{who}增加 {amount} 为 {value}", "{who}: + {amount} = {value}"),
    "trace.param.remove_cap": ("{who}取消封顶", "{who}: no cap"),
    "trace.param.reference": ("{detail}", "{detail}"),
}

CATALOGUE: dict[str, tuple[str, str]] = {**TRACE, **ERRORS, **CLI, **REPORT, **REVIEW, **DIFF, **SITE, **HELP}


def msg(key: str, /, lang: str = "zh", **fields: Any) -> str:
    """The sentence for `key` in `lang` (zh or en), its fields filled in; an unknown key is a programming error."""
    zh, en = CATALOGUE[key]
    return (en if lang == "en" else zh).format(**{k: tr(v, lang) for k, v in fields.items()})


class Text(str):
    """A catalogue sentence that is still a plain (English) string but can be rendered again in any language."""

    key: str
    fields: dict[str, Any]

    def __new__(cls, key: str, /, **fields: Any) -> "Text":
        s = super().__new__(cls, msg(key, "en", **fields))
        s.key, s.fields = key, fields
        return s

    def __reduce__(self) -> tuple:
        return (_text, (self.key, self.fields))

    def render(self, lang: str = "zh") -> str:
        """This sentence in `lang`."""
        return msg(self.key, lang, **self.fields)


def _text(key: str, fields: dict[str, Any]) -> Text:
    return Text(key, **fields)


def tr(value: Any, lang: str = "zh") -> Any:
    """A Text in `lang`; a list of values each in `lang`; anything else unchanged."""
    if isinstance(value, (Text, Name)):
        return value.render(lang)
    if isinstance(value, (list, tuple)) and any(isinstance(v, (Text, Name)) for v in value):
        return ("、" if lang == "zh" else ", ").join(str(tr(v, lang)) for v in value)
    return value


def key_of(value: Any, default: str = "error.input") -> str:
    """The catalogue key of a Text (the stable code of an error), else `default`."""
    return value.key if isinstance(value, Text) else default


class Name(str):
    """An id (a parameter, region, category, scheme or encounter type) that reads as its name in words."""

    kind: str

    def __new__(cls, kind: str, ident: Any) -> "Name":
        s = super().__new__(cls, str(ident))
        s.kind = kind
        return s

    def __reduce__(self) -> tuple:
        return (Name, (self.kind, str(self)))

    def render(self, lang: str = "zh") -> str:
        """The name in `lang`, or the id itself when the vocabulary does not know it."""
        return words(self.kind, str(self), lang)


def words(kind: str, ident: str, lang: str = "zh") -> str:
    """A vocabulary id in words: param, region, category, categories ('a|b' or 'a+b'), scheme, type, tier."""
    from engine.core.registry import CATEGORIES, ENCOUNTER_TYPES, ORDINARY, PARAMETERS, REFERENCE_SERIES, REGIONS, SCHEMES

    i = 1 if lang == "en" else 0
    if kind == "param":
        base, _, level = ident.partition("[")
        p = PARAMETERS.get(base)
        label = (p.en if i else p.zh) if p else ident
        return label + (("（{}级医院）" if not i else " (level {} hospital)").format(level.rstrip("]")) if level else "")
    if kind == "region":
        r = REGIONS.get(ident)
        return (r.en if i else r.zh) if r else ident
    if kind == "categories":
        parts = [x for x in ident.replace("+", "|").split("|") if x]
        if not parts or parts == ["ordinary"]:
            return ORDINARY[i]
        return ("、" if not i else ", ").join(words("category", x, lang) for x in parts)
    if kind == "category":
        if ident in ("ordinary", ""):
            return ORDINARY[i]
        if ident == "all":
            return "全体" if not i else "everyone"
        return CATEGORIES[ident][i] if ident in CATEGORIES else ident
    table = {"scheme": SCHEMES, "type": ENCOUNTER_TYPES, "series": REFERENCE_SERIES}.get(kind, {})
    return table[ident][i] if ident in table else ident


def person_words(categories: list[str], scheme: str, tier: int | None = None, etype: str | None = None,
                 level: int | None = None) -> Text:
    """Who a value is for, in words (低保对象（城乡居民医保，第1档，住院 2级医院）); English keeps the ids."""
    return Text("words.person", cats=Name("categories", "|".join(categories)), cat_ids=",".join(categories) or "ordinary insured",
                scheme=Name("scheme", scheme), scheme_id=scheme,
                tier=Text("words.tier", n=tier) if tier else "", tier_id=f", tier {tier}" if tier else "",
                level=Text("words.level", type=Name("type", etype), level=level) if etype else "",
                level_id=f", {etype} level {level}" if etype else "")


def os_reason(exc: OSError) -> Text:
    """The operating system's reason for a failed read or write, in words (errno name as the key)."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    if f"os.{name}" in CATALOGUE:
        return Text(f"os.{name}")
    return Text("os.other", why=exc.strerror or str(exc))
