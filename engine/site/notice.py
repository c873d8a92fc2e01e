"""Docs-site notice pages: one per document (metadata, sources, relations, payment steps, rules beside their clauses) and the index."""
from __future__ import annotations

from engine.settle.explain import describe_rule
from engine.policy.model import Document, Rule
from engine.policy.steps import describe_step
from engine.policy.policyset import PolicySet
from collections import Counter

from engine.core.registry import ENCOUNTER_TYPES, GRADE_ORDER, GRADES, PARAMETERS, SCHEMES
from engine.site.base import (STATUS, Index, badge, category_name, cell, code_link, doc_link, doc_title, link, notice_page,
                        own_documents, period_text, region_name, region_page, regions_with_documents, source_path,
                        span_text)

EFFECTS = {"set": "设定 set", "scale": "按比例调整 scale", "add": "增减 add", "remove_cap": "取消封顶 remove cap",
           "guardrail": "全国底线 guardrail"}
NOTE_KINDS = {"not_modelled": "未建模 Not modelled", "interpretation": "解读 Interpretation", "verification": "核实记录 Verification"}
RELATION_LABELS = {"implements": ("实施 Implements", "被以下文件实施 Implemented by"),
                   "supersedes": ("替代 Supersedes", "被以下文件替代 Superseded by"),
                   "amends": ("修订 Amends", "被以下文件修订 Amended by")}


def notice_markdown(ps: PolicySet, doc: Document, idx: Index, blob: str) -> str:
    """The page of one notice: metadata, sources, relations, rules beside their clauses, notes, history."""
    src = notice_page(doc.id)
    raw = doc.raw
    path = source_path(ps, doc)
    out = [f"# {doc_title(doc)}", "", f"*{raw['title'].get('en', '')}*", ""]
    unverified = [r for r in doc.rules if not r.provenance.verified] + [x for x in doc.data if not x.provenance.verified]
    if unverified:
        counts = Counter(x.provenance.grade for x in unverified)
        by = "、".join(f"{GRADES[g][0]} {counts[g]}" for g in GRADE_ORDER if counts[g])
        by_en = ", ".join(f"{g} {counts[g]}" for g in GRADE_ORDER if counts[g])
        out += ['!!! warning "含非一手数值（未核实） Contains values below primary (unverified)"', "",
                f"    本文件有 {len(unverified)} 项数值不是一手来源（{by}），计算结果中会按可信度标注。"
                f" {len(unverified)} value(s) in this file are below primary ({by_en}) and are flagged with their grade in every result.", ""]
    out += _metadata(doc, path, blob, src)
    out += ["## 来源 Sources", ""]
    for s in raw["sources"]:
        where = f"[{s['url']}]({s['url']})" if s.get("url") else f"`{s.get('reference', '')}`"
        extra = "，".join(x for x in (s.get("publisher"), s.get("published") and f"发布 published {s['published']}",
                                       s.get("retrieved") and f"查阅 retrieved {s['retrieved']}") if x)
        out.append(f"- `{s['id']}` ({s['kind']}) **{s['title']}** — {where}" + (f"（{extra}）" if extra else ""))
    out.append("")
    out += _relations(ps, doc, idx, src)
    if doc.steps:
        out += _steps_section(doc)
    if doc.rules:
        out += ["## 规则 Rules", "", f"本文件编码了 {len(doc.rules)} 条规则；每条规则旁列出它所依据的原文。"
                f" {len(doc.rules)} rule(s), each beside the clause it encodes.", ""]
        for r in doc.rules:
            out += _rule_section(ps, r, idx, src)
    if doc.data:
        out += ["## 参考数据 Reference data", "", "| 标识 Id | 序列 Series | 地区 Region | 年份 Year | 数值 Value | 核实 Provenance |",
                "| --- | --- | --- | --- | --- | --- |"]
        for x in doc.data:
            prov = badge(x.provenance.grade) + (f" 来源 source `{x.provenance.source}`" if x.provenance.source else "") + (f" {cell(x.provenance.note)}" if x.provenance.note else "") + (f" 推导 derivation: {cell(x.provenance.derivation)}" if x.provenance.derivation else "")
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


def _metadata(doc: Document, path: str, blob: str, src: str) -> list[str]:
    """The notice's field table: id, number, issuers, jurisdiction, status, dates, version, source file."""
    raw = doc.raw
    number = raw.get("document_number")
    if number:
        num = f"{number['value']} {badge(number['provenance'].get('grade') or number['provenance']['status'] == 'verified')}"
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
    return ["| 项目 Field | 内容 Value |", "| --- | --- |"] + [f"| {a} | {b} |" for a, b in rows] + [""]


