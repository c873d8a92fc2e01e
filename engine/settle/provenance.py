"""What a resolved parameter cites: the rules used, the figures below primary, and its trace items."""
from __future__ import annotations

from typing import Any

from engine.core.money import money_str, rate_str
from engine.core.registry import PARAMETERS
from engine.policy.model import Rule
from engine.policy.policyset import PolicySet
from engine.policy.resolve import Resolved
from engine.settle.steptrace import bands_str, param_text


def describe(ps: PolicySet, name: str, rv: Resolved, level: int | None = None, lang: str = "zh") -> tuple[dict, dict, list]:
    """Rules used, unverified values and trace items of one resolved value (computed once per value)."""
    used: dict[str, Rule] = {}
    unverified: dict[tuple, dict[str, str]] = {}
    items = []
    for st in rv.steps:
        r = st.rule
        used[r.key] = r
        if not r.provenance.verified:
            unverified[(name, r.key)] = below_primary(name, r.key, r.provenance, source(ps, r.doc_id, r.provenance.source))
        if st.action == "reference":
            datum = st.value
            ref = f"{datum.doc_id}#{datum.id}"
            if not datum.provenance.verified:
                unverified[(name, ref)] = below_primary(name, ref, datum.provenance, source(ps, datum.doc_id, datum.provenance.source))
        items.append(param_item(name, st, rv, level, lang))
    return used, unverified, items


def source(ps: PolicySet, doc_id: str, source_id: str | None) -> tuple[str, str]:
    """The cited source: its title, and the address where it was read."""
    for src in ps.documents[doc_id].raw.get("sources", []):
        if src["id"] == source_id:
            return src["title"], src.get("url") or src.get("reference", "")
    return "", ""


def below_primary(name: str, key: str, prov: Any, source: tuple[str, str] = ("", "")) -> dict[str, str]:
    """The result's entry for a figure below primary: parameter, rule or datum, grade, note (or derivation) and source."""
    title, where = source
    note = prov.note or prov.derivation or (f"Source: {title} ({where})" if title else "")
    if prov.derivation and prov.note and prov.derivation not in prov.note:
        note = f"{prov.note} Derivation: {prov.derivation}"
    out = {"parameter": name, "rule": key, "grade": prov.grade, "note": note}
    if title:
        out["source"] = title
        out["source_address"] = where
    return out


def param_item(name: str, st: Any, rv: Resolved, level: int | None = None, lang: str = "zh") -> dict[str, Any]:
    """One resolution step of a parameter as a trace item, in `lang`."""
    r = st.rule
    v = st.value
    if st.action == "reference":
        shown = money_str(v.value)
    else:
        shown = show_value(name, v)
    item = {"step": name, "value": shown, "rule": r.key, "document_version": r.doc_version, "clause": r.clause,
            "action": st.action, "verified": r.provenance.verified, "grade": r.provenance.grade}
    if st.action == "reference":
        item["detail"] = st.detail
        item["grade"] = v.provenance.grade
        item["verified"] = v.provenance.verified
    item["text"] = param_text(name, st, shown, level, lang)
    if rv.category:
        item["category"] = rv.category
    return item


def show_value(name: str, v: Any) -> str | None:
    """A parameter's value as the trace and `yibao params` show it."""
    kind = PARAMETERS[name].kind
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return bands_str(v)
    if kind in ("rate", "bands"):
        return rate_str(v)
    if kind == "months":
        return str(v)
    return money_str(v)
