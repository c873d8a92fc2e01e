"""Generate the docs site's Markdown pages from the policy set (no mkdocs needed; docs/gen_pages.py writes them)."""
from __future__ import annotations

import datetime as dt
import posixpath
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from .explain import describe_rule
from .model import Document, Rule
from .params import params_table
from .policyset import PolicySet
from .registry import CATEGORIES, ENCOUNTER_TYPES, NATIONAL, PARAMETERS, REGIONS, SCHEMES, layer, region_chain
from .site_svg import Bar, Edge, Node, Stack, graph_chart, stacked_chart, timeline_chart

DEFAULT_REPO_URL = "https://github.com/example/yibao-rules"
LAYER_NAMES = ("全国 national", "省级 province", "统筹地区 pooling area")
STATUS = {"draft": "草案 draft", "in_force": "现行有效 in force", "expired": "已失效 expired",
          "superseded": "已被替代 superseded", "reference": "参考数据 reference data"}
EFFECTS = {"set": "设定 set", "scale": "按比例调整 scale", "add": "增减 add", "remove_cap": "取消封顶 remove cap",
           "guardrail": "全国底线 guardrail"}
NOTE_KINDS = {"not_modelled": "未建模 Not modelled", "interpretation": "解读 Interpretation", "verification": "核实记录 Verification"}
TOPICS = {
    "basic_insurance": ("基本医保", "Basic medical insurance"),
    "serious_illness": ("大病保险", "Serious-illness insurance"),
    "medical_assistance": ("医疗救助", "Medical assistance"),
    "premium": ("参保资助", "Premium and subsidies"),
    "monitoring": ("监测预警", "Monitoring and early warning"),
    "waiting_period": ("待遇等待期", "Waiting periods"),
}
TIER_LABELS = {"basic_insurance": "基本医保 basic", "serious_illness": "大病保险 serious illness",
               "medical_assistance": "医疗救助 assistance", "out_of_pocket": "个人自付 out of pocket"}
CHART_TIERS = ("out_of_pocket", "basic_insurance", "serious_illness", "medical_assistance")
CHART_MAX, CHART_STEP = Decimal(500000), Decimal(10000)


