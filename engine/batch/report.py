"""Indicators by region, category and year from settled claims, and their rendering (text, markdown, csv, json)."""
from __future__ import annotations

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

import numpy as np

from engine.batch.settle import Columns, Settled, codes, years_of
from engine.batch.check import fen_str
from engine.core.registry import CATEGORIES, REGIONS

BY = ("region", "category", "year")
SUMS = ("encounters", "total_cost", "eligible_cost", "basic_insurance", "serious_illness", "medical_assistance", "other_funds", "out_of_pocket",
        "persons", "warnings", "monitoring_undetermined", "premium_subsidy", "premium_subsidised_persons",
        "unsettled_encounters", "unsettled_person_years")
MONEY = ("total_cost", "eligible_cost", "basic_insurance", "serious_illness", "medical_assistance", "other_funds", "paid_total", "out_of_pocket",
         "premium_subsidy")
ORDINARY = "ordinary"


def primary_category(cats: frozenset[str]) -> str:
    """The category an encounter is counted under: the first held in the registry's order (tekun, guer, dibao, ...), else ordinary."""
    return next((c for c in CATEGORIES if c in cats), ORDINARY)


class Indicators:
    """Exact integer sums per group, added chunk by chunk (a person never spans two chunks)."""

    def __init__(self, by: Iterable[str] = BY) -> None:
        self.by = tuple(by)
        self.groups: dict[tuple, dict[str, int]] = {}

    def add(self, c: Columns, st: Settled) -> None:
        """Add one settled chunk."""
        n = len(c)
        if not n:
            return
        prim = np.array([list(CATEGORIES).index(p) if p != ORDINARY else len(CATEGORIES) for p in map(primary_category, c.cat_sets)],
                        dtype=np.int64)[c.cats]
        year = years_of(c.day)
        parts = {"region": (c.region, len(c.regions)), "category": (prim, len(CATEGORIES) + 1), "year": (year - 1900, 400)}
        gkey = np.zeros(n, dtype=np.int64)
        for name in self.by:
            arr, radix = parts[name]
            gkey = gkey * radix + arr
        first, gid = codes(gkey)
        G = len(first)
        ok = st.error < 0
        sums: dict[str, np.ndarray] = {}
        for name, arr in (("total_cost", c.total), ("eligible_cost", c.eligible), ("basic_insurance", st.basic), ("serious_illness", st.si),
                          ("medical_assistance", st.ma), ("out_of_pocket", st.oop)):
            sums[name] = _sum(gid, np.where(ok, arr, 0), G)
        other = sum((v for k, v in st.paid.items() if k not in ("basic_insurance", "serious_illness", "medical_assistance")),
                    np.zeros(n, dtype=np.int64))  # the payment steps a region adds after the three tiers
        sums["other_funds"] = _sum(gid, np.where(ok, other, 0), G)
        sums["encounters"] = _sum(gid, ok.astype(np.int64), G)
        sums["unsettled_encounters"] = _sum(gid, (~ok).astype(np.int64), G)
        unit = c.person if "year" not in self.by else st.py  # distinct persons (person-years when grouped by year)
        pairs = np.unique(unit[ok].astype(np.int64) * G + gid[ok])
        sums["persons"] = np.bincount(pairs % G, minlength=G).astype(np.int64)
        pg = gid[st.py_first]  # person-year facts go to the group of the year's first encounter
        good = st.py_error < 0
        sums["warnings"] = _sum(pg, (st.py_warning & good).astype(np.int64), G)
        sums["monitoring_undetermined"] = _sum(pg, (st.py_undetermined & good).astype(np.int64), G)
        sub = np.where(good & (st.py_subsidy > 0), st.py_subsidy, 0)
        sums["premium_subsidy"] = _sum(pg, sub, G)
        sums["premium_subsidised_persons"] = _sum(pg, (sub > 0).astype(np.int64), G)
        sums["unsettled_person_years"] = _sum(pg, (~good).astype(np.int64), G)
        for g in range(G):
            i = int(first[g])
            label = {"region": c.regions[c.region[i]], "category": primary_category(c.cat_sets[c.cats[i]]), "year": int(year[i])}
            key = tuple(label[b] for b in self.by)
            acc = self.groups.setdefault(key, dict.fromkeys(SUMS, 0))
            for name in SUMS:
                acc[name] += int(sums[name][g])

    def rows(self) -> list[dict[str, Any]]:
        """One row per group, sorted, then the total (persons in the total are distinct persons)."""
        out = [self._row(dict(zip(self.by, k)), v) for k, v in sorted(self.groups.items(), key=lambda kv: tuple(map(str, kv[0])))]
        return out

    @staticmethod
    def _row(label: dict[str, Any], v: dict[str, int]) -> dict[str, Any]:
        paid = v["basic_insurance"] + v["serious_illness"] + v["medical_assistance"] + v["other_funds"]
        row: dict[str, Any] = dict(label)
        if "region" in row:
            r = REGIONS.get(row["region"])
            row["region_name"] = r.en if r else row["region"]
        row.update({k: v[k] for k in ("persons", "encounters")})
        for k in ("total_cost", "eligible_cost", "basic_insurance", "serious_illness", "medical_assistance", "other_funds"):
            row[k] = fen_str(v[k])
        row["paid_total"] = fen_str(paid)
        row["out_of_pocket"] = fen_str(v["out_of_pocket"])
        row["reimbursement_rate"] = _rate(paid, v["total_cost"])
        row["policy_scope_rate"] = _rate(paid, v["eligible_cost"])
        row["out_of_pocket_share"] = _rate(v["out_of_pocket"], v["total_cost"])
        for k in ("warnings", "monitoring_undetermined"):
            row[k] = v[k]
        row["premium_subsidy"] = fen_str(v["premium_subsidy"])
        row["premium_subsidised_persons"] = v["premium_subsidised_persons"]
        row["unsettled_encounters"] = v["unsettled_encounters"]
        row["unsettled_person_years"] = v["unsettled_person_years"]
        return row


