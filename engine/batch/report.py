"""Indicators by region, category and year from settled claims, and their rendering (text, markdown, csv, json)."""
from __future__ import annotations

import csv
import io
import json
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

import numpy as np

from engine.batch.settle import Columns, Settled, codes, years_of
from engine.core.messages import msg, words
from engine.batch.check import fen_str
from engine.core.registry import CATEGORIES, REGIONS

BY = ("region", "category", "year")
SUMS = ("encounters", "total_cost", "eligible_cost", "basic_insurance", "serious_illness", "medical_assistance", "other_funds", "out_of_pocket",
        "persons", "warnings", "monitoring_undetermined", "medical_assistance_undetermined", "premium_subsidy", "premium_subsidised_persons",
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
        self.persons = 0  # distinct persons with a settled encounter, over all groups (the total's persons)

    def add(self, c: Columns, st: Settled) -> None:
        """Add one settled chunk."""
        n = len(c)
        if not n:
            return
        prim = np.array([list(CATEGORIES).index(p) if p != ORDINARY else len(CATEGORIES) for p in map(primary_category, c.cat_sets)],
                        dtype=np.int64)[c.cats]
        lo = int(c.day.min())
        year = years_of(np.arange(lo, int(c.day.max()) + 1, dtype=np.int64))[c.day - lo]  # each day's year, looked up
        parts = {"region": (c.region, len(c.regions)), "category": (prim, len(CATEGORIES) + 1), "year": (year - 1900, 400)}
        gkey = np.zeros(n, dtype=np.int64)
        for name in self.by:
            arr, radix = parts[name]
            gkey = gkey * radix + arr
        first, gid = _groups(gkey)
        G = len(first)
        ok = st.error < 0
        every = bool(ok.all())
        gok = gid if every else gid[ok]
        sums: dict[str, np.ndarray] = {}
        for name, arr in (("total_cost", c.total), ("eligible_cost", c.eligible), ("basic_insurance", st.basic), ("serious_illness", st.si),
                          ("medical_assistance", st.ma), ("out_of_pocket", st.oop)):
            sums[name] = _sum(gok, arr if every else arr[ok], G)
        other = sum((v for k, v in st.paid.items() if k not in ("basic_insurance", "serious_illness", "medical_assistance")),
                    np.zeros(n, dtype=np.int64))  # the payment steps a region adds after the three tiers
        sums["other_funds"] = _sum(gok, other if every else other[ok], G)
        sums["encounters"] = _count(gok, G)
        ma_missing = st.unknown.get("medical_assistance")
        sums["medical_assistance_undetermined"] = _count(gid[ok & ma_missing], G) if ma_missing is not None else np.zeros(G, dtype=np.int64)
        sums["unsettled_encounters"] = _count(gid[~ok], G) if not every else np.zeros(G, dtype=np.int64)
        unit = c.person if "year" not in self.by else st.py  # distinct persons (person-years when grouped by year)
        sums["persons"] = _distinct(unit if every else unit[ok], gok, G)
        self.persons += int(_distinct(c.person if every else c.person[ok], np.zeros(int(ok.sum()), dtype=np.int64), 1)[0])
        pg = gid[st.py_first]  # person-year facts go to the group of the year's first encounter
        good = st.py_error < 0
        sums["warnings"] = _count(pg[st.py_warning & good], G)
        sums["monitoring_undetermined"] = _count(pg[st.py_undetermined & good], G)
        paid = good & (st.py_subsidy > 0)
        sums["premium_subsidy"] = _sum(pg[paid], st.py_subsidy[paid], G)
        sums["premium_subsidised_persons"] = _count(pg[paid], G)
        sums["unsettled_person_years"] = _count(pg[~good], G)
        for g in range(G):
            i = int(first[g])
            label = {"region": c.regions[c.region[i]], "category": primary_category(c.cat_sets[c.cats[i]]), "year": int(year[i])}
            key = tuple(label[b] for b in self.by)
            acc = self.groups.setdefault(key, dict.fromkeys(SUMS, 0))
            for name in SUMS:
                acc[name] += int(sums[name][g])

    def total(self) -> dict[str, int]:
        """The sums over every group; persons are distinct persons, not the groups' sum."""
        out = dict.fromkeys(SUMS, 0)
        for v in self.groups.values():
            for name in SUMS:
                out[name] += v[name]
        out["persons"] = self.persons
        return out

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
        for k in ("warnings", "monitoring_undetermined", "medical_assistance_undetermined"):
            row[k] = v[k]
        row["premium_subsidy"] = fen_str(v["premium_subsidy"])
        row["premium_subsidised_persons"] = v["premium_subsidised_persons"]
        row["unsettled_encounters"] = v["unsettled_encounters"]
        row["unsettled_person_years"] = v["unsettled_person_years"]
        return row


def _sum(gid: np.ndarray, values: np.ndarray, G: int) -> np.ndarray:
    """Exact int64 sums per group (no float weights)."""
    out = np.zeros(G, dtype=np.int64)
    np.add.at(out, gid, values.astype(np.int64, copy=False))
    return out


def _count(gid: np.ndarray, G: int) -> np.ndarray:
    """Rows per group."""
    return np.bincount(gid, minlength=G).astype(np.int64, copy=False)


def _groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each distinct key (in sorted key order) and each row's index into them (as settle.codes)."""
    low, high = int(key.min()), int(key.max())
    if low < 0 or high > 4 * len(key) + 4096:
        return codes(key)
    seen = np.zeros(high + 1, dtype=bool)
    seen[key] = True
    keys = np.flatnonzero(seen)
    index = np.zeros(high + 1, dtype=np.int64)
    index[keys] = np.arange(len(keys), dtype=np.int64)
    gid = index[key]
    first = np.full(len(keys), len(key), dtype=np.int64)
    np.minimum.at(first, gid, np.arange(len(key), dtype=np.int64))
    return first, gid


def _distinct(unit: np.ndarray, gid: np.ndarray, G: int) -> np.ndarray:
    """The number of distinct units in each group."""
    if not len(unit):
        return np.zeros(G, dtype=np.int64)
    pair = unit.astype(np.int64, copy=False) * G + gid
    size = int(pair.max()) + 1
    if size <= 16 * len(pair) + 4096:
        seen = np.zeros(size, dtype=bool)
        seen[pair] = True
        return np.bincount(np.flatnonzero(seen) % G, minlength=G).astype(np.int64, copy=False)
    pair = pair[np.r_[True, pair[1:] != pair[:-1]]]  # a run of one pair counted once (rows mostly come by person and date)
    if not (pair[1:] >= pair[:-1]).all():
        pair = np.sort(pair)
    return np.bincount(pair[np.r_[True, pair[1:] != pair[:-1]]] % G, minlength=G).astype(np.int64, copy=False)


def _rate(a: int, b: int) -> str | None:
    if b == 0:
        return None
    return str((Decimal(a) / Decimal(b)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


LABELS = {"region": "region", "region_name": "name", "category": "category", "year": "year", "persons": "persons",
          "encounters": "encounters", "total_cost": "cost", "basic_insurance": "basic", "serious_illness": "serious ill.",
          "medical_assistance": "assistance", "other_funds": "other funds", "paid_total": "paid", "out_of_pocket": "out of pocket", "reimbursement_rate": "reimb. %",
          "policy_scope_rate": "scope %", "out_of_pocket_share": "OOP %", "warnings": "warnings", "premium_subsidy": "premium subsidy",
          "unsettled_person_years": "unsettled"}
LABELS_ZH = {"region": "参保地代码", "region_name": "参保地", "category": "身份类别", "year": "年度", "persons": "人数",
             "encounters": "就诊次数", "total_cost": "总费用", "basic_insurance": "基本医保", "serious_illness": "大病保险",
             "medical_assistance": "医疗救助", "other_funds": "其他基金", "paid_total": "合计支付", "out_of_pocket": "个人自付", "reimbursement_rate": "实际报销比例%",
             "policy_scope_rate": "政策范围内报销比例%", "out_of_pocket_share": "自付占比%", "warnings": "预警人数",
             "premium_subsidy": "资助参保金额", "unsettled_person_years": "未能结算人年"}


def render(rows: list[dict[str, Any]], total: dict[str, Any], fmt: str, lang: str = "zh") -> str:
    """The indicators as text, markdown, csv or json (text and markdown in `lang`; csv and json keep the field names)."""
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
    names = LABELS_ZH if lang == "zh" else LABELS

    def cell(r: dict, k: str) -> str:
        v = r.get(k, "")
        if r is total and k in ("region", "category", "year"):
            return msg("report.total", lang) if k == next(c for c in cols if c in ("region", "category", "year")) else ""
        if r.get("medical_assistance_undetermined") and k in ("medical_assistance", "paid_total", "out_of_pocket", *RATES):
            return _open_cell(r, k, v, lang)  # assistance not computed: it and what depends on it are not facts
        if k in RATES:
            return "" if v is None else f"{Decimal(v) * 100:.2f}"
        if k == "region_name":
            return words("region", str(r.get("region", "")), lang) if r is not total else ""
        if k == "category":
            return words("category", str(v), lang)
        if k == "warnings" and r.get("monitoring_undetermined"):
            return msg("report.warnings_undetermined", lang, n=v, undetermined=r["monitoring_undetermined"])
        return "" if v is None else str(v)
    table = [[names[k] for k in cols]] + [[cell(r, k) for k in cols] for r in every]
    if fmt == "markdown":
        lines = ["| " + " | ".join(table[0]) + " |", "|" + "|".join(" --- " for _ in cols) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in table[1:]]
        return "\n".join(lines) + "\n" + _notes(total, lang)
    width = [max(_width(r[j]) for r in table) for j in range(len(cols))]
    out = ["  ".join(_pad(r[j], width[j]) for j in range(len(cols))) for r in table]
    out.insert(1, "  ".join("-" * w for w in width))
    out.insert(len(out) - 1, "  ".join("-" * w for w in width))
    return "\n".join(out) + "\n" + _notes(total, lang)


RATES = ("reimbursement_rate", "policy_scope_rate", "out_of_pocket_share")


def _open_cell(r: dict[str, Any], k: str, v: Any, lang: str) -> str:
    """A figure that depends on assistance not computed: 不确定, with the bound the computed part gives."""
    if k == "medical_assistance":
        return msg("unknown.total", lang, n=r["medical_assistance_undetermined"], known=v)
    key = {"paid_total": "unknown.at_least", "out_of_pocket": "unknown.at_most"}.get(k)
    return msg(key, lang, value=v) if key else msg("unknown.undetermined", lang)


def _notes(total: dict[str, Any], lang: str) -> str:
    """What the totals leave open: undetermined warnings and person-years not settled, in words."""
    out = [msg("report.undetermined_note", lang, n=total.get("monitoring_undetermined", 0))]
    if total.get("medical_assistance_undetermined"):
        out.append(msg("report.ma_undetermined_note", lang, n=total["medical_assistance_undetermined"]))
    if total.get("unsettled_person_years"):
        out.append(msg("report.unsettled_note", lang, n=total["unsettled_person_years"], encounters=total.get("unsettled_encounters", 0)))
    return "\n".join(out) + "\n"


def _width(s: str) -> int:
    """Display width: a Chinese character takes two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, w: int) -> str:
    return " " * (w - _width(s)) + s
