"""Code health of policies/: every number is cited or flagged, citations live in `sources`, files are named after their instrument."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from engine.policy.load import load_file

POLICIES = Path(__file__).resolve().parent.parent / "policies"
# Numbers that are structure, not policy values.
STRUCTURAL = {"version", "year", "hospital_levels", "contribution_tiers", "order"}
URL = re.compile(r"https?://")


def _walk(node, loc=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, loc + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, loc + (i,))
    else:
        yield loc, node


GRADES = {"primary", "secondary", "low", "seed"}


def _provenance_ok(holder: dict) -> bool:
    """A confidence grade with its source (or, for an inferred figure, its derivation); the old verified/unverified form still counts."""
    p = holder.get("provenance") or {}
    if p.get("grade") in GRADES:
        return bool(p.get("source"))
    if p.get("grade") == "inferred":
        return bool(p.get("derivation"))
    return (p.get("status") == "verified" and bool(p.get("source"))) or (p.get("status") == "unverified" and bool(p.get("note")))


def _misplaced(path: Path, root: Path = POLICIES) -> list[str]:
    loaded, problems = load_file(path)
    assert not problems, problems
    data = loaded.data
    out = []
    for loc, value in _walk(data):
        where = lambda: f"{path.relative_to(root.parent)}:{loaded.where(loc)[0]}: {'/'.join(map(str, loc))}"  # noqa: E731
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            if any(str(part) in STRUCTURAL for part in loc):
                continue
            if loc[:1] in (("rules",), ("reference_data",), ("steps",)) and len(loc) >= 2:
                holder = data[loc[0]][loc[1]]
                if _provenance_ok(holder):
                    continue
            out.append(where() + " is a number with neither a graded citation nor an unverified flag")
        if isinstance(value, str) and URL.search(value) and loc[:1] != ("sources",):
            out.append(where() + " holds an address: citations belong in `sources`")
    return out


def test_every_number_is_cited_or_flagged_and_citations_are_in_sources():
    problems = [p for f in sorted(POLICIES.rglob("*.yaml")) for p in _misplaced(f)]
    assert not problems, "\n".join(problems)


def test_files_live_under_their_jurisdiction_and_are_named_after_the_instrument():
    bad = []
    for f in sorted(POLICIES.rglob("*.yaml")):
        loaded, _ = load_file(f)
        jur = loaded.data["jurisdiction"]
        if f.parent.name != str(jur):
            bad.append(f"{f.relative_to(POLICIES.parent)}:1: jurisdiction {jur} but folder {f.parent.name}")
        if not re.fullmatch(r"([0-9]{4}-)?[a-z0-9-]+\.yaml", f.name):
            bad.append(f"{f.relative_to(POLICIES.parent)}:1: file name should be <year>-<short-name>.yaml")
    assert not bad, "\n".join(bad)


def test_the_health_check_catches_an_uncited_number(tmp_path):
    text = (POLICIES / "500000" / "2018-medical-poverty-alleviation.yaml").read_text(encoding="utf-8")
    text = text.replace("    provenance: {grade: secondary, source: cqcb-2019-07-05, note:", "    provenance: {grade: secondary, note:", 1)
    bad = tmp_path / "policies" / "500000"
    bad.mkdir(parents=True)
    (bad / "x.yaml").write_text(text, encoding="utf-8")
    found = _misplaced(bad / "x.yaml", tmp_path / "policies")
    assert any("rules/0/set is a number with neither a graded citation nor an unverified flag" in p for p in found), found


def test_an_inferred_figure_needs_its_derivation(tmp_path):
    text = (POLICIES / "CN" / "2021-guobanfa-42-major-disease-insurance-assistance.yaml").read_text(encoding="utf-8")
    assert "grade: inferred" in text and "derivation:" in text
    bad = tmp_path / "policies" / "CN"
    bad.mkdir(parents=True)
    (bad / "x.yaml").write_text(text.replace("derivation:", "note:"), encoding="utf-8")
    found = _misplaced(bad / "x.yaml", tmp_path / "policies")
    assert any("rules/7/scale is a number with neither a graded citation" in p for p in found), found
    from engine.policy.policyset import load_policy_set
    ps = load_policy_set(bad.parent)
    assert any("derivation" in str(p) for p in ps.problems), ps.problems


def test_no_source_is_an_internal_file():
    """Cite real sources only: the domain brief, research dossiers and file copies of seeds are material, never sources."""
    from engine.policy.validate import INTERNAL

    bad = []
    for f in sorted(POLICIES.rglob("*.yaml")):
        loaded, _ = load_file(f)
        for i, src in enumerate(loaded.data["sources"]):
            for key in ("url", "reference", "title", "mirror_of"):
                if INTERNAL.search(str(src.get(key, ""))):
                    bad.append(f"{f.relative_to(POLICIES.parent)}: sources/{i}/{key} = {src[key]!r}")
        text = f.read_text(encoding="utf-8")
        for word in ("BRIEF.md", "shared/", "domain brief", "chongqing-sources"):
            if word in text:
                bad.append(f"{f.relative_to(POLICIES.parent)}: mentions {word!r}")
    assert not bad, "\n".join(bad)
