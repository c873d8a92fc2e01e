"""Turn a settlement into the contract's JSON result, a readable settlement, and rules into plain words."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.settle.evaluate import TIERS, Settlement
from engine.policy.model import Rule
from engine.core.money import ZERO, money_str, rate_str
from engine.policy.policyset import PolicySet
from engine.core.registry import CATEGORIES, PARAMETERS, REGIONS

LABELS = {
    "zh": {"basic_insurance": "基本医保", "serious_illness": "大病保险", "medical_assistance": "医疗救助",
           "out_of_pocket": "个人自付", "total_cost": "总费用", "eligible_cost": "政策范围内费用",
           "title": "年度结算单", "person": "参保人", "region": "参保地", "year": "年度", "categories": "身份类别",
           "none": "普通参保人", "encounter": "就诊", "totals": "合计", "rate": "实际报销比例",
           "premium": "个人缴费", "contribution": "个人缴费标准", "subsidy": "资助", "payable": "个人应缴",
           "monitoring": "监测预警", "warning": "预警", "no_warning": "未达预警线", "undetermined": "无法判定",
           "unverified": "使用的未核实数值", "missing": "缺失参数", "policy_set": "政策集", "trace": "计算依据",
           "documents": "引用文件"},
    "en": {"basic_insurance": "Basic insurance", "serious_illness": "Serious illness", "medical_assistance": "Medical assistance",
           "out_of_pocket": "Out of pocket", "total_cost": "Total cost", "eligible_cost": "Policy-scope cost",
           "title": "Year settlement", "person": "Person", "region": "Region", "year": "Year", "categories": "Categories",
           "none": "ordinary insured", "encounter": "Encounter", "totals": "Totals", "rate": "Reimbursement rate",
           "premium": "Premium", "contribution": "Individual contribution", "subsidy": "Subsidy", "payable": "Payable",
           "monitoring": "Monitoring", "warning": "WARNING", "no_warning": "below the warning threshold", "undetermined": "not determined",
           "unverified": "Unverified values used", "missing": "Missing parameters", "policy_set": "Policy set", "trace": "Trace",
           "documents": "Documents"},
}


def result_json(s: Settlement, ps: PolicySet) -> dict[str, Any]:
    """The contract's result document."""
    totals_paid = {t: ZERO for t in TIERS}
    total = oop = ZERO
    for e in s.encounters:
        total += Decimal(e["total_cost"])
        oop += Decimal(e["out_of_pocket"])
        for t, v in e["paid"].items():
            totals_paid[t] = totals_paid.get(t, ZERO) + Decimal(v)
    paid_sum = sum(totals_paid.values(), ZERO)
    eligible = sum((Decimal(e["eligible_cost"]) for e in s.encounters), ZERO)
    docs = sorted({(r.doc_id, r.doc_version) for r in s.used.values()})
    return {
        "policy_set": {"version": ps.version, "fingerprint": ps.fingerprint},
        "person": s.case.person_id,
        "region": s.case.region,
        "year": s.case.year,
        "encounters": s.encounters,
        "totals": {
            "total_cost": money_str(total), "eligible_cost": money_str(eligible),
            "paid": {t: money_str(v) for t, v in totals_paid.items()},
            "out_of_pocket": money_str(oop),
            "reimbursement_rate": rate_str((paid_sum / total).quantize(Decimal("0.0001"))) if total else "0.00",
            "policy_scope_reimbursement_rate": rate_str((paid_sum / eligible).quantize(Decimal("0.0001"))) if eligible else "0.00",
        },
        "premium": s.premium,
        "monitoring": s.monitoring,
        "documents": [{"id": d, "version": v} for d, v in docs],
        "unverified": sorted(s.unverified.values(), key=lambda u: (u["parameter"], u["rule"])),
        "missing": s.missing,
        "payment_steps": [{"id": st.id, "name": dict(st.name), "order": st.order, "declared_by": st.key} for st in s.steps],
    }


def _cats(cats: list[str], lang: str) -> str:
    if not cats:
        return LABELS[lang]["none"]
    i = 0 if lang == "zh" else 1
    return "、".join(CATEGORIES[c][i] for c in cats) if lang == "zh" else ", ".join(CATEGORIES[c][i] for c in cats)


