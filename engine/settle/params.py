"""`yibao params`: every parameter in force for a person on a day, with the rules that made it."""
from __future__ import annotations

import datetime as dt
from typing import Any

from engine.settle.evaluate import show_value
from engine.settle.explain import describe_rule
from engine.policy.policyset import PolicySet
from engine.core.messages import Name, Text, msg, tr, words
from engine.core.problems import InputError
from engine.core.registry import CATEGORIES, PARAMETERS, canonical_region
from engine.policy.resolve import Profile, ReferenceMissing, matches


def params_table(ps: PolicySet, region: str, day: dt.date, categories: list[str], tier: int | None, scheme: str) -> list[dict[str, Any]]:
    """One row per parameter (per hospital level where it depends on it)."""
    code = canonical_region(region)
    if code is None:
        raise InputError(Text("usage.unknown_region", value=region))
    bad = [c for c in categories if c not in CATEGORIES]
    if bad:
        raise InputError(Text("usage.unknown_category", value=bad[0], known=", ".join(sorted(CATEGORIES))))
    res = ps.resolver
    rows = []
    in_force = res.in_force(code, day)
    for name, spec in PARAMETERS.items():
        etype = name.split(".")[1] if spec.by_level else None
        for level in ((1, 2, 3) if spec.by_level else (None,)):
            prof = Profile(code, day, frozenset(categories), scheme, tier, etype, level)
            try:
                rv = res.resolve(name, prof)
            except ReferenceMissing as e:
                rows.append({"parameter": name, "hospital_level": level, "value": None, "error": e.args[0]})
                continue
            guards = [g for g in in_force.get(name, []) if g.effect == "guardrail" and matches(g, prof)
                      and (not g.who.categories or set(g.who.categories) & set(categories))]
            if rv is None and not guards:
                continue
            row: dict[str, Any] = {"parameter": name, "hospital_level": level,
                                   "value": show_value(name, rv.value) if rv else None,
                                   "treatment": (rv.category or "ordinary") if rv else None,
                                   "steps": [], "guardrails": [
                                       {"rule": g.key, "says_zh": describe_rule(g, "zh"), "says_en": describe_rule(g, "en")} for g in guards]}
            if rv is None:
                row["note"] = "no value in force: only a guardrail"
            for st in rv.steps if rv else []:
                r = st.rule
                row["steps"].append({"rule": r.key, "document_version": r.doc_version, "clause": r.clause, "action": st.action,
                                     "value": str(st.value.value) if st.action == "reference" else show_value(name, st.value),
                                     "verified": r.provenance.verified})
            rows.append(row)
    return rows


def render_params(rows: list[dict[str, Any]], lang: str = "zh") -> str:
    """A readable listing of params_table rows."""
    out = []
    for row in rows:
        name = row["parameter"] + (f"[{row['hospital_level']}]" if row["hospital_level"] else "")
        label = PARAMETERS[row["parameter"]].zh if lang == "zh" else PARAMETERS[row["parameter"]].en
        if row["value"] is not None:
            val = row["value"]
        elif row.get("steps") and PARAMETERS[row["parameter"]].kind == "cap":
            val = msg("params.no_cap", lang)
        elif row.get("error"):
            val = msg("unknown.not_computed", lang, what=Name("param", row["parameter"]))
        else:
            val = msg("params.guardrail_only", lang)
        treat = f"  [{words('categories', row['treatment'], lang)}]" if row.get("treatment") and row["treatment"] != "ordinary" else ""
        out.append(f"{name:<48} {val:>14}  {label}{treat}")
        if row.get("error"):
            out.append(f"    ! {tr(row['error'], lang)}")
        for st in row.get("steps", []):
            flag = "" if st["verified"] else (" [未核实]" if lang == "zh" else " [unverified]")
            out.append(f"    {msg('action.' + st['action'], lang):<10} {st['value'] or '':>12}  ← {st['rule']} v{st['document_version']} 「{st['clause']}」{flag}")
        for g in row.get("guardrails", []):
            out.append(f"    {msg('params.guardrail', lang)}  {g['says_zh'] if lang == 'zh' else g['says_en']}  ← {g['rule']}")
    return "\n".join(out) if out else msg("params.none", lang)
