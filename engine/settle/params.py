"""`yibao params`: every parameter in force for a person on a day, with the rules that made it."""
from __future__ import annotations

import datetime as dt
from typing import Any

from engine.settle.provenance import show_value
from engine.settle.explain import describe_rule, grade_label
from engine.policy.policyset import PolicySet
from engine.core.messages import Name, Text, msg, tr, words
from engine.core.problems import InputError
from engine.core.registry import CATEGORIES, ENCOUNTER_TYPES, PARAMETERS, canonical_region
from engine.policy.steps import describe_step
from engine.policy.resolve import Profile, ReferenceMissing, matches


def params_table(ps: PolicySet, region: str, day: dt.date, categories: list[str], tier: int | None, scheme: str) -> list[dict[str, Any]]:
    """One row per parameter (per hospital level where it depends on it)."""
    code = canonical_region(region)
    if code is None:
        raise InputError(Text("usage.unknown_region", option="--region", value=region))
    bad = [c for c in categories if c not in CATEGORIES]
    if bad:
        raise InputError(Text("usage.unknown_category", option="--category", value=bad[0], known=", ".join(sorted(CATEGORIES))))
    res = ps.resolver
    rows = []
    in_force = res.in_force(code, day)
    ps.steps  # registers the figures of the set's payment steps
    for name, spec in PARAMETERS.items():
        etype = name.split(".")[1] if spec.by_level and name.split(".")[1] in ENCOUNTER_TYPES else None
        levels = (1, 2, 3) if spec.by_level else (None,)
        if spec.by_level and etype is None and not any(isinstance(r.value, dict) for r in in_force.get(name, [])):
            levels = (None,)  # a step's figure that no rule in force sets by hospital level
        for level in levels:
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
                                     "verified": r.provenance.verified, "grade": r.provenance.grade})
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
            flag = "" if st["verified"] else f" [{grade_label(st.get('grade', 'low'), lang)}]"
            out.append(f"    {msg('action.' + st['action'], lang):<10} {st['value'] or '':>12}  ← {st['rule']} v{st['document_version']} 「{st['clause']}」{flag}")
        for g in row.get("guardrails", []):
            out.append(f"    {msg('params.guardrail', lang)}  {g['says_zh'] if lang == 'zh' else g['says_en']}  ← {g['rule']}")
    return "\n".join(out) if out else msg("params.none", lang)


def steps_table(ps: PolicySet, region: str, day: dt.date, lang: str = "zh") -> list[dict[str, Any]]:
    """The payment steps in force in paying order, each with its declaration and its arithmetic in words."""
    code = canonical_region(region) or region
    return [{"id": s.id, "order": s.order, "name": s.name, "declared_by": s.key, "document_version": s.doc_version,
             "clause": s.clause, "base": s.base, "accumulation": s.accumulation, "deductible": s.deductible, "rate": s.rate,
             "share_limit": s.share_limit, "ceiling": s.ceiling, "annual_cap": s.annual_cap,
             "parameters": {role: name for role, name in s.names}, "says": describe_step(s, lang)}
            for s in ps.steps.in_force(code, day)]


def render_steps(steps: list[dict[str, Any]], lang: str = "zh") -> str:
    """The order of payment as lines of text."""
    name = "zh" if lang == "zh" else "en"
    return "\n".join([msg("params.order_of_payment", lang)] + [
        f"  {s['order']:>3} {s['name'][name]} {s['id']}: {s['says']}  ← {s['declared_by']} v{s['document_version']} 「{s['clause']}」"
        for s in steps])


def params_document(ps: PolicySet, region: str, day: dt.date, categories: list[str], tier: int | None, scheme: str,
                    lang: str = "zh") -> dict[str, Any]:
    """The JSON answer of `yibao params` and of the service: parameters and steps in force, with the set's identity."""
    return {"policy_set": {"version": ps.version, "fingerprint": ps.fingerprint}, "region": region,
            "date": day.isoformat(), "categories": list(categories),
            "parameters": params_table(ps, region, day, list(categories), tier, scheme),
            "steps": steps_table(ps, region, day, lang)}

