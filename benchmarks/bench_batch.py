"""Benchmarks for issue 7 (run by hand: python benchmarks/bench_batch.py [N]). Not part of the test run.

On N (default 1,000,000) SYNTHETIC encounters from engine.batch.claims: batch throughput (cold: parameters resolved
for the first time; warm: parameter cache filled, as for every chunk after the first), single-case throughput on
a sample, their ratio, peak memory (tracemalloc of the settle step, and the process's max RSS), and the wall
time and max RSS of `yibao report` and `yibao batch` on the same encounters written as CSV and as Parquet (pyarrow
reader) and of `yibao report --engine python` (row-by-row reader).

`python benchmarks/bench_batch.py --stream N` instead writes N SYNTHETIC encounters to a Parquet file in /tmp,
a million at a time, and measures `yibao report` streaming it (wall time, max RSS); the file is deleted after.
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

from engine.batch.settle import Batch  # noqa: E402
from engine.batch.case import person_year_case  # noqa: E402
from engine.batch.claims import claims_table, generate, write_csv, write_parquet  # noqa: E402
from engine.settle.evaluate import Evaluator  # noqa: E402
from engine.policy.policyset import load_policy_set  # noqa: E402


# A user's environment for the commands timed: this machine's sandbox sets PYTHONDONTWRITEBYTECODE=1 (so every start
# compiles the changed modules again, up to 0.15-0.3 s) and PYTHONUNBUFFERED=1 (a system call per write); a normal
# install sets neither (pip writes the bytecode at install time).
USER_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")}

_CHILD = ("import sys; from engine.cli.main import main; rc = main(sys.argv[1:]); "
          "sys.stderr.write(next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))); sys.exit(rc)")


def run_cli(argv: list[str]) -> tuple[int, float, float, str]:
    """Run `yibao ARGV` in a child process: exit status, wall seconds, the child's peak RSS in MiB (VmHWM, which unlike
    ru_maxrss does not inherit the parent's size across fork and exec), its output."""
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", _CHILD, *argv], cwd=ROOT, capture_output=True, text=True, env=USER_ENV)
    wall = time.perf_counter() - t
    hwm = [l for l in r.stderr.splitlines() if l.startswith("VmHWM")]
    return r.returncode, wall, (int(hwm[-1].split()[1]) / 1024 if hwm else float("nan")), r.stdout


def stream(n: int) -> None:
    """Write n encounters to Parquet in /tmp a million at a time and time `yibao report` on it."""
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "claims.parquet"
        t = time.perf_counter()
        write_parquet(n, f)
        print(f"write {n:,} SYNTHETIC encounters to Parquet: {time.perf_counter() - t:.1f} s ({f.stat().st_size / 2**20:,.0f} MiB)")
        code, wall, rss, out = run_cli(["report", str(f), "--quiet", "--format", "csv"])
        print(f"yibao report (Parquet, streamed in 200,000-row chunks): exit {code}, {wall:.1f} s = {n / wall:,.0f} encounters/s, "
              f"max RSS {rss:,.0f} MiB")
        print(out.splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--stream":
        stream(int(sys.argv[2]))
        return
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
        fp = Path(tmp) / "claims.parquet"
        import pyarrow.parquet as pq

        pq.write_table(claims_table(c), fp, row_group_size=200_000)
        print(f"write Parquet: {fp.stat().st_size / 2**20:,.0f} MiB")
        runs = (["report", str(f), "--quiet"], ["report", str(fp), "--quiet"], ["report", str(f), "--quiet", "--engine", "python"],
                ["batch", str(f), "-o", str(Path(tmp) / "out.csv"), "--quiet"], ["batch", str(fp), "-o", str(Path(tmp) / "out.parquet"), "--quiet"])
        for argv in runs:
            code, wall, rss, out = run_cli(argv)
            print(f"yibao {' '.join(Path(a).suffix if '/' in a else a for a in argv)}: exit {code}, "
                  f"{wall:.1f} s = {n / wall:,.0f} encounters/s end to end; max RSS {rss:,.0f} MiB")
            if argv[0] == "report" and argv[-1] == "--quiet" and argv[1].endswith(".csv"):
                print("\n".join(out.splitlines()[-3:]))

if __name__ == "__main__":
    main()
