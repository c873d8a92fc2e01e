"""Docs-site pages generated from the schemas, the CLI parser, the changelog, the examples and the scenario tests."""
from __future__ import annotations

import argparse
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from engine.settle.explain import render_text, result_json
from engine.policy.policyset import PolicySet, load_policy_set
from engine.core.problems import InputError, MissingParameter
from engine.core.registry import CATEGORIES, ENCOUNTER_TYPES, PARAMETERS, REGIONS, REFERENCE_SERIES, SCHEMES
from engine.core.messages import msg, words
from engine.site.base import Site, badge, cell, code_link, link, short, why_text

TIERS = ("basic_insurance", "serious_illness", "medical_assistance")


def add_reference_pages(site: Site, ps: PolicySet, root: Path) -> None:
    """Add the reference, example and scenario pages to the site."""
    schema_dir = root / "schema"
    policy = json.loads((schema_dir / "policy.schema.json").read_text(encoding="utf-8"))
    site.pages["reference/policy-format.md"] = schema_page(policy, "政策文件格式 Policy document format", "schema/policy.schema.json")
    site.edit_paths["reference/policy-format.md"] = "../schema/policy.schema.json"
    site.pages["reference/case-format.md"] = case_page(ps, root)
    site.edit_paths["reference/case-format.md"] = "../schema/case.schema.json"
    site.pages["reference/vocabulary.md"] = vocabulary_page()
    site.pages["reference/cli.md"] = cli_page()
    site.edit_paths["reference/cli.md"] = "../engine/cli/main.py"
    changelog = root / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8") if changelog.is_file() else "# Changelog\n\n(CHANGELOG.md not found)\n"
    site.pages["reference/changelog.md"] = text
    site.edit_paths["reference/changelog.md"] = "../CHANGELOG.md"
    example_pages(site, ps, root)
    scenario_pages(site, ps, root)
    site.pages["examples/index.md"] = examples_index(site)


# -- schema walk ------------------------------------------------------------------------
def type_text(s: dict[str, Any]) -> str:
    """A schema fragment's type in words, with links to definitions."""
    if "$ref" in s:
        name = s["$ref"].rsplit("/", 1)[-1]
        return f"[`{name}`](#def-{name})"
    if "enum" in s:
        return "one of " + ", ".join(f"`{json.dumps(v, ensure_ascii=False)}`" for v in s["enum"])
    if "const" in s:
        return f"`{json.dumps(s['const'], ensure_ascii=False)}`"
    for key in ("anyOf", "oneOf"):
        if key in s:
            return " or ".join(type_text(x) for x in s[key])
    t = s.get("type")
    if t == "array":
        return f"array of {type_text(s.get('items', {}))}"
    text = t if isinstance(t, str) else "/".join(t) if t else "any"
    if s.get("format"):
        text += f" ({s['format']})"
    if s.get("pattern"):
        text += f", pattern `{s['pattern']}`"
    if "minimum" in s:
        text += f", ≥ {s['minimum']}"
    return text


def _props_table(s: dict[str, Any], path: str) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    props = s.get("properties", {})
    required = set(s.get("required", []))
    rows = ["| 字段 Field | 类型 Type | 必填 Required | 说明 Description |", "| --- | --- | --- | --- |"]
    nested = []
    for name, p in props.items():
        rows.append(f"| `{name}` | {cell(type_text(p))} | {'✔' if name in required else ''} | {cell(p.get('description', ''))} |")
        target = p.get("items", {}) if p.get("type") == "array" else p
        if isinstance(target, dict) and "properties" in target:
            nested.append((f"{path}.{name}" if path else name, target))
    return rows, nested


def _object_section(s: dict[str, Any], path: str, level: int) -> list[str]:
    rows, nested = _props_table(s, path)
    out = rows + [""]
    for sub, t in nested:
        out += [f"{'#' * level} `{sub}`", "", cell(t.get("description", "")), ""] + _object_section(t, sub, level)
    return out


