"""Benchmarks for issue 7 (run by hand: python benchmarks/bench_batch.py [N]). Not part of the test run.

On N (default 1,000,000) SYNTHETIC encounters from engine.claims: batch throughput (cold: parameters resolved
for the first time; warm: parameter cache filled, as for every chunk after the first), single-case throughput on
a sample, their ratio, peak memory (tracemalloc of the settle step, and the process's max RSS), and the wall
time of `yibao report` and `yibao batch` on the same encounters written as CSV.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.batch import Batch  # noqa: E402
from engine.batch_case import person_year_case  # noqa: E402
from engine.claims import generate, write_csv  # noqa: E402
from engine.evaluate import Evaluator  # noqa: E402
from engine.policyset import load_policy_set  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    ps = load_policy_set(None)
    t = time.perf_counter()
    c = generate(n)
    print(f"generate {n:,} SYNTHETIC encounters: {time.perf_counter() - t:.2f} s")
    b = Batch(ps)
    t = time.perf_counter()
    st = b.settle(c)
    cold = time.perf_counter() - t
    warms = []
    for _ in range(3):
        t = time.perf_counter()
        st = b.settle(c)
        warms.append(time.perf_counter() - t)
    warm = min(warms)
    tracemalloc.start()
    b.settle(c)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"batch cold: {cold:.3f} s = {n / cold:,.0f} encounters/s (includes resolving {len(b._keys)} parameter keys)")
    print(f"batch warm (best of 3): {warm:.3f} s = {n / warm:,.0f} encounters/s; settle peak (tracemalloc, separate run) {peak / 2**20:,.0f} MiB")
    print(f"unsettled person-years: {int((st.py_error >= 0).sum())}")
    ev = Evaluator(ps)
    pys = np.arange(0, len(st.py_first), max(len(st.py_first) // 4000, 1))
    order = np.argsort(st.py, kind="stable")
    starts = np.searchsorted(st.py[order], pys)
    ends = np.searchsorted(st.py[order], pys, side="right")
    cases = [person_year_case(c, order[a:e]) for a, e in zip(starts, ends)]
    k = sum(len(x.encounters) for x in cases)
    t = time.perf_counter()
    for case in cases:
        ev.settle(case)
    single = time.perf_counter() - t
    print(f"single-case: {k:,} encounters in {single:.2f} s = {k / single:,.0f} encounters/s; "
          f"batch/single speed ratio (warm) {(n / warm) / (k / single):,.0f}x")
    print(f"max RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "claims.csv"
        t = time.perf_counter()
        with open(f, "w", newline="", encoding="utf-8") as fh:
            write_csv(c, fh)
        print(f"write CSV: {time.perf_counter() - t:.2f} s ({f.stat().st_size / 2**20:,.0f} MiB)")
        for argv in (["report", str(f), "--quiet"], ["batch", str(f), "-o", str(Path(tmp) / "out.csv"), "--quiet"]):
            t = time.perf_counter()
            r = subprocess.run([sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))", *argv], cwd=ROOT, capture_output=True, text=True, env={**os.environ})
            wall = time.perf_counter() - t
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"yibao {argv[0]}: exit {r.returncode}, {wall:.1f} s = {n / wall:,.0f} encounters/s end to end; max RSS so far {rss:,.0f} MiB")
            if argv[0] == "report":
                print("\n".join(r.stdout.splitlines()[-3:]))


if __name__ == "__main__":
    main()
