"""`yibao diff` as a pull-request comment a reviewer who does not program can read: names in words, one language."""
from __future__ import annotations

from typing import Any

from engine.core.messages import msg, tr, words
from engine.review.release import render_release_md

TIERS = ("basic_insurance", "serious_illness", "medical_assistance")
ROWS = (*TIERS, "out_of_pocket", "premium_subsidy")
FIELDS = ("title", "notes", "quote", "sources", "provenance", "history", "version", "document_number", "issuers", "status",
          "published", "issued", "clause", "effective", "who", "parameter", "rules", "reference_data", "supersedes",
          "amends", "implements", "stacks_with", "jurisdiction", "set", "scale", "add", "remove_cap", "guardrail", "id")


def _m(key: str, lang: str, **f: Any) -> str:
    return msg(f"diff.{key}", lang, **f)


def _title(t: dict[str, str], lang: str) -> str:
    return (t.get("zh") or t.get("en", "")) if lang == "zh" else (t.get("en") or t.get("zh", ""))


def _fields(names: list[str], lang: str) -> str:
    """Changed fields in words (标题、备注) where the catalogue knows them."""
    sep = "、" if lang == "zh" else ", "
    return sep.join(msg(f"field.{n}", lang) if n in FIELDS else n for n in names)


def _row(label: str, *cells: Any) -> str:
    return "| " + " | ".join([label, *map(str, cells)]) + " |"


def render(rep: dict[str, Any], lang: str = "zh") -> str:
    """The whole report in `lang`: documents, changes that move money, dates, metadata, impact, release check."""
    b, h, docs, rules = rep["base"], rep["head"], rep["documents"], rep["rules"]
    money = _m("moves_money" if rep["moves_money"] else "no_money", lang)
    out = [f"## {_m('title', lang)}：`{b['label']}` → `{h['label']}`" if lang == "zh" else f"## {_m('title', lang)}: `{b['label']}` → `{h['label']}`",
           "", _m("versions", lang, before=b["version"], after=h["version"], fb=b["fingerprint"][7:19], fa=h["fingerprint"][7:19],
                  money=money), ""]
    if not rep["fingerprint_changed"]:
        out += [_m("no_change", lang), ""]
    for key in ("added", "removed"):
        if docs[key]:
            out += [f"### {_m('docs_' + key, lang)}", ""]
            out += [f"- {_m('doc', lang, title=_title(d['title'], lang), id=d['id'], version=d['version'])}" for d in docs[key]] + [""]
    if docs["superseded"]:
        out += [f"### {_m('superseded', lang)}", ""]
        out += [f"- {_m('superseded_by', lang, id=d['id'], by=d['by'])}" if d["by"] else f"- {_m('superseded_status', lang, id=d['id'])}"
                for d in docs["superseded"]] + [""]
    if docs["changed"]:
        out += [f"### {_m('docs_changed', lang)}", "", _row(*(_m(k, lang) for k in ("col_doc", "col_version", "col_bump", "col_money"))),
                "| --- | --- | --- | --- |"]
        out += [_row(f"`{d['id']}`", f"{d['version_before']} → {d['version_after']}", _m("bump_" + d["bump"], lang),
                     _m("yes" if d["moves_money"] else "no", lang)) for d in docs["changed"]] + [""]
    if rules["changed"] or rules["added"] or rules["removed"] or rep["reference_data"]:
        out += [f"### {_m('money_changes', lang)}", ""]
        out += [f"- {r[lang]}（`{r['rule']}`）" if lang == "zh" else f"- {r[lang]} (`{r['rule']}`)" for r in rules["changed"]]
        for key in ("added", "removed"):
            out += [f"- {_m('rule_' + key, lang)}{r[lang]}（`{r['rule']}`）" if lang == "zh" else f"- {_m('rule_' + key, lang)}{r[lang]} (`{r['rule']}`)"
                    for r in rules[key]]
        out += [f"- {_m('reference', lang, datum=d['datum'], before=d['before'] or '—', after=d['after'] or '—')}" for d in rep["reference_data"]]
        out.append("")
    st = rep.get("steps") or {}
    if any(st.get(k) for k in ("added", "removed", "changed")):
        out += [f"### {_m('steps', lang)}", ""]
        for key in ("added", "removed", "changed"):
            for e in st.get(key, []):
                out.append(f"- {e[lang]}（`{e['step']}`）" if lang == "zh" else f"- {e[lang]} (`{e['step']}`)")
                if "before" in e:
                    out.append(f"  - {_m('step_was', lang, before=e['before'][lang])}")
        out.append("")
    if rep["effective_dates"]:
        out += [f"### {_m('dates', lang)}", ""]
        out += [f"- `{e.get('rule') or e.get('document')}`：{_period(e['before'], lang)} → {_period(e['after'], lang)}"
                for e in rep["effective_dates"]] + [""]
    if rep["metadata_only"]:
        out += [f"### {_m('metadata', lang)}", ""]
        for m in rep["metadata_only"]:
            parts = ([_fields(m["fields"], lang)] if m["fields"] else []) + [f"`{r['rule']}`：{_fields(r['fields'], lang)}" for r in m["rules"]]
            out.append(f"- `{m['document']}`：" + "；".join(parts))
        out.append("")
    if "impact" in rep:
        out += impact_md(rep["impact"], lang)
    if "release" in rep:
        out += render_release_md(rep["release"], lang)
    return "\n".join(out) + "\n"