def schema_page(schema: dict[str, Any], title: str, path: str) -> str:
    """A schema rendered from its descriptions: the top-level fields, then every definition."""
    out = [f"# {title}", "", f"由 `{path}` 的描述生成。Generated from the descriptions in `{path}`.", "",
           schema.get("description", ""), "", "## 顶层字段 Top-level fields", ""]
    out += _object_section(schema, "", 3)
    defs = schema.get("$defs", {})
    if defs:
        out += ["## 定义 Definitions", ""]
    for name, d in defs.items():
        out += [f"### `{name}` {{#def-{name}}}", "", cell(d.get("description", "")), ""]
        if "properties" in d:
            out += _object_section(d, name, 4)
        else:
            out += [f"类型 Type: {type_text(d)}", ""]
        for cond in d.get("allOf", []):
            if "if" in cond and "then" in cond:
                out += [f"- 条件 Condition: if `{json.dumps(cond['if'], ensure_ascii=False)}` then `{json.dumps(cond['then'], ensure_ascii=False)}`"]
        out.append("")
    return "\n".join(out) + "\n"


def case_page(ps: PolicySet, root: Path) -> str:
    """The case format, the result format and a computed example."""
    case = json.loads((root / "schema" / "case.schema.json").read_text(encoding="utf-8"))
    out = [schema_page(case, "案例与结果格式 Case and result formats", "schema/case.schema.json").replace("## 顶层字段", "## 案例 Case: 顶层字段", 1)]
    result_schema = root / "schema" / "result.schema.json"
    if result_schema.is_file():
        res = json.loads(result_schema.read_text(encoding="utf-8"))
        body = schema_page(res, "结果 Result", "schema/result.schema.json")
        body = body.replace("{#def-", "{#result-def-").replace("(#def-", "(#result-def-")
        out.append("\n".join("#" + line if line.startswith("#") else line for line in body.splitlines()))
    example = root / "examples" / "cq-2023-dibao.yaml"
    if example.is_file():
        from engine.settle.case import read_case
        from engine.settle.evaluate import Evaluator

        try:
            res = result_json(Evaluator(ps).settle(read_case(example)), ps)
            out += ["", "## 结果示例 Example result", "", "`yibao evaluate examples/cq-2023-dibao.yaml --format json`:", "",
                    "```json", json.dumps(res, ensure_ascii=False, indent=2), "```", ""]
        except (InputError, MissingParameter) as exc:
            out += ["", f"示例无法结算 The example does not settle: {why_text(exc)}", ""]
    return "\n".join(out)


def vocabulary_page() -> str:
    """Categories, regions, schemes, encounter types and parameter names from the registry."""
    out = ["# 参数与词表 Vocabulary", "", "由 `engine/registry.py` 生成。Generated from `engine/registry.py`.", "",
           "## 身份类别 Hardship categories", "", "| 标识 Id | 中文 | English |", "| --- | --- | --- |"]
    out += [f"| `{k}` | {zh} | {en} |" for k, (zh, en) in CATEGORIES.items()]
    out += ["", "## 地区 Regions", "", "| 代码 Code | 中文 | English | 上级 Parent |", "| --- | --- | --- | --- |"]
    out += [f"| `{r.code}` | {r.zh} | {r.en} | {r.parent or '—'} |" for r in REGIONS.values()]
    out += ["", "## 险种与就诊类型 Schemes and encounter types", "", "| 标识 Id | 中文 | English |", "| --- | --- | --- |"]
    out += [f"| `{k}` | {zh} | {en} |" for k, (zh, en) in {**SCHEMES, **ENCOUNTER_TYPES}.items()]
    out += ["", "## 参数 Parameters", "", "| 名称 Name | 中文 | English | 类型 Kind | 更优方向 Better | 分医院等级 By level |",
            "| --- | --- | --- | --- | --- | --- |"]
    out += [f"| `{p.name}` | {p.zh} | {p.en} | {p.kind} | {p.better} | {'✔' if p.by_level else ''} |" for p in PARAMETERS.values()]
    out += ["", "## 参考数据序列 Reference series", "", "| 标识 Id | 中文 | English |", "| --- | --- | --- |"]
    out += [f"| `{k}` | {zh} | {en} |" for k, (zh, en) in REFERENCE_SERIES.items()]
    return "\n".join(out) + "\n"