def render_text(res: dict[str, Any], lang: str = "zh", show_trace: bool = True) -> str:
    """A readable settlement, Chinese by default."""
    L = LABELS[lang]
    region = REGIONS.get(res["region"])
    rname = (region.zh if lang == "zh" else region.en) if region else res["region"]
    out = [f"{L['title']} · {L['person']} {res['person']} · {L['region']} {rname} ({res['region']}) · {L['year']} {res['year']}",
           f"{L['policy_set']} {res['policy_set']['version']} {res['policy_set']['fingerprint'][:19]}…", ""]
    names = {k: L[k] for k in TIERS}
    names.update({st["id"]: st["name"].get(lang, st["id"]) for st in res.get("payment_steps", []) if st["id"] not in TIERS})
    for e in res["encounters"]:
        out.append(f"{L['encounter']} {e['id']} {e['date']} {e['type']} L{e['hospital_level']} · {L['categories']}: {_cats(e['categories'], lang)}")
        out.append(f"  {L['total_cost']} {e['total_cost']:>12}   {L['eligible_cost']} {e['eligible_cost']:>12}")
        for t in e["paid"]:
            out.append(f"  {names.get(t, t):<20} {e['paid'][t]:>12}")
        out.append(f"  {L['out_of_pocket']:<20} {e['out_of_pocket']:>12}")
        if show_trace:
            out.append(f"  {L['trace']}:")
            for st in e["trace"]:
                cite = f"  ← {st['rule']} v{st['document_version']} 「{st['clause']}」" if st.get("rule") else ""
                flag = " [未核实]" if lang == "zh" and st.get("verified") is False else (" [unverified]" if st.get("verified") is False else "")
                extra = st.get("text") or st.get("formula") or st.get("note") or st.get("detail") or ""
                act = f" ({st['action']})" if st.get("action") and st["action"] != "set" else ""
                out.append(f"    {st['step']}{act} = {st['value']}{flag}{cite}{('  ' + extra) if extra else ''}")
        out.append("")
    t = res["totals"]
    out.append(f"{L['totals']}: {L['total_cost']} {t['total_cost']} · " + " · ".join(f"{names.get(k, k)} {t['paid'][k]}" for k in t["paid"])
               + f" · {L['out_of_pocket']} {t['out_of_pocket']} · {L['rate']} {Decimal(t['reimbursement_rate']) * 100:.2f}%")
    p = res["premium"]
    if p.get("individual_contribution") is not None:
        out.append(f"{L['premium']}: {L['contribution']} {p['individual_contribution']} · {L['subsidy']} {p['subsidy']} · {L['payable']} {p['payable']}")
    else:
        why = p.get("note") or next((m_["reason"] for m_ in res["missing"] if m_["part"] == "premium"), "")
        out.append(f"{L['premium']}: {L['undetermined']}" + (f" ({_zh_reason(why) if lang == 'zh' else why})" if why else ""))
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
    state = L["warning"] if m["warning"] else (L["undetermined"] if m["warning"] is None else L["no_warning"])
    out.append(f"{L['monitoring']}: {state} · {why}")
    if res["unverified"]:
        out.append(f"{L['unverified']} ({len(res['unverified'])}):")
        for u in res["unverified"]:
            out.append(f"  ⚠ {u['parameter']} ← {u['rule']}: {u['note']}")
    if res["missing"]:
        out.append(f"{L['missing']} ({len(res['missing'])}):")
        for m_ in res["missing"]:
            reason = _zh_reason(m_["reason"]) if lang == "zh" else m_["reason"]
            out.append(f"  ∅ {m_['parameter']} [{m_.get('for', '')}] {m_.get('encounter', '')} {m_.get('date', '')}: {reason}")
    out.append(f"{L['documents']}: " + ", ".join(f"{d['id']} v{d['version']}" for d in res["documents"]))
    return "\n".join(out)


ZH_REASONS = {
    "no rule in force sets the annual cap; none applied": "无生效规则规定年度最高支付限额，未设封顶计算",
    "no rule in force sets the individual contribution": "无生效规则规定个人缴费标准",
    "no subsidy rule in force for the categories held; subsidy shown as 0.00": "所持身份类别无生效的资助规则，资助按 0.00 显示",
    "no warning threshold in force": "无生效的预警线",
    "employee contributions are payroll-based and not modelled": "职工医保按工资缴费，未建模",
}


def _zh_reason(reason: str) -> str:
    """Chinese wording of a missing-value reason (English kept where no wording exists)."""
    if reason in ZH_REASONS:
        return ZH_REASONS[reason]
    if "but no rule in force sets" in reason:
        return f"有规则适用于此人（如全国底线），但无生效规则规定{reason.rsplit(' ', 1)[-1]}，该部分未计算"
    return reason


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
