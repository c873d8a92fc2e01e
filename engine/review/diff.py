"""`yibao diff BASE HEAD`: what changed between two versions of the policies, in words, with its impact."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from engine.policy import policyset
from engine.settle.explain import value_words, describe_rule
from engine.policy.model import EFFECTS, Rule
from engine.policy.policyset import canonical_value
from engine.core.registry import CATEGORIES, PARAMETERS, REGIONS
from engine.review.release import Side, bump_kind, open_side, release_check
from engine.core.messages import msg
from engine.policy.steps import describe_step

MONEY_RULE_KEYS = {"who", "effective", "parameter", "implements", "stacks_with", *EFFECTS}
MONEY_DOC_KEYS = {"effective", "jurisdiction", "reference_data", "steps"}
STATUS_DOC_KEYS = {"status", "supersedes", "amends", "implements"}


def _region(code: str, lang: str) -> str:
    r = REGIONS.get(code)
    return (r.zh if lang == "zh" else r.en) if r else code


def _who_words(r: Rule, lang: str) -> str:
    if not r.who.categories:
        return "所有参保人" if lang == "zh" else "every insured person"
    i = 0 if lang == "zh" else 1
    return ("、" if lang == "zh" else ", ").join(CATEGORIES[c][i] for c in r.who.categories)


def _amount(r: Rule, v: Any, lang: str) -> str:
    zh = lang == "zh"
    if r.effect == "set":
        return value_words(r.parameter, v, lang)
    if r.effect == "add":
        pts = f"{(v * 100).normalize():f}"
        return f"+{pts}个百分点" if zh else f"+{pts} percentage points"
    if r.effect == "scale":
        pct = f"{((1 - v) * 100).normalize():f}"
        return f"降低{pct}%" if zh else f"reduced by {pct}%"
    return describe_rule(r, lang)


def _value_change(old: Rule, new: Rule, lang: str) -> str:
    """'70% → 80%', by hospital level where the value is one."""
    if old.effect == new.effect == "set" and isinstance(old.value, dict) and isinstance(new.value, dict):
        parts = []
        for k in sorted(set(old.value) | set(new.value)):
            a, b = old.value.get(k), new.value.get(k)
            if a != b:
                lv = f"{k}级" if lang == "zh" else f"level {k}"
                w = lambda x: "—" if x is None else value_words(new.parameter, x, lang)  # noqa: E731
                parts.append(f"{lv} {w(a)} → {w(b)}")
        return ("、" if lang == "zh" else ", ").join(parts)
    return f"{_amount(old, old.value, lang)} → {_amount(new, new.value, lang)}"


def _since(r: Rule, lang: str) -> str:
    p = r.period
    if lang == "zh":
        return f"，自 {p.start} 起" + (f"（至 {p.end} 止）" if p.end else "")
    return f", from {p.start}" + (f" (until {p.end})" if p.end else "")


def rule_sentence(old: Rule, new: Rule, keys: set[str], lang: str) -> str:
    """One plain sentence for a changed rule, e.g. 重庆市 低保对象 住院报销比例 70% → 80%，自 2024-01-01 起."""
    region, zh = _region(new.jurisdiction, lang), lang == "zh"
    label = PARAMETERS[new.parameter].zh if zh else PARAMETERS[new.parameter].en
    if old.effect == new.effect and keys & set(EFFECTS) and keys <= {*EFFECTS, "effective"}:
        return f"{region} {_who_words(new, lang)} {label} {_value_change(old, new, lang)}{_since(new, lang)}"
    if keys <= {"effective"}:
        a, b = old.period, new.period
        fmt = lambda p: f"{p.start} – {p.end or '…'}"  # noqa: E731
        return (f"{region} {describe_rule(new, lang)}：生效期 {fmt(a)} → {fmt(b)}" if zh
                else f"{region} {describe_rule(new, lang)}: in force {fmt(a)} → {fmt(b)}")
    if zh:
        return f"{region} 规则改为：{describe_rule(new, lang)}（原为：{describe_rule(old, lang)}）{_since(new, lang)}"
    return f"{region} rule now: {describe_rule(new, lang)} (was: {describe_rule(old, lang)}){_since(new, lang)}"


def _changed_keys(a: dict[str, Any], b: dict[str, Any], skip: set[str] = frozenset()) -> set[str]:
    return {k for k in set(a) | set(b) if k not in skip and a.get(k) != b.get(k)}


def _rule_entry(r: Rule) -> dict[str, Any]:
    return {"rule": r.key, "zh": f"{_region(r.jurisdiction, 'zh')} {describe_rule(r, 'zh')}{_since(r, 'zh')}",
            "en": f"{_region(r.jurisdiction, 'en')} {describe_rule(r, 'en')}{_since(r, 'en')}",
            "moves_money": r.effect != "guardrail"}


def compare(base: Side, head: Side) -> dict[str, Any]:
    """Documents added, removed, superseded; rules changed, with words; metadata told apart from money."""
    B, H = base.ps.documents, head.ps.documents
    out: dict[str, Any] = {
        "base": {"label": base.label, "version": base.ps.version, "fingerprint": base.ps.fingerprint},
        "head": {"label": head.label, "version": head.ps.version, "fingerprint": head.ps.fingerprint},
        "documents": {"added": [], "removed": [], "superseded": [], "changed": []},
        "rules": {"added": [], "removed": [], "changed": []}, "reference_data": [], "effective_dates": [],
        "metadata_only": [], "steps": _step_changes(base, head),
    }
    docs = out["documents"]
    for i in sorted(set(H) - set(B)):
        d = H[i]
        docs["added"].append({"id": i, "version": d.version, "path": head.doc_path(i), "title": d.title,
                              "effective": {"from": str(d.period.start), "until": str(d.period.end) if d.period.end else None}})
        out["rules"]["added"] += [_rule_entry(r) for r in d.rules]
    for i in sorted(set(B) - set(H)):
        d = B[i]
        docs["removed"].append({"id": i, "version": d.version, "path": base.doc_path(i), "title": d.title})
        out["rules"]["removed"] += [_rule_entry(r) for r in d.rules]
    for i in sorted(set(B) & set(H)):
        _compare_doc(out, base, head, i)
    for i in sorted(H):
        newly = set(H[i].raw.get("supersedes", [])) - set(B[i].raw.get("supersedes", []) if i in B else [])
        for s in sorted(newly):
            docs["superseded"].append({"id": s, "by": i})
    for i in sorted(set(B) & set(H)):
        if H[i].status == "superseded" and B[i].status != "superseded" and not any(x["id"] == i for x in docs["superseded"]):
            docs["superseded"].append({"id": i, "by": None})
    out["moves_money"] = bool(docs["added"] or docs["removed"] or any(c["moves_money"] for c in docs["changed"]))
    out["fingerprint_changed"] = base.ps.documents_fingerprint != head.ps.documents_fingerprint  # the policies moved
    return out


def _step_changes(base: Side, head: Side) -> dict[str, list[dict[str, Any]]]:
    """Payment steps added, removed or changed, per declaring document, each in words (zh and en)."""
    def steps(side: Side) -> dict[tuple[str, str], Any]:
        return {(d.id, s.id): s for d in side.ps.documents.values() for s in d.steps}

    def raw(side: Side, s: Any) -> Any:
        return canonical_value(side.ps.documents[s.doc_id].raw["steps"][s.loc[1]])

    B, H = steps(base), steps(head)
    out: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "changed": []}

    def entry(kind: str, s: Any) -> dict[str, Any]:
        words = {lang: msg(f"step.{kind}", lang, name=s.name[lang], id=s.id, order=s.order, parts=describe_step(s, lang))
                 for lang in ("zh", "en")}
        return {"step": s.key, "order": s.order, **words}

    for k in sorted(set(H) - set(B)):
        out["added"].append(entry("added", H[k]))
    for k in sorted(set(B) - set(H)):
        out["removed"].append(entry("removed", B[k]))
    for k in sorted(set(B) & set(H)):
        if raw(base, B[k]) != raw(head, H[k]):
            e = entry("changed", H[k])
            e["before"] = {lang: describe_step(B[k], lang) for lang in ("zh", "en")}
            out["changed"].append(e)
    return out


def _compare_doc(out: dict[str, Any], base: Side, head: Side, i: str) -> None:
    b, h = base.ps.documents[i], head.ps.documents[i]
    rb, rh = canonical_value(b.raw), canonical_value(h.raw)
    if rb == rh:
        return
    keys = _changed_keys(rb, rh, {"rules"})
    money = bool(keys & MONEY_DOC_KEYS)
    meta_fields = sorted(keys - MONEY_DOC_KEYS - STATUS_DOC_KEYS)
    if "effective" in keys:
        out["effective_dates"].append({"document": i, "before": rb["effective"], "after": rh["effective"]})
    if "reference_data" in keys:
        db, dh = {d.id: d for d in b.data}, {d.id: d for d in h.data}
        for k in sorted(set(db) | set(dh)):
            x, y = db.get(k), dh.get(k)
            if x is None or y is None or (x.value, x.year, x.region, x.series) != (y.value, y.year, y.region, y.series):
                show = lambda d: None if d is None else f"{d.series} {d.region} {d.year} = {d.value}"  # noqa: E731
                out["reference_data"].append({"datum": f"{i}#{k}", "before": show(x), "after": show(y)})
    rules_b = {r["id"]: r for r in rb.get("rules", [])}
    rules_h = {r["id"]: r for r in rh.get("rules", [])}
    objs_b, objs_h = {r.id: r for r in b.rules}, {r.id: r for r in h.rules}
    rule_meta = []
    for rid in sorted(set(rules_h) - set(rules_b)):
        out["rules"]["added"].append(_rule_entry(objs_h[rid]))
        money = True
    for rid in sorted(set(rules_b) - set(rules_h)):
        out["rules"]["removed"].append(_rule_entry(objs_b[rid]))
        money = True
    for rid in sorted(set(rules_b) & set(rules_h)):
        rk = _changed_keys(rules_b[rid], rules_h[rid])
        if not rk:
            continue
        old, new = objs_b[rid], objs_h[rid]
        if rk & MONEY_RULE_KEYS:
            money = True
            out["rules"]["changed"].append({
                "rule": new.key, "fields": sorted(rk), "moves_money": True,
                "zh": rule_sentence(old, new, rk & MONEY_RULE_KEYS, "zh"),
                "en": rule_sentence(old, new, rk & MONEY_RULE_KEYS, "en"),
                "before": {"zh": describe_rule(old, "zh"), "en": describe_rule(old, "en")},
                "after": {"zh": describe_rule(new, "zh"), "en": describe_rule(new, "en")}})
            if "effective" in rk:
                out["effective_dates"].append({"rule": new.key, "before": rules_b[rid].get("effective"),
                                               "after": rules_h[rid].get("effective")})
        if rk - MONEY_RULE_KEYS:
            rule_meta.append({"rule": new.key, "fields": sorted(rk - MONEY_RULE_KEYS)})
    if meta_fields or rule_meta:
        out["metadata_only"].append({"document": i, "fields": meta_fields, "rules": rule_meta})
    out["documents"]["changed"].append({
        "id": i, "path": head.doc_path(i), "version_before": b.version, "version_after": h.version,
        "bump": bump_kind(b.version, h.version), "moves_money": money, "fields": sorted(keys),
        "status_before": b.status, "status_after": h.status})


# -- command ----------------------------------------------------------------
def run_diff(base_spec: str, head_spec: str, repo: Path | None = None, impact: bool = True,
             release: bool = True, persons: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The whole report as plain data: changes, impact and release check."""
    repo = Path(repo) if repo is not None else policyset.REPO_ROOT
    with contextlib.ExitStack() as stack:
        base, head = open_side(base_spec, repo, stack), open_side(head_spec, repo, stack)
        report = compare(base, head)
        if impact:
            from engine.review.impact import population_impact, scenario_impact

            report["impact"] = {"scenarios": scenario_impact(base, head, repo),
                                "population": population_impact(base.ps, head.ps, persons)}
        if release:
            report["release"] = release_check(base, head, report)
    return report


def render_markdown(rep: dict[str, Any], lang: str = "zh") -> str:
    """The report as a pull-request comment in `lang` (Chinese by default)."""
    from engine.review.markdown import render

    return render(rep, lang)