def _period(p: Any, lang: str) -> str:
    if not isinstance(p, dict):
        return _m("open", lang)
    return _m("period", lang, start=p.get("from", "…"), end=p.get("until") or _m("open", lang))


def _tier(k: str, lang: str) -> str:
    return msg(f"tier.{k}", lang)


def impact_md(imp: dict[str, Any], lang: str = "zh") -> list[str]:
    """Scenario tests whose outcome moves, each a sentence; the synthetic population in small tables."""
    out = [f"### {_m('impact', lang)}", "", f"#### {_m('scenarios', lang)}", ""]
    sc = imp["scenarios"]
    if "skipped" in sc:
        out.append(_m("scenarios_skipped", lang, why=tr(sc["skipped"], lang)))
    else:
        out.append(_m("scenarios_changed", lang, n=len(sc["changed"]), of=sc["scenarios"]))
        for c in sc["changed"]:
            out.append("- " + scenario_sentence(c, lang))
        out += [f"- {_m('scenario_problem', lang, problem=p)}" for p in sc["problems"]]
    pop = imp["population"]
    out += ["", f"#### {_m('population', lang)}", "", f"_{_m('population_about', lang, n=pop['persons']) if pop.get('synthetic', True) else _m('population_given', lang, n=pop['persons'])}_", "",
            _m("population_changed", lang, changed=pop["changed"], both=pop["settled_under_both"], n=pop["persons"]), ""]
    for key in ("base", "head"):
        for why, n in pop["failed"][key].items():
            ex = ", ".join(pop.get("failed_examples", {}).get(key, {}).get(why, []))
            out.append("- " + _m("unsettled", lang, n=n, side=_m("side_" + key, lang), why=tr(why, lang), examples=ex))
    out += ["", _row(*(_m(k, lang) for k in ("col_item", "col_before", "col_after", "col_change"))), "| --- | ---: | ---: | ---: |"]
    out += [_row(_tier(k, lang), v["before"], v["after"], v["change"]) for k, v in pop["totals"].items()]
    out += ["", _row(*(_m(k, lang) for k in ("col_category", "col_persons", "col_changed", "col_paid_before", "col_paid_after", "col_change"))),
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    out += [_row(words("categories", k, lang), g["persons"], g["changed"], g["paid_before"], g["paid_after"], g["change"])
            for k, g in pop["by_category"].items()]
    if pop["largest"]:
        out += ["", _m("largest", lang), "", _row(*(_m(k, lang) for k in ("col_who", "col_when", "col_before", "col_after", "col_change"))),
                "| --- | --- | ---: | ---: | ---: |"]
        out += [_row(_who(c["case"], lang), _when(c["case"], lang), c["paid_before"], c["paid_after"], c["change"]) for c in pop["largest"]]
    return out + [""]


def scenario_sentence(c: dict[str, Any], lang: str) -> str:
    """场景「…」（file:line）：基本医保 7000.00 → 8000.00；原来通过，现在不通过."""
    a, b = c["paid_before"] or {}, c["paid_after"] or {}
    moved = [_m("moved", lang, item=_tier(k, lang), before=a.get(k, "—"), after=b.get(k, "—"))
             for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    sep = "；" if lang == "zh" else "; "
    parts = [sep.join(moved) if moved else _m("same_payments", lang)]
    if c["passed_before"] != c["passed_after"]:
        parts.append(_m("verdict_" + ("pass" if c["passed_before"] else "fail") + "_" + ("pass" if c["passed_after"] else "fail"), lang))
    err = c["error_after"] or c["error_before"]
    if err:
        parts.append(_m("scenario_error", lang, error=tr(err, lang)))
    return _m("scenario", lang, name=c["scenario"], where=c["file"], what=sep.join(parts))


def _who(case: dict[str, Any], lang: str) -> str:
    p = case["person"]
    cats = "|".join(c if isinstance(c, str) else c["id"] for c in p.get("categories", []))
    sep = "，" if lang == "zh" else ", "
    return f"`{p['id']}` " + words("categories", cats, lang) + sep + words("region", str(p["region"]), lang)


def _when(case: dict[str, Any], lang: str) -> str:
    dates = [str(e["date"]) for e in case.get("encounters", [])]
    return _m("when", lang, first=dates[0], n=len(dates)) if dates else ""