# -- command line ---------------------------------------------------------------------
def cli_page() -> str:
    """Every command and option, from engine.cli.main.build_parser(), its help in Chinese and English."""
    from engine.cli.main import build_parser

    parser, english = build_parser("zh"), build_parser("en")
    out = ["# 命令行参考 Command-line reference", "", "由 `engine.cli.main.build_parser()` 生成。Generated from `engine.cli.main.build_parser()`.", "",
           "```text", parser.format_usage().strip(), "```", "",
           "退出码 Exit codes：0 成功 ok；1 有无效或失败 some invalid/fail；2 用法或输入错误 bad usage or input.", ""]
    subs = _subparsers(parser)
    subs_en = _subparsers(english)
    helps = {a.dest: a.help for a in subs._choices_actions} if subs else {}
    helps_en = {a.dest: a.help for a in subs_en._choices_actions} if subs_en else {}
    for name, sub in (subs.choices.items() if subs else []):
        en_help = {a.dest: a.help for a in subs_en.choices[name]._actions} if subs_en else {}
        out += [f"## `yibao {name}`", "", cell(helps.get(name) or ""), "", cell(helps_en.get(name) or ""), "",
                "```text", sub.format_usage().strip(), "```", "",
                "| 参数 Argument | 说明 Help | 默认 Default |", "| --- | --- | --- |"]
        for a in sub._actions:
            if isinstance(a, argparse._HelpAction) or a.help == argparse.SUPPRESS:
                continue
            names = ", ".join(f"`{o}`" for o in a.option_strings) or f"`{a.dest}`"
            choices = f" ({', '.join(map(str, a.choices))})" if a.choices else ""
            default = "" if a.default in (None, False, argparse.SUPPRESS) else f"`{a.default}`"
            both = (a.help or "").replace("%%", "%") + "<br>" + (en_help.get(a.dest) or "").replace("%%", "%")
            out.append(f"| {names} | {cell(both + choices)} | {default} |")
        out.append("")
    return "\n".join(out) + "\n"


def _subparsers(parser: argparse.ArgumentParser) -> Any:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


# -- worked examples ----------------------------------------------------------------------
def settlement_table(res: dict[str, Any]) -> list[str]:
    """The settlement as a narrow table: a row per item, a column per encounter and the total; unknowns in words."""
    from engine.settle import unknowns

    encs = res["encounters"]
    t = res["totals"]
    out = ["| 项目 Item | " + " | ".join(f"{e['date']}<br>`{e['id']}`" for e in encs) + " | 合计 Total |",
           "| --- | " + " | ".join("---:" for _ in encs) + " | ---: |"]
    items = [("total_cost", "总费用"), ("eligible_cost", "政策范围内费用"), *((k, TIER_ZH[k]) for k in TIERS), ("out_of_pocket", "个人自付")]
    for key, zh in items:
        cells = []
        for e in encs:
            gap = unknowns.tier_unknown(res, e["id"], key) if key in TIERS else None
            cells.append(unknowns.not_computed(gap, "zh") if gap else (e["paid"].get(key, "") if key in TIERS else e[key]))
        n = unknowns.tier_count(res, key) if key in TIERS else 0
        total = msg("unknown.total", "zh", n=n, known=t["paid"][key]) if n else (t["paid"].get(key, "") if key in TIERS else t.get(key, ""))
        out.append(f"| {zh} | " + " | ".join(cells) + f" | {total} |")
    rate = f"{Decimal(t['reimbursement_rate']) * 100:.2f}%" if not t.get("undetermined") else msg("unknown.undetermined", "zh")
    return out + ["", f"实际报销比例 Reimbursement rate: **{rate}**", ""]