def _relations(ps: PolicySet, doc: Document, idx: Index, src: str) -> list[str]:
    """What the notice implements, supersedes or amends, what does so to it, and which lower rules override its rules."""
    lines = []
    for kind, (out_label, in_label) in RELATION_LABELS.items():
        targets = doc.raw.get(kind) or []
        if targets:
            lines.append(f"- **{out_label}**：" + "；".join(doc_link(src, t, ps) for t in targets))
        back = idx.doc_refs_in.get((kind, doc.id), [])
        if back:
            lines.append(f"- **{in_label}**：" + "；".join(
                doc_link(src, b, ps) + f"（{region_name(ps.documents[b].jurisdiction)}）" for b in back))
    lower = sorted({(r.jurisdiction, r.doc_id) for rule in doc.rules for r in idx.rule_implemented_by.get(rule.key, [])})
    if lower:
        lines.append("- **下级规则取代本文件规则 Rules overridden below**：" + "；".join(
            f"{region_name(j)}：{doc_link(src, d, ps)}" for j, d in lower))
    if not lines:
        lines.append("- 无 None recorded.")
    return ["## 关系 Relations", ""] + lines + [""]


def _steps_section(doc: Document) -> list[str]:
    """The payment steps (funds) the notice declares, in paying order, each with its arithmetic in words and its clause."""
    out = ["## 支付步骤 Payment steps", "", f"本文件声明了 {len(doc.steps)} 个支付步骤（基金），按支付顺序排列，每一步只在前面各步支付后剩余的部分上计算。"
           f" {len(doc.steps)} payment step(s), in paying order; each pays on what the earlier steps left.", ""]
    for st in sorted(doc.steps, key=lambda x: (x.order, x.id)):
        quote = " / ".join(st_q for st_q in (doc.raw["steps"][st.loc[1]]["quote"].get(k) for k in ("zh", "en")) if st_q)
        period = f"{st.period.start} – {st.period.end or '…'}"
        out += [f'### <span id="step-{st.id}"></span>{st.order}. {st.name["zh"]} {st.name["en"]} (`{st.id}`)', "",
                f"- 计算 Arithmetic: {describe_step(st, 'zh')}", f"  / {describe_step(st, 'en')}",
                f"- 条款 Clause: {cell(st.clause)} · 有效期 In force: {period} · {badge(st.provenance.verified)}",
                f"- 原文 Quote: {cell(quote)}", ""]
    return out


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
    if w.age_below is not None:
        parts.append(("年龄 Age", f"未满{w.age_below}周岁 under {w.age_below}"))
    if w.in_pooling_area is not None:
        parts.append(("就医地 Place", "统筹区内 inside the pooling area" if w.in_pooling_area else "统筹区外（异地）outside the pooling area"))
    if w.hospital_admin_levels:
        parts.append(("医院行政级别 Hospital administrative level", "、".join(f"{ADMIN_WORDS[a][0]} {ADMIN_WORDS[a][1]}" for a in w.hospital_admin_levels)))
    return "；".join(f"{a}：{b}" for a, b in parts)


ADMIN_WORDS = {"township": ("乡镇级", "township"), "county": ("区县级", "district/county"), "municipal": ("市级", "municipal"),
               "provincial": ("省部级", "provincial")}


def _rule_section(ps: PolicySet, r: Rule, idx: Index, src: str) -> list[str]:
    """One rule on its notice page: the quoted clause beside what it encodes, then its facts and links."""
    quote = "<br>".join(cell(r.quote[k].strip()) for k in ("zh", "en") if k in r.quote)
    p = PARAMETERS[r.parameter]
    out = [f"### `{r.id}` {{#{r.id}}}", "",
           "| 原文 Quoted clause | 编码含义 What it encodes |", "| --- | --- |",
           f"| 「{quote}」<br><small>{cell(r.clause)}</small> | **{cell(describe_rule(r, 'zh'))}**<br>{cell(describe_rule(r, 'en'))} |", "",
           f"- **适用对象 Applies to**：{who_text(r)}",
           f"- **参数 Parameter**：`{r.parameter}`（{p.zh} {p.en}）· **效果 Effect**：{EFFECTS[r.effect]}",
           f"- **有效期 In force**：{period_text(r.period.start, r.period.end)}",
           f"- **可信度 Confidence grade**：{badge(r.provenance.grade)}"
           + (f" 来源 source `{r.provenance.source}`" if r.provenance.source else "")
           + (f" — {cell(r.provenance.note)}" if r.provenance.note else "")
           + (f" — 推导 derivation: {cell(r.provenance.derivation)}" if r.provenance.derivation else "")]
    if r.implements:
        out.append("- **实施并取代 Implements (replaces here)**：" + "；".join(code_link(src, k, ps) for k in r.implements))
    below = idx.rule_implemented_by.get(r.key, [])
    if below:
        out.append("- **被下级规则取代 Overridden by**：" + "；".join(
            f"{region_name(b.jurisdiction)} {code_link(src, b.key, ps)}" for b in below))
    if r.stacks_with:
        out.append("- **叠加于 Stacks with**：" + "；".join(code_link(src, k, ps) for k in r.stacks_with))
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
        for d in own_documents(ps, code):
            num = (d.raw.get("document_number") or {}).get("value", "—")
            out.append(f"| {region_name(code)} | [{cell(doc_title(d))}]({link(src, notice_page(d.id))}) | {cell(num)} | "
                       f"{span_text(d.period)} | {STATUS.get(d.status, d.status)} | {len(d.rules)} |")
    return "\n".join(out) + "\n"
