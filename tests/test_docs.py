"""The docs-site generator (engine.site.build): pages for every notice and region, rules on their pages, charts, links.

Runs the generator functions directly (no mkdocs). The synthetic sets here are clearly SYNTHETIC (tests/synth.py).
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from synth import baseline, document, rule, write_set

from engine.cli import main as cli
from engine.policy.policyset import REPO_ROOT, load_policy_set
from engine.site.build import (build_site, link, notice_page, region_page, regions_with_documents, settle_curve, url)
from engine.site.svg import Stack, stacked_chart


@pytest.fixture(scope="module")
def shipped_site():
    ps = load_policy_set()
    assert not ps.problems
    return ps, build_site(ps, REPO_ROOT)


def test_a_page_for_every_document_and_every_region(shipped_site):
    ps, site = shipped_site
    for doc_id in ps.documents:
        assert notice_page(doc_id) in site.pages, doc_id
    regions = {d.jurisdiction for d in ps.documents.values()}
    assert regions >= {"CN", "500000", "610100"}
    assert set(regions_with_documents(ps)) == regions
    for code in regions:
        assert region_page(code) in site.pages, code


def test_every_rule_id_appears_on_its_notice_page_with_anchor_and_quote(shipped_site):
    ps, site = shipped_site
    for doc in ps.documents.values():
        page = site.pages[notice_page(doc.id)]
        for r in doc.rules:
            assert f"{{#{r.id}}}" in page, r.key
            assert f"`{r.key}`" in page, r.key
            first_quote = next(iter(r.quote.values())).split()[0]
            assert first_quote.replace("|", "\\|") in page, r.key


def test_notice_page_links_its_yaml_for_editing_and_flags_unverified(shipped_site):
    ps, site = shipped_site
    page = site.pages[notice_page("cq-2017-resident-inpatient-benefits")]
    assert site.edit_paths[notice_page("cq-2017-resident-inpatient-benefits")] == "../policies/500000/2017-resident-inpatient-benefits.yaml"
    assert "/edit/main/policies/500000/2017-resident-inpatient-benefits.yaml" in page
    assert "推算 inferred" in page and "推导 derivation" in page
    assert "低 low" in page and "Contains values below primary" in page and "可信度 Confidence grade" in page


def test_summary_nav_only_links_pages_that_exist(shipped_site):
    _, site = shipped_site
    hand = {p.relative_to(REPO_ROOT / "docs").as_posix() for p in (REPO_ROOT / "docs").rglob("*.md")}
    targets = re.findall(r"\]\(([^)]+\.md)\)", site.pages["SUMMARY.md"])
    assert len(targets) > 40
    missing = [t for t in targets if t not in site.pages and t not in hand]
    assert not missing


def test_reference_pages_walk_the_schema_and_the_parser(shipped_site):
    import json

    _, site = shipped_site
    schema = json.loads((REPO_ROOT / "schema" / "policy.schema.json").read_text(encoding="utf-8"))
    fmt = site.pages["reference/policy-format.md"]
    for name in schema["properties"]:
        assert f"| `{name}` |" in fmt, name
    for name in schema["$defs"]:
        assert f"{{#def-{name}}}" in fmt, name
    clip = site.pages["reference/cli.md"]
    for command in ("validate", "evaluate", "params", "bundle", "docs"):
        assert f"## `yibao {command}`" in clip, command
    assert site.pages["reference/changelog.md"] == (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_links_between_pages():
    # Markdown links are relative .md paths; raw SVG/HTML hrefs are relative directory URLs.
    assert link("notices/a.md", "regions/500000.md") == "../regions/500000.md"
    assert link("notices/a.md", "notices/b.md", "rule-1") == "b.md#rule-1"
    assert url("charts/timeline.md", "notices/a.md") == "../../notices/a/"
    assert url("index.md", "regions/index.md") == "regions/"
    assert url("regions/index.md", "index.md") == "../"


@pytest.fixture()
def synthetic(tmp_path):
    """SYNTHETIC: a national tilt that Chongqing's rule implements (replaces), and a Chongqing baseline."""
    national = document("synthetic-national", "CN", [
        rule("tilt", "basic_insurance.inpatient.deductible", "scale", "0.5", {"categories": ["dibao"]})])
    local = document("synthetic-local", "500000", [
        rule("tilt", "basic_insurance.inpatient.deductible", "scale", "0.8", {"categories": ["dibao"]},
             implements=["synthetic-national#tilt"])], start="2021-01-01", implements=["synthetic-national"])
    root = write_set(tmp_path / "policies", [national, local, baseline()])
    ps = load_policy_set(root)
    assert not ps.problems, ps.problems
    return ps


def test_overrides_are_shown_on_both_pages(synthetic, tmp_path):
    site = build_site(synthetic, REPO_ROOT)
    national = site.pages[notice_page("synthetic-national")]
    local = site.pages[notice_page("synthetic-local")]
    assert "被下级规则取代 Overridden by" in national
    assert "[`synthetic-local#tilt`](synthetic-local.md#tilt)" in national
    assert "被以下文件实施 Implemented by" in national
    assert "[`synthetic-national#tilt`](synthetic-national.md#tilt)" in local


