"""A seeded SYNTHETIC claims generator: invented encounters with realistic shapes, never real people or statistics.

Shapes (rough, chosen by hand, not estimated from any data): Chongqing (500000) resident scheme, tier 1,
2019-2024, inpatient encounters; persons hold no category (ordinary) or one (sometimes two) hardship categories
by the rough shares in CATEGORY_SHARES; about 3% of person-years gain dibao mid-year; a person has 1-2
consecutive years with 1 + geometric encounters each (mean about 2.5); total cost is lognormal by hospital
level (medians 2,500 / 6,000 / 15,000 yuan); the policy-scope share is uniform in 70-95%; about 2% of the
last year's person-years enrolled late (waiting periods apply where a rule sets them); every person has a birth date,
aged 0-89 on 1 January 2019 (uniform; orphans 0-17, students 17-22), drawn from a second stream so the other shapes
do not move; every encounter says whether it was inside the pooling area (95%) and the hospital's administrative
level by hospital level (ADMIN_SHARES), from a third stream. Floats only draw the shapes: every amount is rounded to the fen as an integer before any settlement.
"""
from __future__ import annotations

import csv

import numpy as np

from engine.batch.model import EPOCH, Columns, date_of, day_of
from engine.batch.check import ADMIN_LEVELS, fen_str
from engine.batch.write import category_texts, coded_strings, date_strings, fen_strings

SEED = 20261122
REGION = "500000"
YEARS = (2019, 2024)  # the shipped Chongqing policies settle these; 2025 needs the 2024 income figure, not in the set
# Rough shares of persons by category (synthetic; ordinary insured persons are the remainder).
CATEGORY_SHARES = {"tuopin": 0.12, "dibao": 0.08, "jiance_duixiang": 0.04, "dibao_bianyuan": 0.03, "tekun": 0.02,
                   "zhongdu_canji": 0.02, "jiandang_pinkun": 0.02, "fanpin_zhipin": 0.01, "yinbing_zhipin": 0.01,
                   "youfu": 0.005, "kunnan_daxuesheng": 0.003, "guer": 0.002}
LEVEL_SHARES = (0.30, 0.45, 0.25)
LEVEL_MEDIAN_YUAN = (2500.0, 6000.0, 15000.0)
LEVEL_SIGMA = (0.7, 0.8, 0.9)
SECOND_CATEGORY = 0.05
GAIN_DIBAO_MID_YEAR = 0.03
LATE_LAST_YEAR = 0.02
INSIDE_POOLING_AREA = 0.95
ADMIN_SHARES = ((0.7, 0.3, 0.0, 0.0), (0.0, 0.8, 0.2, 0.0), (0.0, 0.4, 0.5, 0.1))  # by level 1-3: township, county, municipal, provincial
AGE_RANGE = {"guer": (0, 17), "kunnan_daxuesheng": (17, 22)}  # years of age on 1 January of the first year; others 0-89


