"""Benchmarks for issue 14 (run by hand: python benchmarks/bench_steps.py [--big] [--no-anchors]). Not part of the test run.

In one run, interleaved with the anchors of ../shared/anchors (their scripts are run as they are, in child processes):
single case per encounter including the trace ((201-encounter person-year - 1-encounter one) / 200), the result
document's extra cost, `yibao evaluate --format json` per encounter and its cold start, batch settlement warm on
1,000,000 SYNTHETIC encounters, and with --big `yibao report` on 1,000,000 Parquet encounters and 10,000,000 streamed.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = Path(os.environ.get("YIBAO_ANCHORS", ROOT.parent / "shared" / "anchors"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from engine.settle.case import case_from_data  # noqa: E402
from engine.settle.evaluate import Evaluator  # noqa: E402
from engine.settle.explain import result_json  # noqa: E402
from engine.core.output import json_bytes  # noqa: E402
from engine.policy.policyset import load_policy_set  # noqa: E402
from bench_batch import USER_ENV  # noqa: E402


def person_year(k: int) -> dict:
    """A Chongqing 2020 dibao person-year of k inpatient encounters, levels 1-3, costs varying."""
    encs = [{"id": f"e-{i}", "date": f"2020-{1 + i * 12 // max(k, 1):02d}-{1 + i % 28:02d}", "type": "inpatient", "in_pooling_area": True, "hospital_admin_level": "county",
             "hospital_level": 1 + i % 3, "total_cost": f"{12000 + 97 * i}.00", "eligible_cost": f"{10000 + 83 * i}.00"} for i in range(k)]
    return {"person": {"id": "p", "region": "500000", "scheme": "resident", "contribution_tier": 1, "birth_date": "1980-01-01", "categories": ["dibao"]},
            "encounters": encs}


def best(f, n: int) -> float:
    """The lower quartile of n timings of f(), seconds (the machine is shared: the fastest runs are the least disturbed)."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        out.append(time.perf_counter() - t)
    return statistics.quantiles(out, n=4)[0] if n >= 4 else min(out)


def single(ps) -> dict:
    ev = Evaluator(ps)
    one, many = case_from_data(person_year(1)), case_from_data(person_year(201))
    ev.settle(one), ev.settle(many)
    t1, t201 = best(lambda: ev.settle(one), 2000), best(lambda: ev.settle(many), 200)
    w1, w201 = best(lambda: ev.settle(one).encounters, 2000), best(lambda: ev.settle(many).encounters, 200)
    doc = best(lambda: json_bytes(result_json(ev.settle(one), ps), floats=False), 2000)
    return {"settle 1 encounter (us)": t1 * 1e6, "settle 201 encounters (us)": t201 * 1e6,
            "single case per encounter, trace values (us)": (t201 - t1) / 200 * 1e6,
            "single case per encounter, trace values and sentences (us)": (w201 - w1) / 200 * 1e6,
            "result document + JSON bytes on top of the settlement, 1 encounter (us)": (doc - t1) * 1e6}


def cli(tmp: Path) -> dict:
    paths = {}
    for k in (1, 201, 2001):
        p = tmp / f"case-{k}.json"
        p.write_text(json.dumps(person_year(k)), encoding="utf-8")
        paths[k] = p
    run = lambda k: subprocess.run([sys.executable, "-m", "engine.cli.main", "evaluate", str(paths[k]), "--format", "json"],  # noqa: E731
                                   check=True, capture_output=True, cwd=ROOT, env=USER_ENV)
    run(1)
    t = {1: float("inf"), 201: float("inf"), 2001: float("inf")}
    for i in range(25):  # fresh processes, interleaved; the fastest of each is the least disturbed by other load
        for k in (1, 201) + ((2001,) if i % 5 == 0 else ()):
            t[k] = min(t[k], best(lambda: run(k), 1))
    return {"yibao evaluate --format json, cold start 1 encounter (s)": t[1],
            "yibao evaluate --format json per encounter ((201-1)/200, us)": (t[201] - t[1]) / 200 * 1e6,
            "same, ten times longer ((2001-1)/2000: less noise, us)": (t[2001] - t[1]) / 2000 * 1e6}


def batch(ps, n: int) -> dict:
    from engine.batch.claims import generate
    from engine.batch.settle import Batch

    c = generate(n)
    b = Batch(ps)
    t = time.perf_counter()
    b.settle(c)
    cold = time.perf_counter() - t
    warm = min(best(lambda: b.settle(c), 1) for _ in range(7))
    return {f"batch cold, {n:,} encounters (enc/s)": n / cold, f"batch warm, {n:,} encounters, best of 7 (enc/s)": n / warm}


def big(tmp: Path) -> dict:
    from bench_batch import run_cli
    from engine.batch.claims import write_parquet

    out = {}
    warm = tmp / "claims-warm.parquet"
    write_parquet(1_000, warm)
    run_cli(["report", str(warm), "--quiet", "--format", "csv"])  # bytecode written and the policy set cached, as after any first run
    for n, what, runs in ((1_000_000, "1,000,000 Parquet encounters end to end", 5), (10_000_000, "10,000,000 Parquet encounters streamed", 2)):
        f = tmp / f"claims-{n}.parquet"
        write_parquet(n, f)
        times = []
        for _ in range(runs):  # fresh processes; the fastest is the least disturbed by other load, all are printed
            code, wall, rss, _ = run_cli(["report", str(f), "--quiet", "--format", "csv"])
            assert code == 0
            times.append(wall)
            out[f"yibao report, {what}, peak RSS (MiB)"] = max(rss, out.get(f"yibao report, {what}, peak RSS (MiB)", 0))
        out[f"yibao report, {what}, fastest of {runs} (s)"] = min(times)
        out[f"yibao report, {what}, slowest of {runs} (s)"] = max(times)
        f.unlink()
    return out


def anchors() -> list[str]:
    lines = []
    for name, args in (("floor_anchor.py", []), ("openfisca_anchor.py", ["1000000"]), ("zen_anchor.py", [])):
        p = ANCHORS / name
        if not p.exists():
            lines.append(f"{name}: not found at {p}")
            continue
        r = subprocess.run([sys.executable, str(p), *args], capture_output=True, text=True)
        lines += [f"{name}: {x}" for x in (r.stdout.strip().splitlines() or [f"failed: {r.stderr.strip()[-300:]}"]) if "{" not in x]
    return lines


def main() -> None:
    ps = load_policy_set(ROOT / "policies")
    assert not ps.problems
    with tempfile.TemporaryDirectory() as tmp:
        for line in ([] if "--no-anchors" in sys.argv else anchors()):
            print("anchor", line, flush=True)
        for part in (single(ps), cli(Path(tmp)), batch(ps, 1_000_000)):
            for k, v in part.items():
                print(f"{k}: {v:,.3f}" if v < 100 else f"{k}: {v:,.0f}", flush=True)
        for line in ([] if "--no-anchors" in sys.argv else anchors()):
            print("anchor (again)", line, flush=True)
        if "--big" in sys.argv:
            for k, v in big(Path(tmp)).items():
                print(f"{k}: {v:,.2f}", flush=True)


if __name__ == "__main__":
    main()
