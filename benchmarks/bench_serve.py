"""Load test of `yibao serve` on loopback: requests/s and p50/p99 latency at 1, 8 and 32 clients, then hostile requests.

Run by hand (never in the test run): `python benchmarks/bench_serve.py [--requests N] [--seconds S] [--workers W]`.
Starts the service itself on a free 127.0.0.1 port, bounded in requests and in time, and stops it at the end.
Needs `pip install -e '.[serve]'` (httpx is the client).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def case(n: int, person: str = "bench") -> bytes:
    """A Chongqing 2023 dibao resident with n inpatient encounters (hand-checked examples/cq-2023-dibao.yaml for n=1)."""
    encs = [{"id": f"e-{i}", "date": f"2023-{1 + i % 12:02d}-{10 + i % 18:02d}", "type": "inpatient", "in_pooling_area": True, "hospital_admin_level": "county", "hospital_level": 1 + i % 3,
             "total_cost": f"{6200 + 1000 * i}.00", "eligible_cost": f"{5000 + 800 * i}.00"} for i in range(n)]
    body = {"person": {"id": person, "region": "500000", "scheme": "resident", "contribution_tier": 1, "birth_date": "1980-01-01", "categories": ["dibao"]},
            "encounters": encs}
    return json.dumps(body, ensure_ascii=False).encode()


def hostile(rng: random.Random) -> tuple[str, bytes]:
    """One hostile body: malformed JSON, huge numbers, deep nesting or wrong types."""
    good = json.loads(case(1))
    kind = rng.randrange(8)
    if kind == 0:
        return "malformed", case(1)[: rng.randrange(1, 120)]
    if kind == 1:
        return "huge int", case(1).replace(b'"6200.00"', b"1" + b"0" * rng.choice((20, 400, 5000)))
    if kind == 2:
        return "huge exponent", case(1).replace(b'"6200.00"', b"1e" + str(rng.choice((30, 999, 999999))).encode())
    if kind == 3:
        d = rng.choice((40, 2000, 100000))
        return "deep", b"[" * d + b"]" * d
    if kind == 4:
        d = rng.choice((40, 5000))
        return "deep object", b'{"a":' * d + b"1" + b"}" * d
    if kind == 5:
        good["encounters"][0]["hospital_level"] = rng.choice(["2", [2], None, True, 2.5, {"x": 1}])
        return "wrong type", json.dumps(good).encode()
    if kind == 6:
        good["person"] = rng.choice([[], "p", 1, None])
        return "wrong type", json.dumps(good).encode()
    return "not utf-8", b'{"person": "\xff\xfe"}'


class Lean:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: a few microseconds a request, so the figures measure
    the service, not the client (httpx costs several hundred microseconds of the same two cores per request)."""

    def __init__(self, port: int) -> None:
        self.port, self.reader, self.writer = port, None, None

    async def post(self, path: str, body: bytes) -> int:
        """POST and read the whole answer; its status."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(b"POST %s HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
                          % (path.encode(), len(body), body))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def run_level(url: str, body: bytes, clients: int, requests: int, seconds: float, lean: bool = True) -> dict:
    """`clients` concurrent loops posting `body` until `requests` are answered or `seconds` pass."""
    lat: list[float] = []
    errors = 0
    done = 0
    deadline = time.perf_counter() + seconds
    headers = {"content-type": "application/json"}
    port, path = int(url.split(":")[2].split("/")[0]), "/" + url.split("/", 3)[3]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        async def one() -> None:
            nonlocal done, errors
            conn = Lean(port)
            while done < requests and time.perf_counter() < deadline:
                done += 1
                t = time.perf_counter()
                if lean:
                    status = await conn.post(path, body)
                else:
                    status = (await client.post(url, content=body, headers=headers)).status_code
                lat.append(time.perf_counter() - t)
                if status != 200:
                    errors += 1
            await conn.close()
        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(clients)))
        wall = time.perf_counter() - t0
    lat.sort()
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {"clients": clients, "requests": len(lat), "errors": errors, "seconds": round(wall, 2),
            "rps": round(len(lat) / wall), "p50_ms": round(q[49] * 1000, 2), "p99_ms": round(q[98] * 1000, 2)}


async def run_hostile(base: str, count: int, clients: int = 8) -> dict:
    """`count` hostile requests; every answer must be 4xx, and the service healthy after."""
    rng = random.Random(20261122)
    bodies = [hostile(rng) for _ in range(count)]
    statuses: dict[int, int] = {}
    kinds: dict[str, set] = {}
    it = iter(bodies)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=clients)) as client:
        async def one() -> None:
            for kind, b in it:
                r = await client.post(base + "/v1/settle", content=b, headers={"content-type": "application/json"})
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                kinds.setdefault(kind, set()).add(r.status_code)
        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(clients)))
        wall = time.perf_counter() - t0
        health = await client.get(base + "/v1/health")
        ok = await client.post(base + "/v1/settle", content=case(1), headers={"content-type": "application/json"})
    return {"requests": count, "seconds": round(wall, 2), "statuses": dict(sorted(statuses.items())),
            "by_kind": {k: sorted(v) for k, v in sorted(kinds.items())},
            "all_4xx": all(400 <= s < 500 for s in statuses), "healthy_after": health.status_code == 200 and ok.status_code == 200}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=3000, help="requests per level at most (default 3000)")
    ap.add_argument("--seconds", type=float, default=10, help="seconds per level at most (default 10)")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2, one per core)")
    ap.add_argument("--hostile", type=int, default=10000)
    ap.add_argument("--levels", default="1,8,32")
    ap.add_argument("--client", choices=("lean", "httpx"), default="lean", help="load client (default lean; hostile requests always use httpx)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    a = ap.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "engine.cli.main", "serve", "--port", str(port), "--workers", str(a.workers)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("the service did not start")
        out: dict = {"workers": a.workers, "client": a.client, "load_before": os.getloadavg(), "levels": []}
        for n, label in ((1, "single-encounter"), (10, "ten-encounter")):
            body = case(n)
            asyncio.run(run_level(base + "/v1/settle", body, 8, 300, 5))  # warm up every worker
            for clients in map(int, a.levels.split(",")):
                r = asyncio.run(run_level(base + "/v1/settle", body, clients, a.requests, a.seconds, a.client == "lean"))
                r["case"] = label
                out["levels"].append(r)
                print(f"{label:17} clients {clients:2}: {r['rps']:5} req/s, p50 {r['p50_ms']:6.2f} ms, p99 {r['p99_ms']:6.2f} ms, "
                      f"{r['requests']} requests, {r['errors']} errors", flush=True)
        if a.hostile:
            h = asyncio.run(run_hostile(base, a.hostile))
            out["hostile"] = h
            print(f"hostile: {h['requests']} requests in {h['seconds']} s, statuses {h['statuses']}, all 4xx: {h['all_4xx']}, "
                  f"healthy after: {h['healthy_after']}", flush=True)
            print("  by kind:", h["by_kind"])
        out["load_after"] = os.getloadavg()
        if a.json:
            Path(a.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        return 0 if all(r["errors"] == 0 for r in out["levels"]) and out.get("hostile", {}).get("all_4xx", True) else 1
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
