"""Turn a settlement into the contract's JSON result, a readable settlement, and rules into plain words."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.settle import unknowns
from engine.settle.evaluate import TIERS, Settlement
from engine.policy.model import Rule
from engine.core.messages import Name, Text, msg, tr, words
from engine.core.money import fen_text, money_str, rate_str
from engine.policy.policyset import PolicySet
from engine.core.registry import CATEGORIES, GRADES, PARAMETERS, REGIONS

LABEL_KEYS = ("basic_insurance", "serious_illness", "medical_assistance", "out_of_pocket", "total_cost", "eligible_cost", "title", "person", "region", "year", "categories", "none", "encounter", "totals", "rate", "premium", "contribution", "subsidy", "payable", "monitoring", "warning", "no_warning", "undetermined", "unverified", "missing", "policy_set", "trace", "documents")


def labels(lang: str) -> dict[str, str]:
    """The settlement's headings and field names in `lang`, from the catalogue."""
    return {k: msg("settle." + k, lang) for k in LABEL_KEYS}


def result_json(s: Settlement, ps: PolicySet) -> dict[str, Any]:
    """The contract's result document."""
    parts = (*TIERS, *(st.id for st in s.steps if st.id not in TIERS))
    paid = {t: s.paid_fen.get(t, 0) for t in parts}  # fen, the known part; see undetermined
    unknown = s.unknown_parts
    paid_sum = Decimal(sum(paid.values()))
    docs = sorted({(r.doc_id, r.doc_version) for r in s.used.values()})
    return {
        "policy_set": {"version": ps.version, "fingerprint": ps.fingerprint},
        "person": s.case.person_id,
        "region": s.case.region,
        "year": s.case.year,
        "encounters": s.encounters,
        "totals": {
            "total_cost": fen_text(s.total_fen), "eligible_cost": fen_text(s.eligible_fen),
            # a part not computed in some encounter has no total (null); paid_known adds what was computed
            "paid": {t: None if t in unknown else fen_text(v) for t, v in paid.items()},
            "paid_known": {t: fen_text(v) for t, v in paid.items()},
            "out_of_pocket": fen_text(s.oop_fen),
            # shares of whole fen: the same quotients as of the yuan amounts
            "reimbursement_rate": None if unknown else (rate_str((paid_sum / s.total_fen).quantize(Decimal("0.0001"))) if s.total_fen else "0.00"),
            "policy_scope_reimbursement_rate": None if unknown else (rate_str((paid_sum / s.eligible_fen).quantize(Decimal("0.0001"))) if s.eligible_fen else "0.00"),
            "undetermined": sum(1 for u in unknowns.undetermined(s.missing) if u["part"] not in ("premium", "monitoring")),
        },
        "premium": s.premium,
        "monitoring": s.monitoring,
        "documents": [{"id": d, "version": v} for d, v in docs],
        "unverified": sorted(s.unverified.values(), key=lambda u: (u["parameter"], u["rule"])),
        "missing": s.missing,
        "undetermined": unknowns.summary(s.missing),
        "payment_steps": [{"id": st.id, "name": dict(st.name), "order": st.order, "declared_by": st.key} for st in s.steps],
    }


def _cats(cats: list[str], lang: str) -> str:
    if not cats:
        return labels(lang)["none"]
    i = 0 if lang == "zh" else 1
    return "、".join(CATEGORIES[c][i] for c in cats) if lang == "zh" else ", ".join(CATEGORIES[c][i] for c in cats)