@dataclass
class Site:
    """Generated pages (docs-relative path -> Markdown), their edit sources, and build notes."""

    pages: dict[str, str] = field(default_factory=dict)
    edit_paths: dict[str, str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# -- paths and links -----------------------------------------------------------
def notice_page(doc_id: str) -> str:
    """Page of a notice."""
    return f"notices/{doc_id}.md"


def region_page(code: str) -> str:
    """Page of a region."""
    return f"regions/{code}.md"


def link(src: str, dst: str, anchor: str = "") -> str:
    """A Markdown link target from page `src` to page `dst` (both docs-relative .md paths)."""
    rel = posixpath.relpath(dst, posixpath.dirname(src) or ".")
    return rel + (f"#{anchor}" if anchor else "")


def url(src: str, dst: str, anchor: str = "") -> str:
    """An HTML href from page `src` to page `dst` under directory URLs (for raw HTML and SVG)."""
    def as_dir(p: str) -> str:
        stem = p[:-3]
        if stem == "index":
            return ""
        return stem[: -len("index")] if stem.endswith("/index") else stem + "/"
    rel = posixpath.relpath(as_dir(dst) or ".", as_dir(src) or ".")
    return ("./" if rel == "." else rel + "/") + (f"#{anchor}" if anchor else "")


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("\n", " ").replace("|", "\\|").strip()


def region_name(code: str) -> str:
    """Chinese and English name of a region."""
    r = REGIONS.get(code)
    return f"{r.zh} {r.en}" if r else code


def category_tab(cat: str | None) -> str:
    """A short tab label for a category."""
    return "普通参保人" if cat is None else CATEGORIES[cat][0]


def category_name(cat: str | None) -> str:
    """Chinese and English label of a category (None = ordinary insured)."""
    if cat is None:
        return "普通参保人 ordinary insured"
    zh, en = CATEGORIES[cat]
    return f"{zh} {en}"


def badge(verified: bool) -> str:
    """A provenance badge."""
    if verified:
        return '<span class="yb-badge yb-verified">✔ 已核实 verified</span>'
    return '<span class="yb-badge yb-unverified">⚠ 未核实 unverified</span>'


def period_text(start: dt.date, end: dt.date | None) -> str:
    """A half-open period in words."""
    return f"{start.isoformat()} 起 from … {end.isoformat()} 止（不含 exclusive）" if end else f"{start.isoformat()} 起 from …（未设截止 open-ended）"


def fmt_value(param: str, shown: str | None) -> str:
    """A value from params_table as a reader expects it: rates as percentages, money in yuan."""
    if shown is None:
        return "—"
    kind = PARAMETERS[param].kind
    if kind in ("rate", "bands") and ";" not in shown and "from" not in shown:
        return f"{(Decimal(shown) * 100).normalize():f}%"
    if kind in ("money", "cap"):
        return f"{shown} 元"
    if kind == "months":
        return f"{shown} 个月"
    return shown


def source_path(ps: PolicySet, doc: Document) -> str:
    """Repository path of a document's YAML file (policies/…)."""
    try:
        rel = Path(doc.path).resolve().relative_to(Path(ps.root).resolve())
    except ValueError:
        rel = Path(Path(doc.path).name)
    return "policies/" + rel.as_posix()


def doc_title(doc: Document) -> str:
    """A document's Chinese title."""
    return doc.title.get("zh") or doc.title.get("en") or doc.id


def _rule_link(src: str, key: str, ps: PolicySet) -> str:
    doc_id, _, rid = key.partition("#")
    if doc_id not in ps.documents:
        return f"`{key}`"
    return f"[`{key}`]({link(src, notice_page(doc_id), rid)})"


def _doc_link(src: str, doc_id: str, ps: PolicySet) -> str:
    doc = ps.documents.get(doc_id)
    if doc is None:
        return f"`{doc_id}`"
    return f"[{doc_title(doc)}]({link(src, notice_page(doc_id))}) `{doc_id}`"


# -- reverse indexes -----------------------------------------------------------
@dataclass
class Index:
    """Who implements, supersedes or amends what: the reverse of the references in the data."""

    rule_implemented_by: dict[str, list[Rule]]
    doc_refs_in: dict[tuple[str, str], list[str]]  # (kind, doc_id) -> documents that reference it

    @classmethod
    def build(cls, ps: PolicySet) -> "Index":
        by_rule: dict[str, list[Rule]] = {}
        for r in ps.rules:
            for k in r.implements:
                by_rule.setdefault(k, []).append(r)
        refs: dict[tuple[str, str], list[str]] = {}
        for d in ps.documents.values():
            for kind in ("implements", "supersedes", "amends"):
                for target in d.raw.get(kind) or ():
                    refs.setdefault((kind, target), []).append(d.id)
        return cls(by_rule, refs)


# -- the site ---------------------------------------------------------------
def build_site(ps: PolicySet, repo_root: Path, repo_url: str = DEFAULT_REPO_URL, branch: str = "main") -> Site:
    """Every generated page of the site."""
    from . import site_ref

    site = Site()
    idx = Index.build(ps)
    blob = f"{repo_url.rstrip('/')}/blob/{branch}/"
    for doc in ps.documents.values():
        page = notice_page(doc.id)
        site.pages[page] = notice_markdown(ps, doc, idx, blob)
        site.edit_paths[page] = "../" + source_path(ps, doc)
    for code in regions_with_documents(ps):
        site.pages[region_page(code)] = region_markdown(ps, code)
        site.edit_paths[region_page(code)] = None
    site.pages["notices/index.md"] = notices_index(ps)
    site.pages["regions/index.md"] = regions_index(ps)
    for topic in TOPICS:
        site.pages[f"topics/{topic}.md"] = topic_markdown(ps, topic)
    for cat in categories_with_rules(ps.rules):
        site.pages[f"categories/{cat}.md"] = category_markdown(ps, cat)
    site.pages["categories/index.md"] = categories_index(ps)
    site.pages["charts/timeline.md"] = timeline_markdown(ps)
    site.pages["charts/graph.md"] = graph_markdown(ps, idx)
    site_ref.add_reference_pages(site, ps, repo_root)
    site.pages["SUMMARY.md"] = summary(ps, site)
    for page in site.pages:
        site.edit_paths.setdefault(page, None)
    return site


def regions_with_documents(ps: PolicySet) -> list[str]:
    """Every region that has documents, national first, then by layer and code."""
    codes = {d.jurisdiction for d in ps.documents.values()}
    return sorted(codes, key=lambda c: (layer(c) if c in REGIONS else 9, c != NATIONAL, c))


def categories_with_rules(rules: Iterable[Rule]) -> list[str]:
    """Categories some rule names, in registry order."""
    named = {c for r in rules for c in r.who.categories}
    return [c for c in CATEGORIES if c in named]


# -- notice pages ---------------------------------------------------------------
def notice_markdown(ps: PolicySet, doc: Document, idx: Index, blob: str) -> str:
    """The page of one notice: metadata, sources, relations, rules beside their clauses, notes, history."""
    src = notice_page(doc.id)
    raw = doc.raw
    path = source_path(ps, doc)
    out = [f"# {doc_title(doc)}", "", f"*{raw['title'].get('en', '')}*", ""]
    unverified = [r for r in doc.rules if not r.provenance.verified] + [x for x in doc.data if not x.provenance.verified]
    if unverified:
        out += ['!!! warning "含未核实数值 Contains unverified values"', "",
                f"    本文件有 {len(unverified)} 项数值未经核实，计算结果中会标注。"
                f" {len(unverified)} value(s) in this file are unverified and are flagged in every result.", ""]
    number = raw.get("document_number")
    if number:
        num = f"{number['value']} {badge(number['provenance']['status'] == 'verified')}"
        if number["provenance"].get("note"):
            num += f" {cell(number['provenance']['note'])}"
    else:
        num = "未知 unknown"
    issuers = "；".join(f"{i['zh']} {i['en']}" for i in raw["issuers"])
    eff = raw["effective"]
    rows = [
        ("文件标识 Document id", f"`{doc.id}`"),
        ("文号 Document number", num),
        ("发布机关 Issuers", cell(issuers)),
        ("层级 Jurisdiction", f"[{region_name(doc.jurisdiction)}]({link(src, region_page(doc.jurisdiction))}) `{doc.jurisdiction}`"),
        ("状态 Status", STATUS.get(doc.status, doc.status)),
        ("有效期 In force", period_text(doc.period.start, doc.period.end) + (f"<br>{cell(eff['note'])}" if eff.get("note") else "")),
        ("印发日期 Issued", str(raw.get("issued") or "未知 unknown")),
    ]
    if raw.get("published"):
        rows.append(("发布日期 Published", str(raw["published"])))
    rows += [("版本 Version", f"`{doc.version}`"),
             ("源文件 Source file", f"[`{path}`]({blob}{path})")]
    out += ["| 项目 Field | 内容 Value |", "| --- | --- |"] + [f"| {a} | {b} |" for a, b in rows] + [""]
    out += ["## 来源 Sources", ""]
    for s in raw["sources"]:
        where = f"[{s['url']}]({s['url']})" if s.get("url") else f"`{s.get('reference', '')}`"
        extra = "，".join(x for x in (s.get("publisher"), s.get("published") and f"发布 published {s['published']}",
                                       s.get("retrieved") and f"查阅 retrieved {s['retrieved']}") if x)
        out.append(f"- `{s['id']}` ({s['kind']}) **{s['title']}** — {where}" + (f"（{extra}）" if extra else ""))
    out.append("")
    out += _relations(ps, doc, idx, src)
    if doc.rules:
        out += ["## 规则 Rules", "", f"本文件编码了 {len(doc.rules)} 条规则；每条规则旁列出它所依据的原文。"
                f" {len(doc.rules)} rule(s), each beside the clause it encodes.", ""]
        for r in doc.rules:
            out += _rule_section(ps, r, idx, src)
    if doc.data:
        out += ["## 参考数据 Reference data", "", "| 标识 Id | 序列 Series | 地区 Region | 年份 Year | 数值 Value | 核实 Provenance |",
                "| --- | --- | --- | --- | --- | --- |"]
        for x in doc.data:
            prov = badge(x.provenance.verified) + (f" {cell(x.provenance.note)}" if x.provenance.note else "")
            out.append(f'| <span id="{x.id}"></span>`{x.id}` | {x.series} | {region_name(x.region)} | {x.year} | {x.value} 元 | {prov} |')
        out.append("")
    if raw.get("notes"):
        out += ["## 说明 Notes", ""]
        for kind in NOTE_KINDS:
            notes = [n for n in raw["notes"] if n["kind"] == kind]
            if not notes:
                continue
            out += [f"### {NOTE_KINDS[kind]}", ""]
            for n in notes:
                about = f"**{n['about']}**：" if n.get("about") else ""
                text = " / ".join(n["text"][k].strip() for k in ("zh", "en") if k in n["text"])
                out.append(f"- {about}{cell(text)}")
            out.append("")
    out += ["## 版本历史 Version history", "", "| 版本 Version | 日期 Date | 变更 Change |", "| --- | --- | --- |"]
    for h in raw["history"]:
        change = " / ".join(h["change"][k] for k in ("zh", "en") if k in h["change"])
        out.append(f"| `{h['version']}` | {h['date']} | {cell(change)} |")
    out += ["", f"[✎ 编辑此文件 Edit this file]({blob.replace('/blob/', '/edit/')}{path}) · "
            f"[查看源文件 View source]({blob}{path})", ""]
    return "\n".join(out)


def _relations(ps: PolicySet, doc: Document, idx: Index, src: str) -> list[str]:
    lines = []
    labels = {"implements": ("实施 Implements", "被以下文件实施 Implemented by"),
              "supersedes": ("替代 Supersedes", "被以下文件替代 Superseded by"),
              "amends": ("修订 Amends", "被以下文件修订 Amended by")}
    for kind, (out_label, in_label) in labels.items():
        targets = doc.raw.get(kind) or []
        if targets:
            lines.append(f"- **{out_label}**：" + "；".join(_doc_link(src, t, ps) for t in targets))
        back = idx.doc_refs_in.get((kind, doc.id), [])
        if back:
            lines.append(f"- **{in_label}**：" + "；".join(
                _doc_link(src, b, ps) + f"（{region_name(ps.documents[b].jurisdiction)}）" for b in back))
    lower = sorted({(r.jurisdiction, r.doc_id) for rule in doc.rules for r in idx.rule_implemented_by.get(rule.key, [])})
    if lower:
        lines.append("- **下级规则取代本文件规则 Rules overridden below**：" + "；".join(
            f"{region_name(j)}：{_doc_link(src, d, ps)}" for j, d in lower))
    if not lines:
        lines.append("- 无 None recorded.")
    return ["## 关系 Relations", ""] + lines + [""]


def who_text(r: Rule) -> str:
    """Who a rule applies to, in both languages."""
    w = r.who
    parts = [("身份 Categories", "、".join(category_name(c) for c in w.categories) if w.categories else "所有参保人 everyone")]
    if w.schemes:
        parts.append(("险种 Schemes", "、".join(f"{SCHEMES[s][0]} {SCHEMES[s][1]}" for s in w.schemes)))
    if w.encounter_types:
        parts.append(("就诊类型 Encounters", "、".join(f"{ENCOUNTER_TYPES[e][0]} {ENCOUNTER_TYPES[e][1]}" for e in w.encounter_types)))
    if w.hospital_levels:
        parts.append(("医院等级 Hospital levels", "、".join(f"{lv}级" for lv in w.hospital_levels)))
    if w.contribution_tiers:
        parts.append(("缴费档次 Contribution tiers", "、".join(f"{t}档" for t in w.contribution_tiers)))
    return "；".join(f"{a}：{b}" for a, b in parts)


def _rule_section(ps: PolicySet, r: Rule, idx: Index, src: str) -> list[str]:
    quote = "<br>".join(cell(r.quote[k].strip()) for k in ("zh", "en") if k in r.quote)
    p = PARAMETERS[r.parameter]
    out = [f"### `{r.id}` {{#{r.id}}}", "",
           "| 原文 Quoted clause | 编码含义 What it encodes |", "| --- | --- |",
           f"| 「{quote}」<br><small>{cell(r.clause)}</small> | **{cell(describe_rule(r, 'zh'))}**<br>{cell(describe_rule(r, 'en'))} |", "",
           f"- **适用对象 Applies to**：{who_text(r)}",
           f"- **参数 Parameter**：`{r.parameter}`（{p.zh} {p.en}）· **效果 Effect**：{EFFECTS[r.effect]}",
           f"- **有效期 In force**：{period_text(r.period.start, r.period.end)}",
           f"- **核实 Provenance**：{badge(r.provenance.verified)}"
           + (f" 来源 source `{r.provenance.source}`" if r.provenance.source else "")
           + (f" — {cell(r.provenance.note)}" if r.provenance.note else "")]
    if r.implements:
        out.append("- **实施并取代 Implements (replaces here)**：" + "；".join(_rule_link(src, k, ps) for k in r.implements))
    below = idx.rule_implemented_by.get(r.key, [])
    if below:
        out.append("- **被下级规则取代 Overridden by**：" + "；".join(
            f"{region_name(b.jurisdiction)} {_rule_link(src, b.key, ps)}" for b in below))
    if r.stacks_with:
        out.append("- **叠加于 Stacks with**：" + "；".join(_rule_link(src, k, ps) for k in r.stacks_with))
    if r.note:
        out.append(f"- **注 Note**：{cell(r.note)}")
    out += [f"- **引用 Cite as**：`{r.key}`", ""]
    return out


def notices_index(ps: PolicySet) -> str:
    """All notices in a table, by jurisdiction."""
    src = "notices/index.md"
    out = ["# 政策文件 Notices", "", "所有已编码的政策文件，按层级排列。Every encoded notice, by jurisdiction.", "",
           "| 层级 Jurisdiction | 文件 Notice | 文号 Number | 有效期 In force | 状态 Status | 规则数 Rules |",
           "| --- | --- | --- | --- | --- | --- |"]
    for code in regions_with_documents(ps):
        for d in sorted((d for d in ps.documents.values() if d.jurisdiction == code), key=lambda d: (d.period.start, d.id)):
            num = (d.raw.get("document_number") or {}).get("value", "—")
            until = d.period.end.isoformat() if d.period.end else "…"
            out.append(f"| {region_name(code)} | [{cell(doc_title(d))}]({link(src, notice_page(d.id))}) | {cell(num)} | "
                       f"{d.period.start} – {until} | {STATUS.get(d.status, d.status)} | {len(d.rules)} |")
    return "\n".join(out) + "\n"


# -- region pages ------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One resolved parameter value for a profile: shown value, rules that made it, flags."""

    value: str | None
    rules: tuple[str, ...]
    unverified: bool
    kind: str  # value | no_cap | guardrail | missing


def snapshot(ps: PolicySet, code: str, day: dt.date, cat: str | None, tier: int | None) -> dict[tuple[str, int | None], Cell]:
    """Every parameter in force for a resident of `code` holding `cat` on `day`."""
    rows = params_table(ps, code, day, [cat] if cat else [], tier, "resident")
    out = {}
    for row in rows:
        key = (row["parameter"], row["hospital_level"])
        steps = row.get("steps", [])
        rules = tuple(dict.fromkeys(s["rule"] for s in steps))
        unver = any(not s["verified"] for s in steps)
        if row.get("error"):
            out[key] = Cell(None, (), False, "missing")
        elif row["value"] is None and steps:
            out[key] = Cell(None, rules, unver, "no_cap")
        elif row["value"] is None:
            out[key] = Cell(None, tuple(g["rule"] for g in row.get("guardrails", [])), False, "guardrail")
        else:
            out[key] = Cell(row["value"], rules, unver, "value")
    return out


def cell_text(param: str, c: Cell | None) -> str:
    """How a Cell reads in a table."""
    if c is None:
        return "—"
    if c.kind == "missing":
        return "缺失 missing"
    if c.kind == "guardrail":
        return "仅底线 guardrail only"
    text = "不封顶 no cap" if c.kind == "no_cap" else fmt_value(param, c.value)
    return text + (" ⚠" if c.unverified else "")


def param_label(param: str, level: int | None) -> str:
    """A parameter's label with its hospital level."""
    p = PARAMETERS[param]
    lv = f"（{level}级医院 level {level}）" if level else ""
    return f"{p.zh}{lv}<br><small>`{param}`</small>"


def region_years(ps: PolicySet, code: str) -> list[int]:
    """The years (1 July) on which some rule is in force in the region."""
    dates = ps.resolver.change_dates(code)
    if not dates:
        return []
    years = range(dates[0].year, dates[-1].year + 1)
    return [y for y in years if ps.resolver.in_force(code, dt.date(y, 7, 1))]


def region_tier(ps: PolicySet, code: str) -> int | None:
    """The lowest contribution tier rules of the region name, or None."""
    chain = set(region_chain(code))
    tiers = sorted({t for r in ps.rules if r.jurisdiction in chain for t in r.who.contribution_tiers})
    return tiers[0] if tiers else None


def region_markdown(ps: PolicySet, code: str) -> str:
    """The page of one region: documents, parameters on 1 July of each year, how each changed, cost charts."""
    src = region_page(code)
    chain = region_chain(code)
    rules = [r for r in ps.rules if r.jurisdiction in chain]
    cats = [None, *categories_with_rules(rules)]
    tier = region_tier(ps, code)
    years = region_years(ps, code)
    out = [f"# {region_name(code)}", "", f"地区代码 Region code `{code}` · 层级 Layers: "
           + " → ".join(f"[{region_name(c)}]({link(src, region_page(c))})" if any(d.jurisdiction == c for d in ps.documents.values())
                        else region_name(c) for c in chain), ""]
    if tier:
        out += [f"缴费档次按 {tier} 档计算。Values are shown for contribution tier {tier}.", ""]
    out += ["## 适用文件 Documents that apply here", "", "| 层级 Layer | 文件 Notice | 有效期 In force | 状态 Status |", "| --- | --- | --- | --- |"]
    for d in sorted((d for d in ps.documents.values() if d.jurisdiction in chain), key=lambda d: (layer(d.jurisdiction), d.period.start, d.id)):
        until = d.period.end.isoformat() if d.period.end else "…"
        out.append(f"| {region_name(d.jurisdiction)} | [{cell(doc_title(d))}]({link(src, notice_page(d.id))}) | {d.period.start} – {until} | {STATUS.get(d.status, d.status)} |")
    out.append("")
    out += ["## 各年参数 Parameters in force on 1 July", "",
            "每个身份类别一张表：该类参保人在各年 7 月 1 日适用的参数（已按就高不叠加取最优，⚠ 表示用到未核实数值）。"
            " One table per category: what applies to a resident holding it on 1 July of each year (most favourable of the "
            "baseline and the category, 就高不叠加; ⚠ = uses unverified values).", ""]
    snaps = {cat: {y: snapshot(ps, code, dt.date(y, 7, 1), cat, tier) for y in years} for cat in cats}
    for cat in cats:
        out.append(f'=== "{category_tab(cat)}"')
        out.append("")
        keys = _ordered_keys(k for y in years for k in snaps[cat][y])
        if not keys:
            out += ["    无参数 No parameters in force.", ""]
            continue
        out.append("    | 参数 Parameter | " + " | ".join(str(y) for y in years) + " |")
        out.append("    | --- | " + " | ".join("---" for _ in years) + " |")
        for param, level in keys:
            out.append(f"    | {param_label(param, level)} | " + " | ".join(cell_text(param, snaps[cat][y].get((param, level))) for y in years) + " |")
        out.append("")
    out += ["## 参数变化时间线 How each parameter changed", "",
            "在每个规则生效或失效的日期比较前后参数，列出变化及引起变化的规则。"
            " On every date a rule starts or stops, the parameters before and after, with the rules that made the new value.", ""]
    for cat in cats:
        out.append(f'=== "{category_tab(cat)}"')
        out.append("")
        changes = change_log(ps, code, cat, tier)
        if not changes:
            out += ["    无变化 No changes.", ""]
            continue
        out += ["    | 日期 Date | 参数 Parameter | 原值 Before | 新值 After | 依据 Rule |", "    | --- | --- | --- | --- | --- |"]
        for day, (param, level), before, after in changes:
            rules = (after.rules if after and after.kind != "missing" else (before.rules if before else ()))
            why = "；".join(_rule_link(src, k, ps) for k in rules) or "—"
            if after is None:
                why = "失效 ended: " + why
            out.append(f"    | {day} | {param_label(param, level)} | {cell_text(param, before)} | {cell_text(param, after)} | {why} |")
        out.append("")
    out += cost_charts(ps, code, cats, tier, years)
    return "\n".join(out) + "\n"


def _ordered_keys(keys: Iterable[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
    order = {p: i for i, p in enumerate(PARAMETERS)}
    return sorted(set(keys), key=lambda k: (order[k[0]], k[1] or 0))


def change_log(ps: PolicySet, code: str, cat: str | None, tier: int | None) -> list[tuple[dt.date, tuple[str, int | None], Cell | None, Cell | None]]:
    """Every change of a parameter's value or source on the region's change dates."""
    prev: dict[tuple[str, int | None], Cell] = {}
    out = []
    for day in ps.resolver.change_dates(code):
        now = snapshot(ps, code, day, cat, tier)
        for key in _ordered_keys(list(prev) + list(now)):
            a, b = prev.get(key), now.get(key)
            if a is None and b is None:
                continue
            if a is None or b is None or (a.value, a.kind, a.rules) != (b.value, b.kind, b.rules):
                out.append((day, key, a, b))
        prev = now
    return out


# -- cost charts ---------------------------------------------------------------------
def settle_curve(ps: PolicySet, code: str, cat: str | None, tier: int | None, day: dt.date, level: int) -> tuple[list[Stack], bool, list[str]]:
    """What each tier pays for one inpatient encounter as the eligible cost grows; raises InputError/MissingParameter if it does not settle."""
    from .case import case_from_data
    from .evaluate import Evaluator

    ev = Evaluator(ps)
    points, unverified, missing = [], False, []
    x = Decimal(0)
    while x <= CHART_MAX:
        person: dict[str, Any] = {"id": "chart", "region": code, "scheme": "resident"}
        if tier:
            person["contribution_tier"] = tier
        if cat:
            person["categories"] = [cat]
        case = case_from_data({"person": person, "encounters": [
            {"id": "e-1", "date": day.isoformat(), "type": "inpatient", "hospital_level": level,
             "total_cost": f"{x:.2f}", "eligible_cost": f"{x:.2f}"}]}, "<chart>")
        s = ev.settle(case)
        e = s.encounters[0]
        parts = {t: Decimal(e["paid"][t]) for t in ("basic_insurance", "serious_illness", "medical_assistance")}
        parts["out_of_pocket"] = Decimal(e["out_of_pocket"])
        points.append(Stack(x, parts))
        unverified = unverified or bool(s.unverified)
        for m in s.missing:
            if m.get("encounter") and m["reason"] not in missing:
                missing.append(f"`{m['parameter']}`: {m['reason']}")
        x += CHART_STEP
    return points, unverified, sorted(set(missing))


def chart_year(ps: PolicySet, code: str, tier: int | None, years: list[int]) -> tuple[int | None, str]:
    """The latest year in which an ordinary resident's level-2 stay settles, and why none does otherwise."""
    from .case import case_from_data
    from .evaluate import Evaluator
    from .problems import InputError, MissingParameter

    why = "no year"
    for y in reversed(years):
        person: dict[str, Any] = {"id": "probe", "region": code, "scheme": "resident"}
        if tier:
            person["contribution_tier"] = tier
        try:
            Evaluator(ps).settle(case_from_data({"person": person, "encounters": [
                {"id": "e", "date": f"{y}-07-01", "type": "inpatient", "hospital_level": 2,
                 "total_cost": "100000.00", "eligible_cost": "100000.00"}]}))
            return y, ""
        except (InputError, MissingParameter) as exc:
            why = f"{y}-07-01: {exc}"
    return None, why


def cost_charts(ps: PolicySet, code: str, cats: list[str | None], tier: int | None, years: list[int]) -> list[str]:
    """The region's charts of what a person pays as the bill grows, per category and hospital level."""
    from .problems import InputError, MissingParameter

    out = ["## 个人负担随费用增长 What the person pays as the bill grows", ""]
    year, why = chart_year(ps, code, tier, years)
    if year is None:
        out += ['!!! info "无法结算 No chart"', "",
                f"    本地区没有可结算住院费用的完整规则（基本医保起付线、报销比例等）。No inpatient stay settles here: {cell(why)}", ""]
        return out
    day = dt.date(year, 7, 1)
    out += [f"一次住院，{day.isoformat()} 结算，政策范围内费用从 0 到 50 万元（每 1 万元一个点），按支付层次堆叠。"
            f" One inpatient stay settled on {day.isoformat()}, eligible cost 0 to 500,000 yuan in steps of 10,000, "
            "stacked by who pays: out of pocket at the bottom, then basic insurance, serious-illness insurance and medical assistance.", ""]
    for cat in cats:
        out += [f'=== "{category_tab(cat)}"', ""]
        for level in (2, 3):
            title = f"{category_tab(cat)} · {level}级医院 level {level} · {year}"
            try:
                points, unver, missing = settle_curve(ps, code, cat, tier, day, level)
            except (InputError, MissingParameter) as exc:
                out += [f"    **{level}级医院 level {level}**：无法结算 does not settle — {cell(exc)}", ""]
                continue
            svg = stacked_chart(points, CHART_TIERS, TIER_LABELS, title, unver)
            out += [f'    <figure class="yb-chart" markdown="0">{svg}</figure>', ""]
            at = {p.x: p for p in points}
            out += ["    | 费用 Cost | 基本医保 Basic | 大病保险 Serious illness | 医疗救助 Assistance | 个人自付 Out of pocket |",
                    "    | --- | --- | --- | --- | --- |"]
            for x in (Decimal(50000), Decimal(100000), Decimal(200000), Decimal(500000)):
                p = at.get(x)
                if p:
                    out.append(f"    | {x:,.0f} | " + " | ".join(f"{p.parts[t]:,.2f}" for t in
                               ("basic_insurance", "serious_illness", "medical_assistance", "out_of_pocket")) + " |")
            out.append("")
            if unver:
                out += ["    ⚠ 此图用到未核实数值 This chart uses unverified values (see the notices' provenance).", ""]
            if missing:
                out += ["    缺失 Missing: " + "；".join(cell(m) for m in missing), ""]
    return out


def regions_index(ps: PolicySet) -> str:
    """All regions with documents."""
    src = "regions/index.md"
    out = ["# 地区 Regions", "", "有政策文件的地区；下级地区同时适用上级文件。Regions with documents; a region also follows the layers above it.", "",
           "| 地区 Region | 代码 Code | 本级文件 Own notices | 适用规则 Rules that reach it |", "| --- | --- | --- | --- |"]
    for code in regions_with_documents(ps):
        chain = set(region_chain(code))
        own = sum(1 for d in ps.documents.values() if d.jurisdiction == code)
        reach = sum(1 for r in ps.rules if r.jurisdiction in chain)
        out.append(f"| [{region_name(code)}]({link(src, region_page(code))}) | `{code}` | {own} | {reach} |")
    return "\n".join(out) + "\n"


# -- topic and category pages -----------------------------------------------------
def _rule_rows(ps: PolicySet, rules: list[Rule], src: str) -> list[str]:
    out = ["| 地区 Region | 规则 Rule | 含义 What it says | 有效期 In force | 核实 Provenance |", "| --- | --- | --- | --- | --- |"]
    for r in sorted(rules, key=lambda r: (layer(r.jurisdiction), r.period.start, r.key)):
        until = r.period.end.isoformat() if r.period.end else "…"
        out.append(f"| {region_name(r.jurisdiction)} | {_rule_link(src, r.key, ps)} | {cell(describe_rule(r, 'zh'))} | "
                   f"{r.period.start} – {until} | {badge(r.provenance.verified)} |")
    return out + [""]


def topic_markdown(ps: PolicySet, topic: str) -> str:
    """Every rule about one topic, by parameter."""
    src = f"topics/{topic}.md"
    zh, en = TOPICS[topic]
    out = [f"# {zh} {en}", ""]
    found = False
    for name, p in PARAMETERS.items():
        if not name.startswith(topic + "."):
            continue
        rules = [r for r in ps.rules if r.parameter == name]
        if not rules:
            continue
        found = True
        out += [f"## {p.zh} {p.en}", "", f"`{name}`", ""] + _rule_rows(ps, rules, src)
    if not found:
        out += ["暂无规则。No rules on this topic yet.", ""]
    return "\n".join(out)


def category_markdown(ps: PolicySet, cat: str) -> str:
    """Every rule that names one hardship category."""
    src = f"categories/{cat}.md"
    zh, en = CATEGORIES[cat]
    rules = [r for r in ps.rules if cat in r.who.categories]
    out = [f"# {zh}", "", f"*{en}* · `{cat}`", "",
           f"以下规则专门适用于{zh}。一个人同时属于多个类别时，按就高不叠加取最优待遇，不叠加各类别的倾斜。"
           f" Rules that apply to {en}. A person holding several categories gets the most favourable treatment, "
           "never the tilts of two categories stacked (就高不叠加).", ""]
    for topic, (tzh, ten) in TOPICS.items():
        sub = [r for r in rules if r.parameter.startswith(topic + ".")]
        if sub:
            out += [f"## {tzh} {ten}", ""] + _rule_rows(ps, sub, src)
    return "\n".join(out)


def categories_index(ps: PolicySet) -> str:
    """All hardship categories with the number of rules naming each."""
    src = "categories/index.md"
    named = set(categories_with_rules(ps.rules))
    out = ["# 身份类别 Hardship categories", "", "| 类别 Category | 标识 Id | 规则数 Rules |", "| --- | --- | --- |"]
    for cat, (zh, en) in CATEGORIES.items():
        n = sum(1 for r in ps.rules if cat in r.who.categories)
        name = f"[{zh}]({link(src, f'categories/{cat}.md')})" if cat in named else zh
        out.append(f"| {name} {en} | `{cat}` | {n} |")
    return "\n".join(out) + "\n"


# -- pictures ---------------------------------------------------------------------------
def timeline_markdown(ps: PolicySet) -> str:
    """Which notices were in force when."""
    src = "charts/timeline.md"
    docs = sorted(ps.documents.values(), key=lambda d: (layer(d.jurisdiction), d.period.start, d.id))
    years = [d.period.start.year for d in docs] + [d.period.end.year for d in docs if d.period.end]
    first, last = min(years, default=2018), max(max(years, default=2025), dt.date.today().year)
    bars = [Bar(f"{REGIONS[d.jurisdiction].zh if d.jurisdiction in REGIONS else d.jurisdiction} · {_short(doc_title(d), 18)}",
                d.period.start, d.period.end, url(src, notice_page(d.id)), layer(d.jurisdiction),
                f"{doc_title(d)} ({d.id}) {d.period.start} – {d.period.end or '…'}") for d in docs]
    svg = timeline_chart(bars, first, last, LAYER_NAMES)
    return "\n".join(["# 文件有效期 Notices in force over time", "",
                      "每一行是一份文件，从生效日到失效日（不含）。点击一行打开文件页。"
                      " Each row is a notice from its first day in force to its end (exclusive). Click a row to open it.", "",
                      f'<figure class="yb-chart yb-wide" markdown="0">{svg}</figure>', ""])


def graph_markdown(ps: PolicySet, idx: Index) -> str:
    """The implements/supersedes/amends graph of the documents."""
    src = "charts/graph.md"
    nodes = [Node(d.id, doc_title(d), d.id, layer(d.jurisdiction), url(src, notice_page(d.id)))
             for d in sorted(ps.documents.values(), key=lambda d: (layer(d.jurisdiction), d.period.start, d.id))]
    edges: list[Edge] = []
    for d in ps.documents.values():
        for kind in ("implements", "supersedes", "amends"):
            for t in d.raw.get(kind) or ():
                edges.append(Edge(d.id, t, kind))
    counts: dict[tuple[str, str], int] = {}
    for r in ps.rules:
        for k in r.implements:
            target = k.partition("#")[0]
            counts[(r.doc_id, target)] = counts.get((r.doc_id, target), 0) + 1
    for (a, b), n in sorted(counts.items()):
        edges.append(Edge(a, b, "implements", f"{n} 条规则 rules"))
    svg = graph_chart(nodes, edges, LAYER_NAMES)
    lines = ["# 文件关系图 How documents relate", "",
             "箭头从实施、替代或修订的文件指向被实施、被替代或被修订的文件；下级规则实施上级规则时在该省取代它，不叠加。"
             " Arrows point from a document to the one it implements, supersedes or amends. A lower-layer rule that implements a "
             "higher one replaces it in that region; it does not add to it.", "",
             f'<figure class="yb-chart yb-wide" markdown="0">{svg}</figure>', "", "## 关系列表 As a list", ""]
    for e in edges:
        lines.append(f"- {_doc_link(src, e.src, ps)} **{e.kind}** {_doc_link(src, e.dst, ps)} {e.label}")
    if not edges:
        lines.append("- 无 None.")
    return "\n".join(lines) + "\n"


def _short(text: str, n: int = 22) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def summary(ps: PolicySet, site: Site) -> str:
    """The literate-nav SUMMARY.md: by jurisdiction, by topic, pictures, examples, reference."""
    lines = ["* [首页 Home](index.md)",
             "* 指南 Guide",
             "    * [文件格式 Document format](guide/format.md)",
             "    * [组合规则 How rules compose](guide/composition.md)",
             "    * [命令行 Command line](guide/cli.md)",
             "* 按地区 By jurisdiction",
             "    * [地区总览 All regions](regions/index.md)",
             "    * [全部文件 All notices](notices/index.md)"]
    for code in regions_with_documents(ps):
        lines.append(f"    * {region_name(code)}")
        lines.append(f"        * [参数与变化 Parameters]({region_page(code)})")
        for d in sorted((d for d in ps.documents.values() if d.jurisdiction == code), key=lambda d: (d.period.start, d.id)):
            lines.append(f"        * [{_short(doc_title(d), 30).replace(']', '')}]({notice_page(d.id)})")
    lines.append("* 按主题 By topic")
    for topic, (zh, en) in TOPICS.items():
        lines.append(f"    * [{zh} {en}](topics/{topic}.md)")
    lines.append("    * 身份类别 Categories")
    lines.append("        * [全部类别 All categories](categories/index.md)")
    for cat in categories_with_rules(ps.rules):
        lines.append(f"        * [{CATEGORIES[cat][0]}](categories/{cat}.md)")
    lines += ["* 图表 Pictures", "    * [文件有效期 Timeline](charts/timeline.md)", "    * [文件关系 Relations](charts/graph.md)"]
    examples = sorted(p for p in site.pages if p.startswith("examples/") and p.count("/") == 1 and p != "examples/index.md")
    scenarios = sorted(p for p in site.pages if p.startswith("examples/scenarios/"))
    lines.append("* 算例 Worked examples")
    lines.append("    * [全部算例 All examples](examples/index.md)")
    for p in examples:
        lines.append(f"    * [{Path(p).stem}]({p})")
    if scenarios:
        lines.append("    * 场景测试 Scenario tests")
        for p in scenarios:
            lines.append(f"        * [{p[len('examples/scenarios/'):-3]}]({p})")
    lines += ["* 参考 Reference",
              "    * [政策文件格式 Policy format](reference/policy-format.md)",
              "    * [案例与结果格式 Case and result](reference/case-format.md)",
              "    * [参数与词表 Vocabulary](reference/vocabulary.md)",
              "    * [命令行参考 CLI reference](reference/cli.md)",
              "    * [更新日志 Changelog](reference/changelog.md)"]
    return "\n".join(lines) + "\n"
