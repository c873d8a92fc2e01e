"""Docs-site gaps pages: every figure a settlement in a region may need that no rule supplies (as `yibao gaps`)."""
from __future__ import annotations

from engine.core.registry import CATEGORIES, ENCOUNTER_TYPES, GRADES, PARAMETERS
from engine.policy.policyset import PolicySet
from engine.review.gaps import ALL, gaps_json
from engine.site.base import cell, region_name

EFFECTS = {"refused": "结算被拒绝 refused", "not_applied": "不设封顶 not applied", "undetermined": "无法确定 not determined"}


def gaps_markdown(ps: PolicySet, code: str, first: int = 2017, last: int = 2026) -> str:
    """The gaps page of one region: one section per missing figure, with who needs it, what is known and where to look."""
    report = gaps_json(ps, [code], first, last)["regions"][0]["gaps"]
    out = [f"# {region_name(code)} 缺失数值 Missing figures {first}–{last}", "",
           "结算可能需要、但没有任何规则提供的数值。缺失的数值从不按 0 计算：结算会被拒绝并指出该数值，封顶线不设并列为缺失，"
           "资助和预警显示为无法确定。命令行：`yibao gaps --region " + code + "`。",
           "Figures a settlement may need that no rule supplies. A missing figure is never taken as 0: the settlement is refused "
           "naming it, a cap is not applied and listed as missing, a subsidy or warning is shown as not determined.", ""]
    if not report:
        return "\n".join(out + ["没有缺失数值。No missing figures.", ""])
    out += [f"共 {len(report)} 项。{len(report)} gap(s).", ""]
    for g in report:
        p = PARAMETERS.get(g["parameter"])
        label = f"{p.zh} {p.en}" if p else "无任何生效政策 no policy in force"
        until = g["until"]
        cats = g["categories"]
        who = "所有参保人 everyone" if cats == [ALL] or len(cats) > len(CATEGORIES) else "、".join(
            "普通参保人" if c == "ordinary" else CATEGORIES[c][0] for c in cats)
        out += [f"## `{g['parameter']}` {label}", "",
                "| 期间 Period | 效果 Effect | 就诊 Encounters | 医院等级 Levels | 缴费档次 Tiers | 对象 Who |",
                "| --- | --- | --- | --- | --- | --- |",
                f"| {g['from']} – {until}（不含 exclusive） | {EFFECTS[g['effect']]}"
                + (f"<br><small>{g['reference']}</small>" if g["reference"] else "")
                + f" | {'、'.join(ENCOUNTER_TYPES[e][0] for e in g['encounter_types'])} | {'/'.join(map(str, g['hospital_levels']))} | "
                + "/".join("未填 none" if t is None else str(t) for t in g["tiers"]) + f" | {cell(who)} |", ""]
        for k in g["known"]:
            out.append(f"- 已知 Known: **{cell(k['value'])}** {k['from']} – {k['until'] or '…'}，"
                       f"{GRADES[k['grade']][0]} {k['grade']}，`{k['rule']}`")
        out += [f"- 查找 Look for: {cell(g['look_for']['zh'])} / {cell(g['look_for']['en'])}", ""]
    return "\n".join(out)