def render_text(res: dict[str, Any], lang: str = "zh", show_trace: bool = True) -> str:
    """A readable settlement, Chinese by default."""
    L = labels(lang)
    region = REGIONS.get(res["region"])
    rname = (region.zh if lang == "zh" else region.en) if region else res["region"]
    out = [f"{L['title']} · {L['person']} {res['person']} · {L['region']} {rname} ({res['region']}) · {L['year']} {res['year']}",
           f"{L['policy_set']} {res['policy_set']['version']} {res['policy_set']['fingerprint'][:19]}…", ""]
    names = {k: L[k] for k in TIERS}
    names.update({st["id"]: st["name"].get(lang, st["id"]) for st in res.get("payment_steps", []) if st["id"] not in TIERS})
    for e in res["encounters"]:
        where = msg("words.stay", lang, type=Name("type", e["type"]), level=e["hospital_level"])
        out.append(f"{L['encounter']} {e['id']} {e['date']} {where} · {L['categories']}: {_cats(e['categories'], lang)}")
        out.append(f"  {L['total_cost']} {e['total_cost']:>12}   {L['eligible_cost']} {e['eligible_cost']:>12}")
        gaps = {t: unknowns.tier_unknown(res, e["id"], t) for t in e["paid"]}
        for t in e["paid"]:
            out.append(f"  {names.get(t, t):<20} {unknowns.not_computed(gaps[t], lang) if gaps[t] else format(e['paid'][t], '>12')}")
        oop = e["out_of_pocket"] if not any(gaps.values()) else msg("unknown.at_most", lang, value=e["out_of_pocket"])
        out.append(f"  {L['out_of_pocket']:<20} {oop:>12}")
        if show_trace:
            out.append(f"  {L['trace']}:")
            for st in e["trace"]:
                cite = f"  ← {st['rule']} v{st['document_version']} 「{st['clause']}」" if st.get("rule") else ""
                flag = f" [{grade_label(st.get('grade', 'low'), lang)}]" if st.get("verified") is False else ""
                extra = tr(st.get("text") or st.get("formula") or st.get("note") or st.get("detail") or "", lang)
                act = f" ({st['action']})" if st.get("action") and st["action"] != "set" else ""
                value = st["value"] if st["value"] is not None else msg("params.no_cap", lang)
                out.append(f"    {st['step']}{act} = {value}{flag}{cite}{('  ' + extra) if extra else ''}")
        out.append("")
    t = res["totals"]
    counts = {k: unknowns.tier_count(res, k) for k in t["paid"]}
    shown = {k: t["paid"][k] if not counts[k] else msg("unknown.total", lang, n=counts[k], known=t["paid_known"][k]) for k in t["paid"]}
    rate = f"{Decimal(t['reimbursement_rate']) * 100:.2f}%" if not any(counts.values()) else msg("unknown.undetermined", lang)
    oop_total = t["out_of_pocket"] if not any(counts.values()) else msg("unknown.at_most", lang, value=t["out_of_pocket"])
    n_unknown = res.get("undetermined", {}).get("count", 0)
    out.append(f"{L['totals']}: {L['total_cost']} {t['total_cost']} · " + " · ".join(f"{names.get(k, k)} {shown[k]}" for k in t["paid"])
               + f" · {L['out_of_pocket']} {oop_total} · {L['rate']} {rate} · " + msg("unknown.count", lang, n=n_unknown))
    p = res["premium"]
    if p.get("individual_contribution") is not None and unknowns.subsidy_unknown(res):
        out.append(f"{L['premium']}: {L['contribution']} {p['individual_contribution']} · {L['subsidy']} "
                   f"{msg('unknown.undetermined', lang)}（{unknowns.not_computed('premium.subsidy', lang)}）· {L['payable']} "
                   + msg("unknown.at_most", lang, value=unknowns.payable_bound(p)))
    elif p.get("individual_contribution") is not None:
        out.append(f"{L['premium']}: {L['contribution']} {p['individual_contribution']} · {L['subsidy']} {p['subsidy']} · {L['payable']} {p['payable']}")
    else:
        why = p.get("note") or next((m_["reason"] for m_ in res["missing"] if m_["part"] == "premium"), "")
        out.append(f"{L['premium']}: {msg('unknown.undetermined', lang)}" + (f" ({reason_words(why, lang)})" if why else ""))
    m = res["monitoring"]
    if lang == "zh":
        if m["warning"]:
            fw = m["first_warning"]
            why = f"年度个人自付 {m['out_of_pocket']} 元，自 {fw['date']} 就诊 {fw['encounter']} 起超过预警线 {m['threshold']} 元"
        elif m["warning"] is None:
            why = "本参保地无生效的预警线，无法判定"
        else:
            why = f"年度个人自付 {m['out_of_pocket']} 元，未超过预警线 {m['threshold']} 元"
    else:
        why = "; ".join(m["reasons"])
    state = L["warning"] if m["warning"] else (msg("unknown.undetermined", lang) if m["warning"] is None else L["no_warning"])
    out.append(f"{L['monitoring']}: {state} · {why}")
    if res["unverified"]:
        out.append(f"{L['unverified']} ({len(res['unverified'])}):")
        for u in res["unverified"]:
            # the research note is the policy file's (English); a Chinese reader gets the cited source's own title
            why = u["note"] if lang == "en" else (msg("settle.source", lang, source=u["source"], address=u.get("source_address", "") if u.get("source_address", "").startswith("http") else "")
                                            if u.get("source") else "")
            out.append(f"  ⚠ {words('param', u['parameter'], lang)} ({u['parameter']}) ← {u['rule']} [{grade_label(u.get('grade', 'low'), lang)}]"
                       + (f": {why}" if why else ""))
    if res["missing"]:
        out.append(f"{L['missing']} ({len(res['missing'])}):")
        for m_ in res["missing"]:
            reason = reason_words(m_["reason"], lang, m_["parameter"])
            out.append(f"  ∅ {words('param', m_['parameter'], lang)} ({m_['parameter']}) [{tr(m_.get('for', ''), lang)}] {m_.get('encounter', '')} {m_.get('date', '')}: {reason}")
    out.append(f"{L['documents']}: " + ", ".join(f"{d['id']} v{d['version']}" for d in res["documents"]))
    return "\n".join(out)


