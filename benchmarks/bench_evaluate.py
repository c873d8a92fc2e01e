"""Benchmarks for issue 3 (run by hand: python benchmarks/bench_evaluate.py). Not part of the test run.

Measures: one person-year of three inpatient encounters (median microseconds), 100,000 generated person-years
(person-years per second), cold start to first result (ms, a fresh process), and load+validate of the policy set (ms).
"""
from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.settle.case import case_from_data  # noqa: E402
from engine.settle.evaluate import Evaluator  # noqa: E402
from engine.policy.policyset import load_policy_set  # noqa: E402


def three_encounters(cats=("dibao",)) -> dict:
    """A Chongqing 2020 person-year with three inpatient encounters."""
    encs = [{"id": f"e-{i}", "date": f"2020-0{3 * i + 2}-10", "type": "inpatient", "in_pooling_area": True, "hospital_admin_level": "county", "hospital_level": 1 + i % 3,
             "total_cost": f"{12000 + 9000 * i}.00", "eligible_cost": f"{10000 + 8000 * i}.00"} for i in range(3)]
    return {"person": {"id": "p", "region": "500000", "scheme": "resident", "contribution_tier": 1, "birth_date": "1980-01-01", "categories": list(cats)},
            "encounters": encs}


def generated(n: int, seed: int = 7) -> list:
    """n person-years in Chongqing (years whose figures are all known: 2020, 2022-2025), 1-4 encounters, categories at random."""
    rnd = random.Random(seed)
    cats = ["dibao", "tekun", "zhongdu_canji"]  # categories whose figures are known in those years (see yibao gaps)
    out = []
    for i in range(n):
        year = rnd.choice([2020, 2022, 2023, 2024, 2025])
        k = rnd.randint(1, 4)
        days = sorted(rnd.sample(range(1, 360), k))
        encs = []
        for j, d in enumerate(days):
            total = rnd.randint(1000, 300000) * 100 + rnd.randint(0, 99)
            elig = total * rnd.randint(70, 95) // 100
            day = time.strftime("%Y-%m-%d", time.strptime(f"{year} {d}", "%Y %j"))
            encs.append({"id": f"e{j}", "date": day, "type": "inpatient", "in_pooling_area": True, "hospital_admin_level": "county", "hospital_level": rnd.randint(1, 3),
                         "total_cost": f"{total // 100}.{total % 100:02d}", "eligible_cost": f"{elig // 100}.{elig % 100:02d}"})
        held = rnd.sample(cats, rnd.choice([0, 0, 0, 1, 1, 2]))
        out.append(case_from_data({"person": {"id": f"p{i}", "region": "500000", "scheme": "resident", "contribution_tier": 1, "birth_date": "1980-01-01",
                                              "categories": held}, "encounters": encs}))
    return out


def main() -> None:
    t = []
    for _ in range(5):
        t0 = time.perf_counter()
        ps = load_policy_set(ROOT / "policies")
        t.append(time.perf_counter() - t0)
    assert not ps.problems
    print(f"load+validate policy set: median {statistics.median(t) * 1000:.1f} ms ({len(ps.documents)} documents, {len(ps.rules)} rules)")

    ev = Evaluator(ps)
    case = case_from_data(three_encounters())
    ev.settle(case)
    runs = []
    for _ in range(2000):
        t0 = time.perf_counter()
        ev.settle(case)
        runs.append(time.perf_counter() - t0)
    med = statistics.median(runs) * 1e6
    print(f"one person-year, 3 inpatient encounters: median {med:.0f} us ({med / 3:.0f} us per encounter)")

    n = 100_000
    cases = generated(n)
    encounters = sum(len(c.encounters) for c in cases)
    t0 = time.perf_counter()
    for c in cases:
        ev.settle(c)
    dt = time.perf_counter() - t0
    print(f"{n} generated person-years ({encounters} encounters): {n / dt:,.0f} person-years/s, {dt / encounters * 1e6:.0f} us per encounter")

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "engine.cli.main", "evaluate", str(ROOT / "examples" / "cq-2023-dibao.yaml"), "--format", "json"],
                   check=True, capture_output=True, cwd=ROOT)
    print(f"cold start to first result (fresh process, validate included): {(time.perf_counter() - t0) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