TIER_ZH = {"basic_insurance": "基本医保", "serious_illness": "大病保险", "medical_assistance": "医疗救助"}


def result_section(res: dict[str, Any], src: str, ps: PolicySet) -> list[str]:
    """Settlement table, unverified values, documents used and the full trace."""
    out = settlement_table(res)
    if res.get("unverified"):
        out += ['!!! warning "用到非一手数值 Uses figures below primary"', ""]
        out += [f"    - `{u['parameter']}` ← {code_link(src, u['rule'], ps)} {badge(u.get('grade', 'low'))}: {cell(u['note'])}" for u in res["unverified"]]
        out.append("")
    docs = [d["id"] for d in res.get("documents", [])]
    if docs:
        out += ["引用文件 Documents used: " + "；".join(code_link(src, d, ps) for d in docs), ""]
    out += quoted_rules(res, src, ps)
    trace = render_text(res, "zh", show_trace=True)
    out += ['??? note "计算过程 Settlement and trace"', "", "    ```text"] + [f"    {line}" for line in trace.splitlines()] + ["    ```", ""]
    return out


def example_title(text: str, path: Path) -> str:
    """What an example shows, from its first comment line (重庆 2020：低保对象，同一次住院), else from the case itself."""
    first = text.split("\n", 1)[0].lstrip("# ").strip()
    if re.search(r"[\u4e00-\u9fff]", first):
        return re.split(r"[。.]", re.sub(r"（[^）]*）|\([^)]*\)", "", first), maxsplit=1)[0].strip("：:，, ")
    try:
        data = yaml.safe_load(text) or {}
        person, encs = data["person"], data["encounters"]
        cats = "|".join(c if isinstance(c, str) else c["id"] for c in person.get("categories", []))
        year = str(encs[0]["date"])[:4]
        synthetic = "合成政策 · " if "SYNTHETIC" in first else ""
        return f"{synthetic}{words('region', str(person['region']))} {year}：{words('categories', cats)}，{len(encs)} 次就诊"
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        return path.stem
def quoted_rules(res: dict[str, Any], src: str, ps: PolicySet) -> list[str]:
    """The clause of every rule the result used, quoted in its original language (Chinese first)."""
    keys = []
    for part in [*(e["trace"] for e in res["encounters"]), res.get("premium", {}).get("trace", []), res.get("monitoring", {}).get("trace", [])]:
        for st in part:
            if st.get("rule") and st["rule"] not in keys:
                keys.append(st["rule"])
    rules = {r.key: r for r in ps.rules}
    rows = []
    for k in keys:
        r = rules.get(k)
        if r is None:
            continue
        quote = r.quote.get("zh") or r.quote.get("en", "")
        rows.append(f"| {code_link(src, k, ps)} | {cell(r.clause)} | 「{cell(quote.strip())}」 | {badge(r.provenance.grade)} |")
    if not rows:
        return []
    return ['??? quote "所用规则原文 The quoted clauses of the rules used"', "",
            "    | 规则 Rule | 条款 Clause | 原文 Quote | 可信度 Grade |", "    | --- | --- | --- | --- |"] + [f"    {r}" for r in rows] + [""]


