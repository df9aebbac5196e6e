"""Issue 4 benchmark: throughput with the query log on and off, at 32 concurrent connections.

Two real uvicorn servers (one worker each) on one SQLite database — one logging, one built
without the log (bench/server.py) — run alternately in rounds; a client process keeps 32
requests in flight for a fixed time and counts completed requests. Two queries: the officer's
list query (100 subjects × 10 records) and a small single-subject query.
Goal: throughput with logging ≥ 0.9 of without. Run: `.venv/bin/python -m bench.query_log_overhead`.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import PERMIT, seeded_engine
from bench.policy_overhead import QUERY as LIST_QUERY
from bench.server import SECRET
from gateway.identity import mint_token
from tests.server import free_port

SMALL_QUERY = "query One($c: ID!) { subject(code: $c) { code name records(first: 5) { totalCount " \
              "edges { node { id category documentNumber } } } } }"
CONCURRENCY = 32


@contextlib.contextmanager
def server(url: str, log: bool):
    port = free_port()
    command = [sys.executable, "-m", "bench.server", "--database-url", url, "--port", str(port)]
    process = subprocess.Popen(command + ([] if log else ["--no-query-log"]))
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def load(base: str, payload: dict, headers: dict, seconds: float) -> tuple[float, list[float]]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        async def worker():
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                response = await client.post("/graphql", json=payload, headers=headers)
                assert response.status_code == 200, response.text[:300]
                latencies.append(time.perf_counter() - start)

        started = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(CONCURRENCY)])
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


async def main(rounds: int = 2, seconds: float = 8.0) -> dict[str, float]:
    ratios = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        engine, codes = await seeded_engine(url)
        await engine.dispose()
        token = mint_token(SECRET, user="bench", name="测试员", department="SCJG", roles=["officer"])
        headers = {"Authorization": f"Bearer {token}", "X-Query-Purpose": "licensing", "X-Query-Basis": PERMIT}
        workloads = {
            "officer list (100×10)": {"query": LIST_QUERY, "variables": {"codes": codes}},
            "single subject": {"query": SMALL_QUERY, "variables": {"c": codes[0]}},
        }
        with server(url, log=True) as logged, server(url, log=False) as unlogged:
            for name, payload in workloads.items():
                results = {True: [0.0, []], False: [0.0, []]}
                for base in (logged, unlogged):  # warm-up
                    await load(base, payload, headers, 1.0)
                for _ in range(rounds):
                    for log, base in ((True, logged), (False, unlogged)):
                        rate, latencies = await load(base, payload, headers, seconds)
                        results[log][0] += rate / rounds
                        results[log][1] += latencies
                on, off = results[True], results[False]
                ratios[name] = on[0] / off[0]
                print(f"{name:<24} logging on : {on[0]:8.1f} req/s  p50 {pct(on[1], .5):7.1f} ms  "
                      f"p99 {pct(on[1], .99):7.1f} ms")
                print(f"{'':<24} logging off: {off[0]:8.1f} req/s  p50 {pct(off[1], .5):7.1f} ms  "
                      f"p99 {pct(off[1], .99):7.1f} ms")
                print(f"{'':<24} throughput ratio on/off: {ratios[name]:.3f}  (goal ≥ 0.9)")
    return ratios


if __name__ == "__main__":
    results = asyncio.run(main())
    sys.exit(0 if all(r >= 0.9 for r in results.values()) else 1)