def generate(n: int, seed: int = SEED, years: tuple[int, int] = YEARS) -> Columns:
    """Exactly n SYNTHETIC encounters, sorted by person id and date."""
    rng = np.random.default_rng(seed)
    npy = max(int(n / 2.4) + 16, 16)
    counts = rng.geometric(0.4, npy).astype(np.int64)  # 1 + geometric(0.4) - 1: mean 2.5
    counts = np.minimum(counts, 60)
    while counts.sum() < n:
        counts = np.concatenate([counts, np.minimum(rng.geometric(0.4, npy), 60)])
    end = int(np.searchsorted(np.cumsum(counts), n))
    counts = counts[: end + 1].copy()
    counts[-1] -= int(counts.sum()) - n
    npy = len(counts)
    cont = rng.random(npy) < 0.2
    cont[0] = False
    cont[1:] &= ~cont[:-1]
    person = np.cumsum(~cont) - 1
    base_year = rng.integers(years[0], years[1] + 1, npy + 1)
    b = base_year[person]
    year = np.where(cont, np.where(b < years[1], b + 1, np.maximum(b - 1, years[0])), b)  # a second year stays in range
    # categories per person: one by share, sometimes a second
    names = list(CATEGORY_SHARES)
    probs = np.array([CATEGORY_SHARES[k] for k in names] + [1 - sum(CATEGORY_SHARES.values())])
    nper = int(person[-1]) + 1
    first = rng.choice(len(probs), nper, p=probs)
    second = np.where(rng.random(nper) < SECOND_CATEGORY, rng.choice(len(names), nper, p=probs[:-1] / probs[:-1].sum()), len(names))
    sets: dict[frozenset, int] = {}
    cat_sets: list[frozenset[str]] = []

    def code(s: frozenset) -> int:
        if s not in sets:
            sets[s] = len(cat_sets)
            cat_sets.append(s)
        return sets[s]

    combo = np.array([code(frozenset(names[x] for x in (a, b) if x < len(names))) for a, b in zip(first, second)], dtype=np.int64)
    py_of = np.repeat(np.arange(npy), counts)
    jan1 = np.array([day_of(EPOCH.replace(year=int(y))) for y in range(years[0], years[1] + 2)], dtype=np.int64)
    ystart, ylen = jan1[year - years[0]], jan1[year - years[0] + 1] - jan1[year - years[0]]
    day = ystart[py_of] + (rng.random(n) * ylen[py_of]).astype(np.int64)
    order = np.lexsort((day, py_of))
    day = day[order]
    cats = combo[person[py_of]]
    gain = rng.random(npy) < GAIN_DIBAO_MID_YEAR
    gain_day = ystart + (rng.random(npy) * ylen).astype(np.int64)
    with_dibao = np.array([code(s | {"dibao"}) for s in cat_sets[: len(cat_sets)]], dtype=np.int64)
    later = gain[py_of] & (day >= gain_day[py_of])
    cats = np.where(later, with_dibao[cats], cats)
    level = rng.choice(3, n, p=LEVEL_SHARES).astype(np.int64) + 1
    mu = np.log(np.array(LEVEL_MEDIAN_YUAN))[level - 1]
    total = np.maximum(np.rint(np.exp(rng.normal(mu, np.array(LEVEL_SIGMA)[level - 1])) * 100), 100).astype(np.int64)
    eligible = np.rint(total * rng.uniform(0.70, 0.95, n)).astype(np.int64)
    late = (year == years[1]) & (rng.random(npy) < LATE_LAST_YEAR)
    cov = np.where(late, ystart + (rng.random(npy) * 120).astype(np.int64), ystart)
    ids = [f"P{i:08d}" for i in range(nper)]
    birth = _births(np.random.default_rng(seed + 1), [cat_sets[combo[p]] for p in range(nper)], years[0])[person[py_of]]
    rng3 = np.random.default_rng(seed + 2)
    pool = np.where(rng3.random(n) < INSIDE_POOLING_AREA, 1, 2).astype(np.int64)  # 1 inside, 2 outside (check._pool)
    u = rng3.random(n)
    cum = np.cumsum(np.array(ADMIN_SHARES), axis=1)[level - 1]
    admin = 1 + (u[:, None] >= cum).sum(axis=1).clip(0, 3).astype(np.int64)  # index into check.ADMIN_LEVELS
    return Columns(person[py_of], ids, np.zeros(n, dtype=np.int64), [REGION], cats, cat_sets, np.zeros(n, dtype=np.int64), ["resident"],
                   np.ones(n, dtype=np.int64), day, np.zeros(n, dtype=np.int64), ["inpatient"], level, total, eligible,
                   encounter_ids=None, cov_start=cov[py_of], late=late[py_of], lapsed=np.zeros(n, dtype=np.int64),
                   repaid=np.zeros(n, dtype=np.int64), birth=birth, pool=pool, admin=admin)


