"""Issue 14's goals (and issue 17's, goal 7; issue 18's, goal 8) in one table: goal, target, what this run measured, met or not.

Each load goal runs a real `credit-gateway serve` (uvicorn, uvloop) on the benchmark data of
`bench/common.py` (100 organisations x 10 records, PUBLIC and SHARED, an officer reading under a
query permit) and drives it from another process: `wrk` when it is installed (`apt install wrk`),
else a Python client in a subprocess (slower: it shares the two cores with the server, so the
ratios it gives are flatter than wrk's). Ratios are measured in one run, variants interleaved.

    .venv/bin/python -m bench.goals [--postgres URL] [--seconds S] [--only 1,2,6]

`--postgres` names a scratch database the bench drops and creates (goal 1 on PostgreSQL, the
PostGraphile comparison, which installs PostGraphile from npm into bench/postgraphile/, goals 3
and 4 need it). Goal 4 generates its big set (bench/scale.py; `--scale-subjects`,
`--scale-records`, default 1M / 10M) in `<database>_scale` beside it and keeps it for the next
run of the same size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import PERMIT, seeded_engine
from bench.graphql_floor import floor_ms
from bench.policy_overhead import QUERY as LIST_QUERY
from bench.query_log_overhead import SMALL_QUERY
from store.engine import recreate_postgres_database
from tests.server import running_gateway, served_token

CONNECTIONS = 32
TYPENAME = {"query": "{ __typename }"}


@dataclass
class Row:
    goal: str
    target: str
    measured: str
    met: bool | None  # None: not measured

    def line(self) -> str:
        verdict = {True: "met", False: "NOT met", None: "—"}[self.met]
        return f"| {self.goal} | {self.target} | {self.measured} | {verdict} |"


@dataclass
class Load:
    rate: float  # completed requests per second
    p50_ms: float
    p99_ms: float
    requests: int


# ---- load generation ----------------------------------------------------------------------------

_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(base: str, payload: dict, headers: dict, seconds: float, folder: Path) -> Load:
    script = folder / "request.lua"
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    lines.append(f"wrk.body = {json.dumps(json.dumps(payload))}")
    script.write_text("\n".join(lines) + "\n")
    printed = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:.0f}s", "--latency", "-s", str(script),
                              f"{base}/graphql"], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in printed:
        raise RuntimeError(f"the server answered errors under load:\n{printed}")

    def latency(pct: str) -> float:
        number, unit = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", printed, re.M).groups()
        return float(number) * _UNIT[unit]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", printed).group(1))
    done = int(re.search(r"(\d+) requests in", printed).group(1))
    return Load(rate, latency("50"), latency("99"), done)


def client_main(argv: list[str]) -> None:
    """The fallback load generator, run in its own process: keeps CONNECTIONS requests in flight."""
    from bench.query_log_overhead import load as keep_in_flight

    base, payload, headers, seconds = argv[0], json.loads(argv[1]), json.loads(argv[2]), float(argv[3])
    started = time.perf_counter()
    _rate, latencies = asyncio.run(keep_in_flight(base, payload, headers, seconds))
    print(json.dumps({"elapsed": time.perf_counter() - started, "latencies": latencies}))


def _python_load(base: str, payload: dict, headers: dict, seconds: float) -> Load:
    printed = subprocess.run([sys.executable, "-c", "import sys; from bench.goals import client_main; "
                              "client_main(sys.argv[1:])", base, json.dumps(payload), json.dumps(headers), str(seconds)],
                             capture_output=True, text=True, check=True).stdout
    result = json.loads(printed)
    ordered = sorted(result["latencies"])
    pick = lambda p: ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000  # noqa: E731
    return Load(len(ordered) / result["elapsed"], pick(0.5), pick(0.99), len(ordered))


def load(base: str, payload: dict, headers: dict, seconds: float, folder: Path) -> Load:
    if shutil.which("wrk"):
        return _wrk(base, payload, headers, seconds, folder)
    return _python_load(base, payload, headers, seconds)


# ---- the data and the server --------------------------------------------------------------------

@dataclass
class Deployment:
    url: str
    codes: list[str]


def seed(url: str) -> Deployment:
    async def run():
        engine, codes = await seeded_engine(url)
        await engine.dispose()
        return codes
    return Deployment(url, asyncio.run(run()))


def officer_headers(data: Path) -> dict:
    token = served_token(data, user="bench", department="SCJG", roles=("officer",))
    return {"Authorization": f"Bearer {token}", "X-Query-Purpose": "licensing", "X-Query-Basis": PERMIT}


def _sessions(url: str) -> int | None:
    """PostgreSQL's count of sessions ever opened on the database (pg_stat_database.sessions)."""
    if not url.startswith("postgresql"):
        return None
    import asyncpg
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def read():
        connection = await asyncpg.connect(plain)
        try:
            return await connection.fetchval("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        finally:
            await connection.close()
    return asyncio.run(read())


def _server_env(url: str) -> dict:
    return {"LOAD_DEMO_ON_EMPTY": "false", "DATABASE_URL": url}


# ---- the goals ----------------------------------------------------------------------------------

def goal_1(deployment: Deployment, seconds: float, label: str) -> list[Row]:
    """The officer's single-subject query against `{ __typename }` on the same server, interleaved."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-goal1-") as folder:
        folder = Path(folder)
        with running_gateway(folder / "data", env=_server_env(deployment.url)) as base:
            headers = officer_headers(folder / "data")
            officer = {"query": SMALL_QUERY, "variables": {"c": deployment.codes[0]}}
            for payload, head in ((TYPENAME, {}), (officer, headers)):  # warm-up
                load(base, payload, head, 2, folder)
            typename, queries = [], []
            sessions_before = _sessions(deployment.url)
            for _ in range(2):
                typename.append(load(base, TYPENAME, {}, seconds, folder))
                queries.append(load(base, officer, headers, seconds, folder))
            sessions_after = _sessions(deployment.url)
    rate_t = statistics.fmean(x.rate for x in typename)
    rate_q = statistics.fmean(x.rate for x in queries)
    ratio = rate_q / rate_t
    p50, p99 = statistics.fmean(x.p50_ms for x in queries), statistics.fmean(x.p99_ms for x in queries)
    rows.append(Row(f"1 officer subject query / `__typename` ({label})", "≥ 0.5",
                    f"{ratio:.2f} ({rate_q:,.0f} vs {rate_t:,.0f} req/s)", ratio >= 0.5))
    rows.append(Row(f"1 p99 / p50 at {CONNECTIONS} connections ({label})", "≤ 3",
                    f"{p99 / p50:.1f} ({p50:.1f} / {p99:.1f} ms)", p99 / p50 <= 3))
    if sessions_before is not None:
        served = sum(x.requests for x in typename + queries)
        opened = sessions_after - sessions_before - 1  # the first read of the counter is a session too
        rows.append(Row(f"1 new PostgreSQL sessions per request ({label})", "0 under steady load",
                        f"{opened} in {served:,} requests", opened <= 0))
    return rows


def against_postgraphile(deployment: Deployment, seconds: float, folder: Path) -> list[Row]:
    """Goal 1's officer query on the gateway and on PostGraphile (JWT + RLS) on the same tables."""
    from bench import postgraphile

    asyncio.run(postgraphile.enable_row_level_security(deployment.url))
    code = deployment.codes[0]
    with running_gateway(folder / "data", env=_server_env(deployment.url)) as gateway, \
            postgraphile.running_postgraphile(deployment.url) as graphile:
        headers = officer_headers(folder / "data")
        ours = {"query": SMALL_QUERY, "variables": {"c": code}}
        answer = httpx.post(f"{gateway}/graphql", json=ours, headers=headers, timeout=10).json()
        postgraphile.check_same_answer(graphile, code, answer["data"]["subject"]["records"]["totalCount"])
        theirs = {"query": postgraphile.QUERY, "variables": {"c": code}}
        their_headers = {"Authorization": f"Bearer {postgraphile.token()}"}
        load(gateway, ours, headers, 2, folder)
        load(graphile, theirs, their_headers, 2, folder)
        rates: dict[str, list[float]] = {"gateway": [], "postgraphile": []}
        for _ in range(2):
            rates["gateway"].append(load(gateway, ours, headers, seconds, folder).rate)
            rates["postgraphile"].append(load(graphile, theirs, their_headers, seconds, folder).rate)
    gw, pg = statistics.fmean(rates["gateway"]), statistics.fmean(rates["postgraphile"])
    return [Row("1 officer subject query / PostGraphile + JWT + RLS (PostgreSQL)", "≥ 1.0",
                f"{gw / pg:.2f} ({gw:,.0f} vs {pg:,.0f} req/s)", gw / pg >= 1.0)]


def goal_2(deployment: Deployment) -> list[Row]:
    """The officer's list, 100 subjects x 10 records, one request at a time (server time, no queueing)."""
    samples = []
    with tempfile.TemporaryDirectory(prefix="bench-goal2-") as folder:
        folder = Path(folder)
        with running_gateway(folder / "data", env=_server_env(deployment.url)) as base, \
                httpx.Client(base_url=base, timeout=60) as client:
            headers = officer_headers(folder / "data")
            payload = {"query": LIST_QUERY, "variables": {"codes": deployment.codes}}
            for i in range(130):
                started = time.perf_counter()
                response = client.post("/graphql", json=payload, headers=headers)
                if i >= 30:
                    samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
    p50 = statistics.median(samples)
    fields = 100 * (3 + 10 * 11)  # per subject: code, name, records{totalCount}; per record: 7 + 2 x 2 fields
    floor = floor_ms()  # graphql-core alone on the same document: no gateway can go below it (bench/graphql_floor.py)
    return [Row("2 officer list 100 x 10, server time p50", "≤ 25 ms",
                f"{p50:.1f} ms ({p50 * 1000 / fields:.1f} µs per field)", p50 <= 25),
            Row("2 (floor) graphql-core alone executing that document on dicts, CPU", "—",
                f"{floor:.1f} ms ({floor * 1000 / fields:.1f} µs per field)", None)]


def goal_3(deployment: Deployment, seconds: float) -> list[Row]:
    if not deployment.url.startswith("postgresql"):
        return [Row("3 `serve --workers 2` / one worker (PostgreSQL)", "≥ 1.7", "needs --postgres URL", None)]
    rates = {}
    with tempfile.TemporaryDirectory(prefix="bench-goal3-") as folder:
        folder = Path(folder)
        officer = {"query": SMALL_QUERY, "variables": {"c": deployment.codes[0]}}
        for workers in (1, 2):
            with running_gateway(folder / "data", env=_server_env(deployment.url),
                                 args=("--workers", str(workers))) as base:
                headers = officer_headers(folder / "data")
                load(base, officer, headers, 2, folder)
                rates[workers] = load(base, officer, headers, seconds, folder).rate
    ratio = rates[2] / rates[1]
    return [Row("3 `serve --workers 2` / one worker (PostgreSQL)", "≥ 1.7",
                f"{ratio:.2f} ({rates[2]:,.0f} vs {rates[1]:,.0f} req/s)", ratio >= 1.7)]


def goal_4(url: str | None, subjects: int, records: int) -> list[Row]:
    """bench/scale.py on its own database beside `url` (`<name>_scale`, kept for the next run when
    its size is the same: generating 10M records takes minutes)."""
    size = f"{subjects:,} subjects, {records:,} records"
    if not url:
        return [Row(f"4 {size}: officer p50 / demo p50; search p50; plans", "≤ 1.2; ≤ 20 ms; indexes",
                    "needs --postgres URL", None)]
    from sqlalchemy.engine import make_url

    from bench import scale

    parsed = make_url(url)
    scale_url = parsed.set(database=f"{parsed.database}_scale").render_as_string(hide_password=False)
    result = asyncio.run(scale.run(scale_url, subjects, records, reuse=True))
    scale.report(result, subjects, records)
    faults = sorted({fault for _s, _p, found in result.plans for fault in found})
    return [Row(f"4 officer subject query p50 on {size} / on 100 x 10 (PostgreSQL)", "≤ 1.2",
                f"{result.ratio:.2f} ({result.officer_p50_ms:.1f} vs {result.demo_p50_ms:.1f} ms)",
                result.ratio <= scale.GOAL_RATIO),
            Row(f"4 `subjectSearch` on 3 characters of a name, {size}, p50 (PostgreSQL)", "≤ 20 ms",
                f"{result.search_p50_ms:.1f} ms (p99 {result.search_p99_ms:.1f} ms)",
                result.search_p50_ms <= scale.GOAL_SEARCH_MS),
            Row(f"4 read path's plans use an index, {size} (PostgreSQL)", "every one",
                f"{len(result.plans)} statements" + (f"; {'; '.join(faults)}" if faults else ", all indexed"),
                result.indexed)]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def goal_6(deployment: Deployment, total: int) -> list[Row]:
    """RSS of the worker after 1,000 and after `total` mixed requests (typename, public, officer, list)."""
    processes: list = []
    with tempfile.TemporaryDirectory(prefix="bench-goal6-") as folder:
        folder = Path(folder)
        with running_gateway(folder / "data", env=_server_env(deployment.url), processes=processes) as base, \
                httpx.Client(base_url=base, timeout=60) as client:
            headers = officer_headers(folder / "data")
            mixed = [(TYPENAME, {}), ({"query": SMALL_QUERY, "variables": {"c": deployment.codes[1]}}, {}),
                     ({"query": SMALL_QUERY, "variables": {"c": deployment.codes[2]}}, headers),
                     ({"query": LIST_QUERY, "variables": {"codes": deployment.codes[:10]}}, headers)]
            pid = processes[0].pid
            rss = {}
            for done in range(1, total + 1):
                payload, head = mixed[done % len(mixed)]
                client.post("/graphql", json=payload, headers=head)
                if done in (1_000, total):
                    rss[done] = _rss_kib(pid)
    ratio = rss[total] / rss[1_000]
    return [Row(f"6 worker RSS after {total:,} / after 1,000 mixed requests", "≤ 1.2",
                f"{ratio:.2f} ({rss[1_000] / 1024:.0f} → {rss[total] / 1024:.0f} MiB)", ratio <= 1.2)]


CREDIT_CHECK = ("query Check($c: ID!) { creditCheck(code: $c, purpose: LICENSING) { verdict "
                "badRecords { record { id } category } goodRecords { record { id } } "
                "hints { rule action records { record { id } } } withheld { visibility } receipt { id answerHash } } }")
# what an evaluation keeps per bidder: the verdict, each rule's action, the receipt
CREDIT_CHECKS = ("query Checks($codes: [ID!]!) { creditChecks(codes: $codes, purpose: LICENSING) { index "
                 "error { fault } check { verdict hints { rule action } receipt { id answerHash } } } }")


def _server_times(client: httpx.Client, payloads: list[tuple[str, dict]], headers: dict, rounds: int,
                  warm: int = 20) -> dict[str, list[float]]:
    """Round-trip times (ms) of each payload, one request at a time, the payloads interleaved."""
    samples: dict[str, list[float]] = {name: [] for name, _ in payloads}
    for i in range(warm + rounds):
        for name, payload in payloads:
            started = time.perf_counter()
            response = client.post("/graphql", json=payload, headers=headers)
            if i >= warm:
                samples[name].append((time.perf_counter() - started) * 1000)
            body = response.json()
            assert response.status_code == 200 and not [
                e for e in body.get("errors", []) if e["extensions"]["code"] != "PURPOSE_REQUIRED"], response.text[:300]
    return samples


def goal_7(url: str, folder: Path, rounds: int = 200) -> list[Row]:
    """Issue 17: creditCheck of one subject with five records against `subject(code)` of the same
    subject on the same server (p50 ratio, interleaved); creditChecks of 100 demo subjects."""
    async def five_each():
        engine, codes = await seeded_engine(url, subjects=100, per_subject=5)
        await engine.dispose()
        return codes
    codes = asyncio.run(five_each())
    with running_gateway(folder / "data7", env=_server_env(url)) as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        headers = officer_headers(folder / "data7")
        times = _server_times(client, [("subject", {"query": SMALL_QUERY, "variables": {"c": codes[0]}}),
                                       ("check", {"query": CREDIT_CHECK, "variables": {"c": codes[0]}})],
                              headers, rounds)
    subject_p50, check_p50 = (statistics.median(times[k]) for k in ("subject", "check"))
    ratio = check_p50 / subject_p50
    rows = [Row("7 creditCheck, one subject of 5 records / `subject(code)` (SQLite)", "≤ 2",
                f"{ratio:.2f} ({check_p50:.1f} vs {subject_p50:.1f} ms p50)", ratio <= 2)]
    demo_url = f"sqlite+aiosqlite:///{folder / 'demo.sqlite3'}"
    with running_gateway(folder / "data7demo", env={"LOAD_DEMO_ON_EMPTY": "true", "DATABASE_URL": demo_url}) as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        demo = asyncio.run(_organisations(demo_url, 100))
        headers = officer_headers(folder / "data7demo")
        batch = _server_times(client, [("checks", {"query": CREDIT_CHECKS, "variables": {"codes": demo}})], headers,
                              rounds // 4, warm=5)["checks"]
    p50 = statistics.median(batch)
    rows.append(Row(f"7 creditChecks of {len(demo)} demo subjects, server time p50 (SQLite)", "≤ 50 ms",
                    f"{p50:.1f} ms", p50 <= 50))
    return rows


JOINED_SUFFIX = " licences { number kind issuedOn validUntil status } } }"
SOURCE_ALONE = ('query($r: [_Any!]!) { _entities(representations: $r) { ... on Subject { code '
                'licences { number kind issuedOn validUntil status } } } }')


def goal_8(url: str, folder: Path, rounds: int = 200) -> list[Row]:
    """Issue 18: the officer's list of 10 subjects' stored records (10 each) joined with one live source
    (the demo licensing source, a uvicorn subprocess, admitted) against the same list stored-only, and
    the source's own latency for those 10 subjects (a signed `_entities` call straight to it); all three
    interleaved, one request at a time, p50."""
    from domain.catalogue import load_profile
    from domain.source_signing import signed_headers
    from resolvers.sources import admit_source
    from schema.remote_fields import gateway_names
    from tests.fake_source import running_source

    async def seeded():
        engine, codes = await seeded_engine(url, subjects=10, per_subject=10)
        await engine.dispose()
        return codes
    codes = asyncio.run(seeded())
    key = "bench-licensing-source-key-0123456789"
    key_file = folder / "licensing-source.key"
    key_file.write_text(key)
    stored = {"query": LIST_QUERY, "variables": {"codes": codes}}
    joined = {"query": LIST_QUERY.rstrip().removesuffix("}").rstrip().removesuffix("}") + JOINED_SUFFIX,
              "variables": {"codes": codes}}
    alone = json.dumps({"query": SOURCE_ALONE,
                        "variables": {"r": [{"__typename": "Subject", "code": c} for c in codes]}}).encode()

    async def admit(source_url: str):
        from store.engine import create_engine

        engine = create_engine(url)
        try:
            await admit_source(engine, load_profile("huancui"), gateway_names(), name="licensing", url=source_url,
                               items=["HC-10-2-LICENCE"], user="bench", signing_key=key)
        finally:
            await engine.dispose()

    with running_source("demo.licensing_source", ["--key-file", str(key_file)]) as source:
        asyncio.run(admit(f"{source}/graphql"))
        with running_gateway(folder / "data8", env=_server_env(url)) as base, \
                httpx.Client(base_url=base, timeout=60) as client, httpx.Client(timeout=60) as direct:
            headers = officer_headers(folder / "data8")
            body = client.post("/graphql", json=joined, headers=headers).json()
            assert "errors" not in body and all(s["licences"] is not None for s in body["data"]["subjects"]), body
            times: dict[str, list[float]] = {"stored": [], "joined": [], "source": []}
            for i in range(20 + rounds):
                for name, payload in (("stored", stored), ("joined", joined)):
                    started = time.perf_counter()
                    response = client.post("/graphql", json=payload, headers=headers)
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
                    if i >= 20:
                        times[name].append(elapsed)
                started = time.perf_counter()
                response = direct.post(f"{source}/graphql", content=alone, headers={
                    "Content-Type": "application/json", **signed_headers(key, time.time(), "POST", "/graphql", alone)})
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text[:300]
                if i >= 20:
                    times["source"].append(elapsed)
    stored_p50, joined_p50, source_p50 = (statistics.median(times[k]) for k in ("stored", "joined", "source"))
    bound = 1.5 * stored_p50 + source_p50
    return [Row("8 10 subjects' records joined with one live source / (1.5 × stored-only + the source alone) (SQLite)",
                "≤ 1", f"{joined_p50 / bound:.2f} ({joined_p50:.1f} ms vs 1.5 × {stored_p50:.1f} + {source_p50:.1f} "
                f"ms p50)", joined_p50 <= bound)]


async def _organisations(url: str, n: int) -> list[str]:
    from sqlalchemy import select

    from store.engine import create_engine
    from store.models import Record, Subject

    engine = create_engine(url)
    async with engine.connect() as connection:  # organisations with records first, as bidders would be
        codes = (await connection.execute(select(Subject.code).where(Subject.kind == "ORGANISATION").order_by(
            ~select(Record.id).where(Record.subject_code == Subject.code).exists(), Subject.code).limit(n)
        )).scalars().all()
    await engine.dispose()
    return list(codes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="scratch PostgreSQL database, dropped and created (default: BENCH_DATABASE_URL)")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each load run")
    parser.add_argument("--requests", type=int, default=100_000, help="goal 6: mixed requests in all")
    parser.add_argument("--only", default="1,2,3,4,5,6,7,8", help="goals to run, e.g. 1,2")
    parser.add_argument("--scale-subjects", type=int, default=1_000_000, help="goal 4: subjects of the big set")
    parser.add_argument("--scale-records", type=int, default=10_000_000, help="goal 4: records of the big set")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    rows: list[Row] = []
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-goals-")))
        sqlite = seed(f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}")
        postgres = seed(asyncio.run(recreate_postgres_database(args.postgres))) if args.postgres else None
        if "1" in only:
            rows += goal_1(sqlite, args.seconds, "SQLite")
            if postgres:
                rows += goal_1(postgres, args.seconds, "PostgreSQL")
                rows += against_postgraphile(postgres, args.seconds, folder)
            else:
                rows.append(Row("1 officer subject query / PostGraphile + JWT + RLS (PostgreSQL)", "≥ 1.0",
                                "needs --postgres URL (and npm)", None))
        if "2" in only:
            rows += goal_2(sqlite)
        if "3" in only:
            rows += goal_3(postgres or sqlite, args.seconds)
        if "4" in only:
            rows += goal_4(args.postgres, args.scale_subjects, args.scale_records)
        if "5" in only:
            from bench import import_jobs

            p99 = import_jobs.run(100_000, None)
            rows.append(Row("5 `/healthz` p99 during a 100,000-row import (SQLite)", "≤ 20 ms", f"{p99:.1f} ms",
                            p99 <= import_jobs.GOAL_P99_MS))
        if "6" in only:
            rows += goal_6(sqlite, args.requests)
        if "7" in only:
            rows += goal_7(f"sqlite+aiosqlite:///{folder / 'goal7.sqlite3'}", folder)
        if "8" in only:
            rows += goal_8(f"sqlite+aiosqlite:///{folder / 'goal8.sqlite3'}", folder)
    load_now = os.getloadavg()[0]
    print(f"\n{os.cpu_count()} cores, load {load_now:.1f}, {'wrk' if shutil.which('wrk') else 'Python client'}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}\n")
    print("| goal | target | measured | met |\n| --- | --- | --- | --- |")
    for row in rows:
        print(row.line())
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
