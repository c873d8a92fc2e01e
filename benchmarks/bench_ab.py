"""Two source trees side by side, in the same minutes (run by hand: python benchmarks/bench_ab.py OLD_ROOT NEW_ROOT [ROUNDS]).

Fresh processes alternate between the trees: `yibao evaluate --format json` on 1, 201 and 2001 encounters (cold start and
per encounter, the fastest of each), every fourth round `yibao report` on 1,000,000 Parquet encounters, and at the end
batch settlement of 1,000,000 SYNTHETIC encounters in-process (cold, then the best of 5 warm), twice each. On a shared
machine the absolute figures drift from minute to minute; the two trees measured in turn share the drift. Each tree is
run with this venv's Python and its own `engine` (PYTHONPATH), in a user's environment (bench_batch.USER_ENV).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_batch import USER_ENV  # noqa: E402
from bench_steps import person_year  # noqa: E402
from engine.batch.claims import write_parquet  # noqa: E402


_BATCH = """
import time
from engine.batch.claims import generate
from engine.batch.settle import Batch
from engine.policy.policyset import load_policy_set
c, b = generate(1_000_000), Batch(load_policy_set("policies"))
t = time.perf_counter(); b.settle(c); cold = time.perf_counter() - t
warm = []
for _ in range(5):
    t = time.perf_counter(); b.settle(c); warm.append(time.perf_counter() - t)
print(f"cold {1 / cold:.2f} M/s, warm {1 / min(warm):.2f} M/s")
"""


def main() -> None:
    roots = [str(Path(r).resolve()) for r in sys.argv[1:3]]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    with tempfile.TemporaryDirectory() as tmp:
        cases = {}
        for k in (1, 201, 2001):
            cases[k] = Path(tmp) / f"case-{k}.json"
            cases[k].write_text(json.dumps(person_year(k)), encoding="utf-8")
        claims = Path(tmp) / "claims.parquet"
        write_parquet(1_000_000, claims)

        def run(root: str, args: list[str]) -> float:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "engine.cli.main", *args], check=True, capture_output=True, cwd=root,
                           env={**USER_ENV, "PYTHONPATH": root})
            return time.perf_counter() - t

        report = ["report", str(claims), "--quiet", "--format", "csv"]
        for root in roots:  # bytecode written and the policy set cached, as after any first run
            run(root, ["evaluate", str(cases[1]), "--format", "json"])
            run(root, report)
        best: dict[tuple[str, int], float] = {}
        reports: dict[str, list[float]] = {r: [] for r in roots}
        for i in range(rounds):
            for root in roots:
                for k in (1, 201, 2001):
                    best[root, k] = min(best.get((root, k), float("inf")), run(root, ["evaluate", str(cases[k]), "--format", "json"]))
                if i % 4 == 0:
                    reports[root].append(run(root, report))
        batch = {root: [subprocess.run([sys.executable, "-c", _BATCH], check=True, capture_output=True, text=True, cwd=root,
                                       env={**USER_ENV, "PYTHONPATH": root}).stdout.strip() for _ in range(2)] for root in roots}
        for root in roots:
            one = best[root, 1]
            print(f"{root}: cold start {one:.3f} s, per encounter (201-1)/200 {(best[root, 201] - one) / 200 * 1e6:.1f} us, "
                  f"(2001-1)/2000 {(best[root, 2001] - one) / 2000 * 1e6:.1f} us; "
                  f"report 1,000,000: {' '.join(f'{x:.2f}' for x in sorted(reports[root]))} s; batch {'; '.join(batch[root])}")


if __name__ == "__main__":
    main()