def example_pages(site: Site, ps: PolicySet, root: Path) -> None:
    """One page per examples/*.yaml: the case, its settlement and trace."""
    from engine.settle.case import read_case
    from engine.settle.evaluate import Evaluator

    for path in sorted((root / "examples").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        src = f"examples/{path.stem}.md"
        m = re.search(r"--policies\s+(\S+?)\)?\s*$", text.split("\n", 3)[0] if text else "", re.M) or re.search(r"--policies\s+([\w./-]+)", text)
        policies, label = ps, "随附政策集 shipped policy set"
        if m:
            policies = load_policy_set(root / m.group(1))
            label = f"合成政策集 SYNTHETIC policy set `{m.group(1)}`"
        title = example_title(text, path)
        site.titles[src] = title
        out = [f"# {title}", "", f"案例文件 Case file `examples/{path.name}` · 政策集 Policies: {label}", "",
               "```yaml", text.rstrip(), "```", ""]
        try:
            if policies.problems:
                raise InputError(f"policy set {m.group(1) if m else ''} is invalid: {policies.problems[0]}")
            res = result_json(Evaluator(policies).settle(read_case(path)), policies)
            out += ["## 结算 Settlement", ""] + result_section(res, src, ps)
        except (InputError, MissingParameter) as exc:
            out += ['!!! failure "无法结算 Does not settle"', "", f"    {why_text(exc)}", ""]
        site.pages[src] = "\n".join(out)
        site.edit_paths[src] = f"../examples/{path.name}"


def scenario_pages(site: Site, ps: PolicySet, root: Path) -> None:
    """One page per scenario file under tests/scenarios, if engine.review.scenarios is available."""
    folder = root / "tests" / "scenarios"
    try:
        from engine.review.scenarios import load_scenario_files, run_scenario
    except ImportError:
        site.notes.append("engine.review.scenarios not available: scenario examples skipped")
        return
    if not folder.is_dir():
        site.notes.append(f"{folder} not found: scenario examples skipped")
        return
    scenarios, problems = load_scenario_files([folder])
    if problems:
        site.notes.append(f"{len(problems)} scenario problem(s), first: {problems[0]}")
    by_file: dict[str, list[Any]] = {}
    for sc in scenarios:
        by_file.setdefault(sc.file, []).append(sc)
    for file, items in sorted(by_file.items()):
        rel = Path(file).resolve().relative_to(folder.resolve()).with_suffix("").as_posix()
        src = f"examples/scenarios/{rel}.md"
        doc = items[0].document
        title = ps.documents[doc].title["zh"] if doc in ps.documents else doc
        site.titles[src] = short(title, 28)
        out = [f"# 场景 {title}", "", f"场景文件 Scenario file `tests/scenarios/{rel}.yaml` · 文件 Notice: " + code_link(src, doc, ps), ""]
        for sc in items:
            r = run_scenario(ps, sc)
            state = '<span class="yb-badge yb-verified">✔ 通过 pass</span>' if r.passed else '<span class="yb-badge yb-unverified">✘ 未通过 fail</span>'
            out += [f"## {sc.name}", "", state, "", "```json", json.dumps(sc.case_data, ensure_ascii=False, indent=1, default=str), "```", ""]
            if r.result is not None:
                out += result_section(r.result, src, ps)
            elif r.error:
                out += [f"预期错误 Expected error: `{cell(sc.expect_error or '')}` · 实际 Got: {cell(r.error)}", ""]
            if r.mismatches:
                out += ["不符 Mismatches: " + "；".join(cell(m) for m in r.mismatches), ""]
        site.pages[src] = "\n".join(out)
        site.edit_paths[src] = f"../tests/scenarios/{rel}.yaml"


def examples_index(site: Site) -> str:
    """A list of the example and scenario pages."""
    src = "examples/index.md"
    out = ["# 算例 Worked examples", "", "每个算例都由本站构建时实时计算。Every example is computed when the site is built.", "",
           "## 案例文件 Example cases", ""]
    out += [f"- [{site.titles.get(p, Path(p).stem)}]({link(src, p)})" for p in site.example_pages()]
    scen = site.scenario_pages()
    out += ["", "## 场景测试 Scenario tests", ""]
    out += [f"- [{site.titles.get(p, p[len('examples/scenarios/'):-3])}]({link(src, p)})" for p in scen] or ["- 无 None " + "; ".join(site.notes)]
    return "\n".join(out) + "\n"
