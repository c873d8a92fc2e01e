"""What a settlement could not determine: tiers not computed, an unknown subsidy or premium, an undetermined warning."""
from __future__ import annotations

from typing import Any

from engine.core.messages import Name, msg

TIERS = ("basic_insurance", "serious_illness", "medical_assistance")


def undetermined(missing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items a result cannot state as a figure, from its `missing` list (a missing cap is not one: none applied)."""
    out = []
    for m in missing:
        p = m["parameter"]
        if m["part"] not in ("premium", "monitoring") and not p.endswith(".annual_cap"):  # a tier or further fund
            out.append({"part": m["part"], "parameter": p, "encounter": m.get("encounter"), "date": m.get("date")})
        elif p in ("premium.individual_contribution", "premium.subsidy"):
            out.append({"part": "premium", "parameter": p, "date": m.get("date")})
        elif m["part"] == "monitoring":
            out.append({"part": "monitoring", "parameter": p, "date": m.get("date")})
    return out


def summary(missing: list[dict[str, Any]]) -> dict[str, Any]:
    """The result's `undetermined` block: how many items and which."""
    items = undetermined(missing)
    return {"count": len(items), "items": items}


def tier_unknown(res: dict[str, Any], encounter: str, tier: str) -> str | None:
    """The parameter whose absence left `tier` of `encounter` not computed, or None if it was computed."""
    for u in res.get("undetermined", {}).get("items", []):
        if u["part"] == tier and u.get("encounter") == encounter:
            return u["parameter"]
    enc = next((e for e in res["encounters"] if e["id"] == encounter), None)
    if enc is not None and enc["paid"].get(tier) is None:
        return f"{tier}.rate"
    return None


def not_computed(parameter: str, lang: str) -> str:
    """未计算：缺少医疗救助比例."""
    return msg("unknown.not_computed", lang, what=Name("param", parameter))


def subsidy_unknown(res: dict[str, Any]) -> bool:
    """True if no subsidy rule covers the categories held: the subsidy, and so what is payable, is not known."""
    return any(u["parameter"] == "premium.subsidy" for u in res.get("undetermined", {}).get("items", []))


def payable_bound(p: dict[str, Any]) -> str | None:
    """What is payable at most when the subsidy is unknown: the whole individual contribution."""
    return p.get("payable") or p.get("individual_contribution")


def tier_count(res: dict[str, Any], tier: str) -> int:
    """How many encounters' `tier` payment is not computed."""
    return sum(1 for e in res["encounters"] if tier_unknown(res, e["id"], tier))