def _births(rng: np.random.Generator, cats: list[frozenset[str]], first_year: int) -> np.ndarray:
    """A birth day per person (int64 days): uniform ages on 1 January of `first_year`, by AGE_RANGE."""
    lo = np.array([max([AGE_RANGE[k][0] for k in s if k in AGE_RANGE], default=0) for s in cats], dtype=np.int64)
    hi = np.array([min([AGE_RANGE[k][1] for k in s if k in AGE_RANGE], default=89) for s in cats], dtype=np.int64)
    hi = np.maximum(hi, lo)
    age_days = (lo * 365.25 + rng.random(len(cats)) * (hi - lo + 1) * 365.25).astype(np.int64)
    return day_of(EPOCH.replace(year=first_year)) - age_days


HEADER = ("person_id", "encounter_id", "region", "categories", "scheme", "tier", "date", "type", "hospital_level",
          "total_cost", "eligible_cost", "coverage_start", "late", "lapsed_years", "repaid_years", "birth_date",
          "in_pooling_area", "hospital_admin_level")


def write_csv(c: Columns, out) -> None:
    """Write generated claims as the batch CSV format."""
    w = csv.writer(out)
    w.writerow(HEADER)
    cats = category_texts(c)
    dates: dict[int, str] = {}

    def ds(d: int) -> str:
        if d not in dates:
            dates[d] = date_of(d).isoformat()
        return dates[d]

    for i in range(len(c)):
        w.writerow((c.person_ids[c.person[i]], f"E{i:09d}", c.regions[c.region[i]], cats[c.cats[i]], c.schemes[c.scheme[i]],
                    int(c.tier[i]), ds(int(c.day[i])), c.etypes[c.etype[i]], int(c.level[i]), fen_str(c.total[i]), fen_str(c.eligible[i]),
                    ds(int(c.cov_start[i])), "true" if c.late[i] else "false", 0, 0, ds(int(c.birth[i])),
                    "true" if c.pool[i] == 1 else "false", ADMIN_LEVELS[int(c.admin[i])]))


def claims_table(c: Columns, first_encounter: int = 0):
    """Generated claims as a pyarrow table of strings in the batch format (vectorised; needs pyarrow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(c)
    eid = pc.utf8_lpad(pc.cast(pa.array(np.arange(first_encounter, first_encounter + n, dtype=np.int64)), pa.string()), 9, "0")

    cols = {"person_id": coded_strings(c.person_ids, c.person), "encounter_id": pc.binary_join_element_wise("E", eid, ""),
            "region": coded_strings(c.regions, c.region), "categories": coded_strings(category_texts(c), c.cats),
            "scheme": coded_strings(c.schemes, c.scheme), "tier": pc.cast(pa.array(c.tier), pa.string()), "date": date_strings(c.day),
            "type": coded_strings(c.etypes, c.etype), "hospital_level": pc.cast(pa.array(c.level), pa.string()),
            "total_cost": fen_strings(c.total), "eligible_cost": fen_strings(c.eligible), "coverage_start": date_strings(c.cov_start),
            "late": coded_strings(["false", "true"], c.late.astype(np.int64)), "lapsed_years": pc.cast(pa.array(c.lapsed), pa.string()),
            "repaid_years": pc.cast(pa.array(c.repaid), pa.string()), "birth_date": date_strings(c.birth),
            "in_pooling_area": coded_strings(["", "true", "false"], c.pool), "hospital_admin_level": coded_strings(list(ADMIN_LEVELS), c.admin)}
    return pa.table({h: cols[h] for h in HEADER})


def write_parquet(n: int, path, seed: int = SEED, chunk: int = 1_000_000) -> int:
    """Write n SYNTHETIC encounters to Parquet, generated `chunk` at a time (seed, seed+1, ...) with person ids continuing
    across chunks, so the file stays sorted by person id and memory stays bounded by one chunk; returns n."""
    import pyarrow.parquet as pq

    writer, done, persons, k = None, 0, 0, 0
    try:
        while done < n:
            c = generate(min(chunk, n - done), seed + k)
            c.person_ids = [f"P{persons + i:09d}" for i in range(len(c.person_ids))]
            table = claims_table(c, done)
            if writer is None:
                writer = pq.ParquetWriter(str(path), table.schema)
            writer.write_table(table, row_group_size=200_000)
            done, persons, k = done + len(c), persons + len(c.person_ids), k + 1
    finally:
        if writer is not None:
            writer.close()
    return done