def _sum(gid: np.ndarray, values: np.ndarray, G: int) -> np.ndarray:
    """Exact int64 sums per group (sort and reduce; no float weights)."""
    out = np.zeros(G, dtype=np.int64)
    np.add.at(out, gid, values.astype(np.int64))
    return out


def _rate(a: int, b: int) -> str | None:
    if b == 0:
        return None
    return str((Decimal(a) / Decimal(b)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


LABELS = {"region": "region", "region_name": "name", "category": "category", "year": "year", "persons": "persons",
          "encounters": "encounters", "total_cost": "cost", "basic_insurance": "basic", "serious_illness": "serious ill.",
          "medical_assistance": "assistance", "other_funds": "other funds", "paid_total": "paid", "out_of_pocket": "out of pocket", "reimbursement_rate": "reimb. %",
          "policy_scope_rate": "scope %", "out_of_pocket_share": "OOP %", "warnings": "warnings", "premium_subsidy": "premium subsidy",
          "unsettled_person_years": "unsettled"}


def render(rows: list[dict[str, Any]], total: dict[str, Any], fmt: str) -> str:
    """The indicators as text, markdown, csv or json."""
    if fmt == "json":
        return json.dumps({"groups": rows, "total": total}, ensure_ascii=False, indent=2) + "\n"
    every = rows + [total]
    if fmt == "csv":
        buf = io.StringIO()
        keys = list(rows[0].keys()) if rows else list(total.keys())
        w = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(every)
        return buf.getvalue()
    cols = [k for k in LABELS if any(k in r for r in every)]

    def cell(r: dict, k: str) -> str:
        v = r.get(k, "")
        if k.endswith("_rate") or k.endswith("_share"):
            return "" if v is None else f"{Decimal(v) * 100:.2f}"
        return "" if v is None else str(v)
    table = [[LABELS[k] for k in cols]] + [[cell(r, k) for k in cols] for r in every]
    if fmt == "markdown":
        lines = ["| " + " | ".join(table[0]) + " |", "|" + "|".join(" --- " for _ in cols) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in table[1:]]
        return "\n".join(lines) + "\n"
    width = [max(len(r[j]) for r in table) for j in range(len(cols))]
    out = ["  ".join(r[j].rjust(width[j]) for j in range(len(cols))) for r in table]
    out.insert(1, "  ".join("-" * w for w in width))
    out.insert(len(out) - 1, "  ".join("-" * w for w in width))
    return "\n".join(out) + "\n"
