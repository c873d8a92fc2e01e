"""Static properties of every policy set, checked on every date where something changes (no cases needed).

S1  Every national guardrail (a floor, a ceiling, or a ceiling as a share of the previous year's per-capita income)
    holds for every value a lower layer sets, for every person it covers, on every change date (BRIEF section 4:
    "checkable constraints on every provincial value on every date").
S2  Every resolved rate, and every band rate, is between 0 and 1 (BRIEF section 6: 0..100%).
Checked independently of engine/validate.py, by walking Resolver.change_dates for every region.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.core.registry import CATEGORIES, PARAMETERS, REGIONS, layer, region_chain
from engine.policy.resolve import Profile, ReferenceMissing
from strategies import policy_set

SETS = ["shipped", "synthetic"]


def _profiles(ps, region, day, param):
    spec = PARAMETERS[param]
    levels = (1, 2, 3) if spec.by_level else (None,)
    etype = param.split(".")[1] if spec.by_level else None
    tiers = [None, *sorted({t for r in ps.rules for t in r.who.contribution_tiers})]
    for cat in [None, *sorted(CATEGORIES)]:
        for level in levels:
            for tier in tiers:
                yield Profile(region, day, frozenset([cat] if cat else []), "resident", tier, etype, level)


def _numbers(v):
    if isinstance(v, tuple):
        return [r for _, r in v]
    return [v] if isinstance(v, Decimal) else []


def _walk(ps):
    """(region, day, parameter, profile, resolved) for every region with rules, change date and person."""
    res = ps.resolver
    regions = sorted({c for r in ps.rules for c in REGIONS if r.jurisdiction in region_chain(c)})
    for region in regions:
        for day in res.change_dates(region):
            for param in res.in_force(region, day):
                for prof in _profiles(ps, region, day, param):
                    try:
                        rv = res.resolve(param, prof)
                    except ReferenceMissing:
                        continue
                    if rv is not None:
                        yield region, day, param, prof, rv


@pytest.fixture(scope="module", params=SETS)
def walked(request):
    ps = policy_set(request.param)
    return ps, list(_walk(ps))


def _guardrail_violations(ps, rows):
    """Every lower-layer value outside a national guardrail, and how many values were checked."""
    bad, checked = [], 0
    for region, day, param, prof, rv in rows:
        guards = [g for g in ps.resolver.in_force(region, day).get(param, ()) if g.effect == "guardrail"]
        setter = next((s.rule for s in rv.steps if s.action == "set"), None)
        if setter is None:
            continue
        for g in guards:
            if layer(setter.jurisdiction) <= layer(g.jurisdiction) and all(layer(s.rule.jurisdiction) <= layer(g.jurisdiction) for s in rv.steps):
                continue  # a value of the guardrail's own layer is not bound by it
            if g.who.categories and not (prof.categories & set(g.who.categories)):
                continue
            if g.who.schemes and prof.scheme not in g.who.schemes:
                continue
            for n in _numbers(rv.value):
                checked += 1
                b = g.value
                if "min" in b and n < b["min"]:
                    bad.append(f"{param}={n} < {b['min']} ({g.key}) for {sorted(prof.categories)} in {region} on {day}")
                if "max" in b and n > b["max"]:
                    bad.append(f"{param}={n} > {b['max']} ({g.key}) for {sorted(prof.categories)} in {region} on {day}")
                if "max_share_of" in b:
                    s = b["max_share_of"]
                    found = ps.resolver.reference(s.series, region, day.year - 1 if s.year == "previous" else day.year)
                    if found is not None and n > found[0].value * s.share:
                        bad.append(f"{param}={n} > {s.share} x {found[0].value} ({g.key}) in {region} on {day}")
    return bad, checked


def test_s1_national_guardrails_hold_for_every_lower_value_on_every_change_date(walked):
    ps, rows = walked
    bad, checked = _guardrail_violations(ps, rows)
    assert not bad, "\n".join(bad[:20])
    if ps.root.endswith("synthetic-full/policies"):
        assert checked > 0, "S1 checked nothing on the synthetic set, which has guarded values"


def test_s2_every_rate_between_0_and_1(walked):
    ps, rows = walked
    bad = [f"{param}={n} for {sorted(prof.categories)} in {region} on {day}"
           for region, day, param, prof, rv in rows if PARAMETERS[param].kind in ("rate", "bands")
           for n in _numbers(rv.value) if not (0 <= n <= 1)]
    assert not bad, "\n".join(bad[:20])


def test_s1_catches_a_provincial_value_below_a_national_floor(tmp_path):
    """The check can fail: a SYNTHETIC provincial SI rate of 0.50 under a national floor of 0.60."""
    import shutil

    from engine.policy.policyset import load_policy_set

    src = policy_set("synthetic")
    dst = tmp_path / "policies"
    shutil.copytree(src.root, dst)
    p = dst / "110000" / "synthetic-province.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("rate: 0.60}, {from: 50000", "rate: 0.50}, {from: 50000"), encoding="utf-8")
    ps = load_policy_set(dst, check=False)
    bad, _ = _guardrail_violations(ps, list(_walk(ps)))
    assert any("serious_illness.rate=0.50 < 0.60" in b for b in bad), bad[:3]
