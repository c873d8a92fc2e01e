"""Build small SYNTHETIC policy sets in a temporary folder for tests (never real figures)."""
from __future__ import annotations

from pathlib import Path

import yaml

HEAD = {
    "version": "1.0.0",
    "title": {"zh": "合成测试文件", "en": "Synthetic test document"},
    "document_number": None,
    "issuers": [{"zh": "测试", "en": "Test"}],
    "issued": None,
    "status": "in_force",
    "sources": [{"id": "synthetic", "kind": "secondary", "title": "Synthetic test values", "reference": "tests/synth.py"}],
    "history": [{"version": "1.0.0", "date": "2026-11-22", "change": {"en": "synthetic"}}],
}


def rule(rid: str, parameter: str, effect: str, value, who: dict | None = None, **extra) -> dict:
    """One synthetic rule with an unverified 'synthetic' provenance."""
    r = {"id": rid, "clause": "synthetic", "quote": {"en": "synthetic"}, "parameter": parameter, effect: value,
         "provenance": {"status": "unverified", "note": "synthetic test value"}}
    if who:
        r["who"] = who
    r.update(extra)
    return r


def document(doc_id: str, jurisdiction: str, rules: list[dict], start: str = "2020-01-01", until: str | None = None, **extra) -> dict:
    """A synthetic document."""
    eff = {"from": start}
    if until:
        eff["until"] = until
    return {"id": doc_id, **HEAD, "jurisdiction": jurisdiction, "effective": eff, "rules": rules, **extra}


def write_set(root: Path, docs: list[dict]) -> Path:
    """Write documents as YAML under root/<jurisdiction>/<id>.yaml and return root."""
    for d in docs:
        folder = root / str(d["jurisdiction"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{d['id']}.yaml").write_text(yaml.safe_dump(d, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def baseline(jurisdiction: str = "500000", start: str = "2020-01-01") -> dict:
    """A synthetic provincial baseline: deductible 1000, rate 0.50, SI threshold 10000 at 0.60, no caps."""
    return document("synthetic-baseline", jurisdiction, [
        rule("deductible", "basic_insurance.inpatient.deductible", "set", 1000),
        rule("rate", "basic_insurance.inpatient.rate", "set", "0.50"),
        rule("basic-cap", "basic_insurance.annual_cap", "set", None),
        rule("si-threshold", "serious_illness.threshold", "set", 10000),
        rule("si-rate", "serious_illness.rate", "set", "0.60"),
        rule("si-cap", "serious_illness.annual_cap", "set", None),
    ], start=start)