REASONS = {  # the settlement's missing-value reasons (result JSON keeps the English) -> catalogue keys
    "no rule in force sets the annual cap; none applied": "reason.no_cap",
    "no rule in force sets the individual contribution": "reason.no_contribution",
    "no subsidy rule in force for the categories held; subsidy shown as 0.00": "reason.no_subsidy",
    "no subsidy rule in force for the categories held; subsidy and payable not determined": "reason.no_subsidy",
    "no warning threshold in force": "reason.no_threshold",
    "employee contributions are payroll-based and not modelled": "reason.employee",
}


def reason_words(reason: Any, lang: str = "zh", parameter: str = "") -> str:
    """A missing-value reason in `lang` (the English text is the key; unknown reasons kept as they are)."""
    if isinstance(reason, Text):
        return reason.render(lang)
    if reason in REASONS:
        return msg(REASONS[reason], lang)
    if "but no rule in force sets" in str(reason):
        name = parameter or str(reason).rsplit(" ", 1)[-1]
        return msg("reason.no_rate", lang, label=Name("param", name), parameter=name)
    return str(reason)


def describe_rule(r: Rule, lang: str = "zh") -> str:
    """What a rule does, in plain words (e.g. 低保对象住院起付线降低50%)."""
    p = PARAMETERS[r.parameter]
    who = _cats(list(r.who.categories), lang) if r.who.categories else ("所有参保人" if lang == "zh" else "every insured person")
    label = p.zh if lang == "zh" else p.en
    v = r.value
    zh = lang == "zh"
    if r.effect == "set":
        shown = value_words(r.parameter, v, lang)
        return f"{who}：{label}为{shown}" if zh else f"{who}: {label} is {shown}"
    if r.effect == "scale":
        pct = (1 - v) * 100
        return f"{who}{label}降低{pct.normalize():f}%" if zh else f"{who}: {label} reduced by {pct.normalize():f}%"
    if r.effect == "add":
        pts = (v * 100).normalize()
        return f"{who}{label}提高{pts:f}个百分点" if zh else f"{who}: {label} raised by {pts:f} percentage points"
    if r.effect == "remove_cap":
        return f"{who}取消{label}" if zh else f"{who}: no {label}"
    parts = []
    for k, b in v.items():
        if k == "min":
            parts.append(f"不低于{value_words(r.parameter, b, lang)}" if zh else f"not below {value_words(r.parameter, b, lang)}")
        elif k == "max":
            parts.append(f"不高于{value_words(r.parameter, b, lang)}" if zh else f"not above {value_words(r.parameter, b, lang)}")
        else:
            pct = (b.share * 100).normalize()
            parts.append(f"不高于上年居民人均可支配收入的{pct:f}%" if zh else f"not above {pct:f}% of the previous year's per-capita disposable income")
    return (f"{who}：{label}" + "，".join(parts) + "（全国底线）") if zh else (f"{who}: {label} " + ", ".join(parts) + " (national guardrail)")


def value_words(param: str, v: Any, lang: str) -> str:
    """A parameter value in plain words (70%, 300.00元, 上年居民人均可支配收入的50%)."""
    from engine.policy.model import ShareOf

    kind = PARAMETERS[param].kind
    zh = lang == "zh"
    if v is None:
        return "不设封顶" if zh else "no cap"
    if isinstance(v, bool):
        return ("是" if v else "否") if zh else ("yes" if v else "no")
    if isinstance(v, ShareOf):
        pct = (v.share * 100).normalize()
        return f"上年居民人均可支配收入的{pct:f}%" if zh else f"{pct:f}% of the previous year's per-capita disposable income"
    if isinstance(v, dict):
        sep = "、" if zh else ", "
        return sep.join((f"{k}级{value_words(param, x, lang)}" if zh else f"level {k} {value_words(param, x, lang)}") for k, x in sorted(v.items()))
    if isinstance(v, tuple):
        return "; ".join(f"{(r * 100).normalize():f}% from {money_str(f)}" for f, r in v)
    if kind in ("rate", "bands"):
        return f"{(v * 100).normalize():f}%"
    if kind == "months":
        return f"{v}个月" if zh else f"{v} months"
    return f"{money_str(v)}元" if zh else f"{money_str(v)} yuan"


def grade_label(grade: str, lang: str = "zh") -> str:
    """The short label of a confidence grade (一手 primary, 二手 secondary, …)."""
    zh, en, _ = GRADES.get(grade, (grade, grade, ""))
    return f"{zh}" if lang == "zh" else en
