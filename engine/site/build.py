"""Generate the docs site's Markdown pages from the policy set (no mkdocs needed; docs/gen_pages.py writes them).

The pages come from site_notice, site_region (with site_cost), site_topics and site_ref; this module assembles them and
writes the navigation. Names other code imports from here (Site, link, url, settle_curve, …) are re-exported.
"""
from __future__ import annotations

from pathlib import Path

from engine.policy.policyset import PolicySet
from engine.core.registry import CATEGORIES, NATIONAL
from engine.site.base import (DEFAULT_REPO_URL, Index, Site, categories_with_rules, cell, code_link, doc_link, doc_title, link,
                        notice_page, own_documents, region_name, region_page, regions_with_documents, short, source_path,
                        url)
from engine.site.cost import chart_year, cost_charts, settle_curve
from engine.site.gaps import gaps_markdown
from engine.site.notice import notice_markdown, notices_index
from engine.site.ref import add_reference_pages
from engine.site.region import change_log, region_markdown, regions_index, snapshot
from engine.site.topics import TOPICS, categories_index, category_markdown, graph_markdown, timeline_markdown, topic_markdown

__all__ = ["DEFAULT_REPO_URL", "Index", "Site", "build_site", "categories_with_rules", "cell", "change_log", "chart_year",
           "code_link", "cost_charts", "doc_link", "doc_title", "link", "notice_markdown", "notice_page", "region_markdown",
           "region_name", "region_page", "regions_with_documents", "settle_curve", "snapshot", "summary", "url"]


def build_site(ps: PolicySet, repo_root: Path, repo_url: str = DEFAULT_REPO_URL, branch: str = "main") -> Site:
    """Every generated page of the site."""
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
        if code != NATIONAL:
            site.pages[gaps_page(code)] = gaps_markdown(ps, code)
    site.pages["notices/index.md"] = notices_index(ps)
    site.pages["regions/index.md"] = regions_index(ps)
    for topic in TOPICS:
        site.pages[f"topics/{topic}.md"] = topic_markdown(ps, topic)
    for cat in categories_with_rules(ps.rules):
        site.pages[f"categories/{cat}.md"] = category_markdown(ps, cat)
    site.pages["categories/index.md"] = categories_index(ps)
    site.pages["charts/timeline.md"] = timeline_markdown(ps)
    site.pages["charts/graph.md"] = graph_markdown(ps, idx)
    add_reference_pages(site, ps, repo_root)
    site.pages["SUMMARY.md"] = summary(ps, site)
    for page in site.pages:
        site.edit_paths.setdefault(page, None)
    return site


def gaps_page(code: str) -> str:
    """The path of a region's missing-figures page."""
    return f"gaps/{code}.md"


def summary(ps: PolicySet, site: Site) -> str:
    """The literate-nav SUMMARY.md: by jurisdiction, by topic, pictures, examples, reference."""
    lines = ["* [首页 Home](index.md)",
             "* 指南 Guide",
             "    * [文件格式 Document format](guide/format.md)",
             "    * [组合规则 How rules compose](guide/composition.md)",
             "    * [命令行 Command line](guide/cli.md)",
             "    * [HTTP 服务 The HTTP service](guide/serve.md)",
             "* 按地区 By jurisdiction",
             "    * [地区总览 All regions](regions/index.md)",
             "    * [全部文件 All notices](notices/index.md)"]
    for code in regions_with_documents(ps):
        lines.append(f"    * {region_name(code)}")
        lines.append(f"        * [参数与变化 Parameters]({region_page(code)})")
        if code != NATIONAL:
            lines.append(f"        * [缺失数值 Missing figures]({gaps_page(code)})")
        for d in own_documents(ps, code):
            lines.append(f"        * [{short(doc_title(d), 30).replace(']', '')}]({notice_page(d.id)})")
    lines.append("* 按主题 By topic")
    for topic, (zh, en) in TOPICS.items():
        lines.append(f"    * [{zh} {en}](topics/{topic}.md)")
    lines.append("    * 身份类别 Categories")
    lines.append("        * [全部类别 All categories](categories/index.md)")
    for cat in categories_with_rules(ps.rules):
        lines.append(f"        * [{CATEGORIES[cat][0]}](categories/{cat}.md)")
    lines += ["* 图表 Pictures", "    * [文件有效期 Timeline](charts/timeline.md)", "    * [文件关系 Relations](charts/graph.md)"]
    lines.append("* 算例 Worked examples")
    lines.append("    * [全部算例 All examples](examples/index.md)")
    for p in site.example_pages():
        lines.append(f"    * [{site.titles.get(p, Path(p).stem).replace(']', '')}]({p})")
    scenarios = site.scenario_pages()
    if scenarios:
        lines.append("    * 场景测试 Scenario tests")
        for p in scenarios:
            lines.append(f"        * [{site.titles.get(p, p[len('examples/scenarios/'):-3]).replace(']', '')}]({p})")
    lines += ["* 参考 Reference",
              "    * [政策文件格式 Policy format](reference/policy-format.md)",
              "    * [案例与结果格式 Case and result](reference/case-format.md)",
              "    * [参数与词表 Vocabulary](reference/vocabulary.md)",
              "    * [命令行参考 CLI reference](reference/cli.md)",
              "    * [更新日志 Changelog](reference/changelog.md)"]
    return "\n".join(lines) + "\n"