def test_region_change_log_names_the_rule_that_changed_the_deductible(synthetic):
    page = build_site(synthetic, REPO_ROOT).pages[region_page("500000")]
    # dibao level 2: baseline deductible 1000 x 0.5 (national tilt) = 500.00 from 2020; from 2021-01-01 Chongqing's
    # x 0.8 replaces the national x 0.5: 1000 x 0.8 = 800.00.
    rows = [line for line in page.splitlines() if line.startswith("- **2021-01-01** 住院起付线（1级医院）")]
    assert rows, "no change row on 2021-01-01"
    assert any("500.00 元 ⚠低 low → 800.00 元 ⚠低 low" in r and "synthetic-local#tilt" in r for r in rows), rows


def test_region_parameters_one_table_per_parameter_years_as_rows(synthetic):
    page = build_site(synthetic, REPO_ROOT).pages[region_page("500000")].splitlines()
    # the level-2 deductible: baseline 1000; dibao x 0.5 (national) = 500.00 in 2020, x 0.8 (Chongqing) = 800.00 from 2021
    at = page.index("### 住院起付线（2级医院）")
    table = page[at:page.index("", at + 4)]
    assert "| 年度 Year | 取值 Value |" in table and "<small>`basic_insurance.inpatient.deductible`</small>" in page[at + 2]
    rows = [r for r in table if r.startswith("| 20")]
    assert rows[0].startswith("| 2020 | 普通参保人 1000.00 元 ⚠低 low<br>低保对象 500.00 元 ⚠低 low |")
    assert "低保对象 800.00 元" in rows[1] and rows[1].split(" | ")[0].startswith("| 2021")


def test_cost_curve_is_settled_by_the_interpreter(synthetic):
    # SYNTHETIC baseline: deductible 1000, rate 0.50, SI threshold 10000 at 0.60, no caps, no assistance.
    points, unverified, _ = settle_curve(synthetic, "500000", None, None, dt.date(2022, 7, 1), 2)
    assert len(points) == 51 and points[0].x == 0 and points[-1].x == Decimal(500000)
    at = {p.x: p.parts for p in points}
    # 100,000: basic (100000 - 1000) x 0.50 = 49500.00; owed 50500.00; SI (50500 - 10000) x 0.60 = 24300.00;
    # out of pocket 100000 - 49500 - 24300 = 26200.00.
    assert at[Decimal(100000)] == {"basic_insurance": Decimal("49500.00"), "serious_illness": Decimal("24300.00"),
                                   "medical_assistance": Decimal("0.00"), "out_of_pocket": Decimal("26200.00")}
    # 10,000: basic (10000 - 1000) x 0.5 = 4500.00; owed 5500.00 < 10000 -> SI 0; out of pocket 5500.00.
    assert at[Decimal(10000)]["out_of_pocket"] == Decimal("5500.00")
    assert unverified  # synthetic values are unverified, so the chart must say so


def test_chart_marks_unverified_and_draws_one_band_per_tier():
    pts = [Stack(Decimal(x), {"out_of_pocket": Decimal(x) / 2, "basic_insurance": Decimal(x) / 2}) for x in (0, 100, 200)]
    svg = stacked_chart(pts, ("out_of_pocket", "basic_insurance"), {}, "t", unverified=True)
    assert svg.count("<polygon") == 2 and "含非一手数值" in svg
    assert "含非一手数值" not in stacked_chart(pts, ("out_of_pocket", "basic_insurance"), {}, "t", unverified=False)


def test_region_without_settlement_rules_says_why(synthetic, tmp_path):
    # SYNTHETIC: Xi'an with only a national waiting-period rule: no deductible anywhere, so no chart and a reason.
    root = write_set(tmp_path / "p2", [document("synthetic-xa", "610100", [
        rule("months", "waiting_period.fixed_months", "set", 3)])])
    ps = load_policy_set(root)
    page = build_site(ps, REPO_ROOT).pages[region_page("610100")]
    assert "无法结算 No chart" in page
    assert "yb-chart-svg" not in page


def test_docs_command_without_the_tools_is_a_usage_error(monkeypatch, capsys):
    from engine.cli import docs

    monkeypatch.setattr(docs, "missing_tools", lambda: ["mkdocs"])
    assert cli.main(["docs", "-o", "/nonexistent/site"]) == 2
    err = capsys.readouterr().err
    assert "pip install -e '.[docs]'" in err and "Traceback" not in err


def test_site_pages_are_not_committed():
    # Every generated page lives only in the build: none of the generator's page paths exists under docs/.
    docs = REPO_ROOT / "docs"
    for sub in ("notices", "regions", "topics", "categories", "charts", "examples", "reference"):
        assert not (docs / sub).exists(), f"docs/{sub} must be generated, not committed"
    assert not (docs / "SUMMARY.md").exists()
    assert Path(REPO_ROOT / "mkdocs.yml").is_file()


def test_no_page_names_an_internal_file_as_a_source(shipped_site):
    _, site = shipped_site
    for name, page in site.pages.items():
        for word in ("BRIEF.md", "shared/domain", "shared/seeds", "shared/research", "domain brief", "chongqing-sources.md"):
            assert word not in page, f"{name} names {word}"


def test_scenario_pages_quote_the_rules_they_use_in_chinese(shipped_site):
    _, site = shipped_site
    page = site.pages["examples/scenarios/500000/2022-major-disease-insurance-assistance-116.md"]
    assert "所用规则原文" in page and "「对特困人员、低保对象和返贫致贫人口按75%的比例救助」" in page
    assert "一手 primary" in page and "推算 inferred" in page
