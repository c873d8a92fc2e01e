"""Docs-site views across all regions: topic and category pages, the notice timeline and the relation graph."""
from __future__ import annotations

import datetime as dt

from engine.settle.explain import describe_rule
from engine.policy.model import Rule
from engine.policy.policyset import PolicySet
from engine.core.registry import CATEGORIES, PARAMETERS, REGIONS, layer
from engine.site.base import (Index, badge, by_layer, categories_with_rules, cell, code_link, doc_link, doc_title, link,
                        notice_page, region_name, span_text, url)
from engine.site.svg import Bar, Edge, Node, graph_chart, timeline_chart

LAYER_NAMES = ("全国 national", "省级 province", "统筹地区 pooling area")
TOPICS = {
    "basic_insurance": ("基本医保", "Basic medical insurance"),
    "serious_illness": ("大病保险", "Serious-illness insurance"),
    "medical_assistance": ("医疗救助", "Medical assistance"),
    "premium": ("参保资助", "Premium and subsidies"),
    "monitoring": ("监测预警", "Monitoring and early warning"),
    "waiting_period": ("待遇等待期", "Waiting periods"),
}


# -- topic and category pages -----------------------------------------------------
def _rule_rows(ps: PolicySet, rules: list[Rule], src: str) -> list[str]:
    """A table of rules by layer and start date: region, link, meaning, period, provenance."""
    out = ["| 地区 Region | 规则 Rule | 含义 What it says | 有效期 In force | 核实 Provenance |", "| --- | --- | --- | --- | --- |"]
    for r in sorted(rules, key=lambda r: (layer(r.jurisdiction), r.period.start, r.key)):
        out.append(f"| {region_name(r.jurisdiction)} | {code_link(src, r.key, ps)} | {cell(describe_rule(r, 'zh'))} | "
                   f"{span_text(r.period)} | {badge(r.provenance.grade)} |")
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
def _figure(svg: str) -> str:
    """A full-width figure holding raw SVG."""
    return f'<figure class="yb-chart yb-wide" markdown="0">{svg}</figure>'


def timeline_markdown(ps: PolicySet) -> str:
    """Which notices were in force when."""
    src = "charts/timeline.md"
    docs = by_layer(ps.documents.values())
    years = [d.period.start.year for d in docs] + [d.period.end.year for d in docs if d.period.end]
    first, last = min(years, default=2018), max(max(years, default=2025), dt.date.today().year)
    bars = [Bar(f"{REGIONS[d.jurisdiction].zh if d.jurisdiction in REGIONS else d.jurisdiction} · {doc_title(d)} · "
                f"{d.period.start} – {d.period.end or '…'}",
                d.period.start, d.period.end, url(src, notice_page(d.id)), layer(d.jurisdiction),
                f"{doc_title(d)} ({d.id}) {d.period.start} – {d.period.end or '…'}") for d in docs]
    svg = timeline_chart(bars, first, last, LAYER_NAMES)
    return "\n".join(["# 文件有效期 Notices in force over time", "",
                      "每一行是一份文件，从生效日到失效日（不含）。点击一行打开文件页。"
                      " Each row is a notice from its first day in force to its end (exclusive). Click a row to open it.", "",
                      _figure(svg), ""])


def graph_markdown(ps: PolicySet, idx: Index) -> str:
    """The implements/supersedes/amends graph of the documents."""
    src = "charts/graph.md"
    nodes = [Node(d.id, doc_title(d), d.id, layer(d.jurisdiction), url(src, notice_page(d.id))) for d in by_layer(ps.documents.values())]
    edges = [Edge(d, t, kind) for d, kind, t in idx.relations]
    counts: dict[tuple[str, str], int] = {}
    for key, rules in idx.rule_implemented_by.items():
        target = key.partition("#")[0]
        for r in rules:
            counts[(r.doc_id, target)] = counts.get((r.doc_id, target), 0) + 1
    for (a, b), n in sorted(counts.items()):
        edges.append(Edge(a, b, "implements", f"{n} 条规则 rules"))
    wide, narrow = graph_chart(nodes, edges, LAYER_NAMES), graph_chart(nodes, edges, LAYER_NAMES, max_cols=1)
    lines = ["# 文件关系图 How documents relate", "",
             "箭头从实施、替代或修订的文件指向被实施、被替代或被修订的文件；下级规则实施上级规则时在该省取代它，不叠加。"
             " Arrows point from a document to the one it implements, supersedes or amends. A lower-layer rule that implements a "
             "higher one replaces it in that region; it does not add to it.", "",
             _figure(wide).replace('class="yb-chart yb-wide"', 'class="yb-chart yb-wide yb-graph-wide"'),
             _figure(narrow).replace('class="yb-chart yb-wide"', 'class="yb-chart yb-graph-narrow"'), "", "## 关系列表 As a list", ""]
    for e in edges:
        lines.append(f"- {doc_link(src, e.src, ps)} **{e.kind}** {doc_link(src, e.dst, ps)} {e.label}")
    if not edges:
        lines.append("- 无 None.")
    return "\n".join(lines) + "\n"
