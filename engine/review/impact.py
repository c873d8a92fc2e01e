"""Impact of a policy change: scenario tests whose outcome moves, and the SYNTHETIC reference population."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.settle.evaluate import TIERS
from engine.core.money import ZERO, money_str
from engine.policy.policyset import PolicySet
from engine.core.messages import Name, Text
from engine.core.problems import InputError, MissingParameter

ROWS = (*TIERS, "other_funds", "out_of_pocket", "premium_subsidy")
PAID = (*TIERS, "other_funds")
TOP = 5


def _outcome(res: dict[str, Any] | None) -> Any:
    """What moves money in a result: per-encounter payments, totals, premium and warning (not versions or traces)."""
    if not res:
        return None
    return {"encounters": [(e["id"], e["paid"], e["out_of_pocket"]) for e in res.get("encounters", [])],
            "totals": res.get("totals"), "premium": res.get("premium"),
            "warning": (res.get("monitoring") or {}).get("warning")}


# -- scenario tests -----------------------------------------------------------
def scenario_files(side: Any, repo: Path) -> list[Path]:
    """The HEAD side's tests/scenarios/**.yaml, else this checkout's."""
    for base in (getattr(side, "root", None), repo):
        d = Path(base) / "tests" / "scenarios" if base is not None else None
        if d is not None and d.is_dir():
            return sorted(p for p in d.rglob("*") if p.suffix in (".yaml", ".yml"))
    return []


def scenario_impact(base: Any, head: Any, repo: Path) -> dict[str, Any]:
    """Scenario tests (HEAD's files) run under both versions; the ones whose outcome or verdict changes."""
    try:
        from engine.review import scenarios as sc_mod
    except ModuleNotFoundError as exc:
        if exc.name != "engine.review.scenarios":
            raise
        return {"skipped": Text("impact.no_module")}
    files = scenario_files(head, repo)
    if not files:
        return {"skipped": Text("impact.no_files")}
    scs, problems = sc_mod.load_scenario_files(files)
    changed = []
    for i, sc in enumerate(scs):
        rb, rh = sc_mod.run_scenario(base.ps, sc), sc_mod.run_scenario(head.ps, sc)
        name = str(getattr(sc, "name", None) or getattr(sc, "id", None) or f"#{i + 1}")
        if _outcome(rb.result) == _outcome(rh.result) and rb.passed == rh.passed and bool(rb.error) == bool(rh.error):
            continue
        paid = lambda r: (r.result or {}).get("totals", {}).get("paid")  # noqa: E731
        changed.append({"scenario": name, "file": f"{_relative(getattr(sc, 'file', ''), head, repo)}:{getattr(sc, 'line', '')}",
                        "passed_before": rb.passed, "passed_after": rh.passed,
                        "paid_before": paid(rb), "paid_after": paid(rh),
                        "error_before": rb.error, "error_after": rh.error})
    return {"files": len(files), "scenarios": len(scs), "problems": [Text("usage.reason", zh=p.render("zh"), en=str(p)) for p in problems], "changed": changed}


def _relative(path: str, side: Any, repo: Path) -> str:
    """A scenario file's path from its repository root (never a temporary export folder)."""
    for base in (getattr(side, "root", None), repo):
        if base is None:
            continue
        try:
            return str(Path(path).resolve().relative_to(Path(base).resolve()))
        except ValueError:
            continue
    return path


# -- the synthetic population ------------------------------------------------------
def _settle(ps: PolicySet, case_data: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The result, or None and the reason the case cannot be settled under this version."""
    from engine.settle.case import case_from_data
    from engine.settle.evaluate import Evaluator
    from engine.settle.explain import result_json

    try:
        return result_json(Evaluator(ps).settle(case_from_data(case_data, case_data["person"]["id"])), ps), None
    except MissingParameter as exc:
        return None, Text("impact.no_rule", parameter=exc.parameter, label=Name("param", exc.parameter))
    except InputError as exc:
        return None, exc.message if isinstance(exc.message, Text) else str(exc)


def _amounts(res: dict[str, Any]) -> dict[str, Decimal]:
    t = res["totals"]
    out = {k: Decimal(t["paid_known"][k]) for k in TIERS}  # a part not computed adds nothing (results list it in missing)
    out["other_funds"] = sum((Decimal(v) for k, v in t["paid_known"].items() if k not in TIERS), ZERO)  # the funds a region adds
    out["out_of_pocket"] = Decimal(t["out_of_pocket"])
    sub = (res.get("premium") or {}).get("subsidy")
    out["premium_subsidy"] = Decimal(sub) if sub is not None else ZERO
    return out


def population_impact(base: PolicySet, head: PolicySet, persons: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Every synthetic person settled under both versions: how many change, totals by tier and category, top changes."""
    from engine.review.population import DESCRIPTION, SEED, generate, group_of

    synthetic = persons is None
    persons = generate() if persons is None else persons
    totals = {r: [ZERO, ZERO] for r in ROWS}
    groups: dict[str, dict[str, Any]] = {}
    failed: dict[str, dict[str, int]] = {"base": {}, "head": {}}
    examples: dict[str, dict[str, list[str]]] = {"base": {}, "head": {}}
    changes = []
    both = changed = 0
    for case in persons:
        rb, why_b = _settle(base, case)
        rh, why_h = _settle(head, case)
        for key, why in (("base", why_b), ("head", why_h)):
            if why:
                failed[key][why] = failed[key].get(why, 0) + 1
                if len(examples[key].setdefault(why, [])) < 3:
                    examples[key][why].append(case["person"]["id"])
        g = groups.setdefault(group_of(case), {"persons": 0, "changed": 0, "paid_before": ZERO, "paid_after": ZERO})
        g["persons"] += 1
        if rb is None or rh is None:
            continue
        both += 1
        ab, ah = _amounts(rb), _amounts(rh)
        for r in ROWS:
            totals[r][0] += ab[r]
            totals[r][1] += ah[r]
        pb, ph = sum((ab[t] for t in PAID), ZERO), sum((ah[t] for t in PAID), ZERO)
        g["paid_before"] += pb
        g["paid_after"] += ph
        if _outcome(rb) != _outcome(rh):
            changed += 1
            g["changed"] += 1
            size = abs(ph - pb) + abs(ah["premium_subsidy"] - ab["premium_subsidy"])
            changes.append((-size, case["person"]["id"], case, pb, ph, ab, ah))
    changes.sort(key=lambda c: (c[0], c[1]))
    return {
        "description": DESCRIPTION.format(seed=SEED, n=len(persons)) if synthetic else "persons given by the caller",
        "persons": len(persons), "synthetic": synthetic, "settled_under_both": both, "changed": changed,
        "failed": {k: dict(sorted(v.items())) for k, v in failed.items()},
        "failed_examples": {k: dict(sorted(v.items())) for k, v in examples.items()},
        "totals": {r: {"before": money_str(b), "after": money_str(a), "change": money_str(a - b)} for r, (b, a) in totals.items()},
        "by_category": {k: {"persons": g["persons"], "changed": g["changed"], "paid_before": money_str(g["paid_before"]),
                            "paid_after": money_str(g["paid_after"]), "change": money_str(g["paid_after"] - g["paid_before"])}
                        for k, g in sorted(groups.items())},
        "largest": [{"person": pid, "paid_before": money_str(pb), "paid_after": money_str(ph), "change": money_str(ph - pb),
                     "before": {k: money_str(v) for k, v in ab.items()}, "after": {k: money_str(v) for k, v in ah.items()},
                     "case": case} for _, pid, case, pb, ph, ab, ah in changes[:TOP]],
    }
