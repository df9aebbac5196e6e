"""Issue 14, goal 4: the read path on 1,000,000 subjects and 10,000,000 records (PostgreSQL).

    .venv/bin/python -m bench.scale [--postgres URL] [--subjects N] [--records N] [--reuse]

Generates the data set by COPY into a scratch database (dropped and created; `--reuse` keeps one
of the same size from an earlier run): organisations with Chinese names of a realistic shape
(city, district, a three-character brand, trade, form) and `records / subjects` records each,
cycling through the PUBLIC and SHARED items exactly as the demo-sized benchmark set does
(bench/common.py), so that the officer's subject has the same records in both. The secondary
indexes and foreign keys are dropped during the COPY and rebuilt after it, as migrations define
them, then VACUUM ANALYZE.

Then, through the ASGI app in this process, one request at a time, rounds interleaved:
- goal 1's officer query (bench.query_log_overhead.SMALL_QUERY, purpose and permit) on the big
  set against the same on a demo-sized set (100 x 10) on the same server: p50 ratio, goal ≤ 1.2;
- `subjectSearch(name)` on part of a name (its brand, three characters), a different name each
  request: p50, goal ≤ 20 ms;
- EXPLAIN of every SELECT those requests sent, printed, each checked for a sequential scan of a
  table of more than SMALL_TABLE rows (a scan of the catalogue or the departments is cheaper
  than any index and allowed).
Never part of `make test`; minutes at full size.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from bench.common import PERMIT, benchmark_items, org_code, record_values, register_permit, seeded_engine
from bench.policy_overhead import SECRET
from bench.query_log_overhead import SMALL_QUERY
from gateway.app import create_app
from gateway.identity import IdentityConfig, TokenVerifier, mint_token
from gateway.settings import Settings
from store.bootstrap import initialise
from store.engine import create_engine, drop_postgres_database, recreate_postgres_database

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/credit_gateway_bench_scale"
GOAL_RATIO, GOAL_SEARCH_MS = 1.2, 20.0
SMALL_TABLE = 10_000  # rows: below it a sequential scan is the right plan
SUBJECT_BATCH = 10_000  # subjects per COPY, with their records
SEARCH = "query($n: String!){ subjectSearch(name: $n, first: 20){ edges { node { code name } } } }"

CITIES = ["威海市", "烟台市", "青岛市", "济南市", "潍坊市", "临沂市", "淄博市", "日照市", "泰安市", "德州市"]
DISTRICTS = ["环翠区", "文登区", "荣成", "乳山", "芝罘区", "莱山区", "市南区", "历下区", "奎文区", "兰山区",
             "张店区", "东港区", "泰山区", "德城区", "高新区", "经济开发区"]
BRAND = ("华泰鑫源恒通达瑞祥宏盛利丰隆昌兴旺福鼎嘉禾润泽海川东方明辉金银玉龙凤天地和美佳信诚安康永新博远"
         "中科创智联合力众志成宇航星光晨曦蓝图卓越精工顺发广聚益民惠邦德胜春秋翠竹松柏梧桐桑榆")
TRADES = ["商贸", "科技", "建筑工程", "食品", "物流", "餐饮管理", "机械制造", "电子", "纺织", "医药",
          "水产", "房地产开发", "农业", "教育咨询", "汽车销售", "环保科技"]
FORMS = ["有限公司", "股份有限公司", "有限责任公司", "个体工商户", "合作社", "分公司"]


def subject_name(rng: random.Random) -> tuple[str, str]:
    """(name, brand): the brand is three characters, what a user would type to find the company."""
    brand = "".join(rng.choice(BRAND) for _ in range(3))
    return (f"{rng.choice(CITIES)}{rng.choice(DISTRICTS)}{brand}{rng.choice(TRADES)}{rng.choice(FORMS)}", brand)


# ---- generation ---------------------------------------------------------------------------------

async def _columns(raw, table: str) -> list[str]:
    return [r["column_name"] for r in await raw.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position", table)]


async def _drop_secondary(raw) -> list[str]:
    """Drop the records' and subjects' foreign keys, unique constraints and other non-key indexes;
    the statements that rebuild them (indexes, then unique constraints, then foreign keys)."""
    constraints = await raw.fetch(
        "SELECT conrelid::regclass::text AS tbl, conname, contype, pg_get_constraintdef(oid) AS def "
        "FROM pg_constraint WHERE (contype = 'f' AND (conrelid = 'records'::regclass OR confrelid IN "
        "('records'::regclass, 'subjects'::regclass))) "
        "OR (contype = 'u' AND conrelid IN ('records'::regclass, 'subjects'::regclass)) ORDER BY contype")
    indexes = await raw.fetch(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i "
        "WHERE i.indrelid IN ('records'::regclass, 'subjects'::regclass) AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)")
    for c in constraints:  # foreign keys first ('f' < 'u')
        await raw.execute(f'ALTER TABLE {c["tbl"]} DROP CONSTRAINT "{c["conname"]}"')
    for i in indexes:
        await raw.execute(f"DROP INDEX {i['name']}")
    return [i["def"] for i in indexes] + [f'ALTER TABLE {c["tbl"]} ADD CONSTRAINT "{c["conname"]}" {c["def"]}'
                                          for c in reversed(constraints)]


async def generate(url: str, subjects: int, records: int) -> list[str]:
    """The big set in `url` (created); returns the brands of its names, to search for."""
    per_subject = max(1, records // subjects)
    engine = create_engine(url)
    rng = random.Random(14)
    brands: list[str] = []
    started = time.perf_counter()
    try:
        profile = await initialise(engine, "huancui")
        items = benchmark_items(profile)
        now = dt.datetime.now(dt.timezone.utc)
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            rebuild = await _drop_secondary(raw)
            subject_columns, record_columns = await _columns(raw, "subjects"), await _columns(raw, "records")
            # per item, the record's columns that do not depend on the subject (content JSON-encoded once)
            templates = []
            for item in items:
                values = {**record_values(item, "", 0, 0), "version": 1, "submitted_at": now, "updated_at": now,
                          "deadline_provisional": False, "late_working_days": 0}
                values["content"] = json.dumps(values["content"], ensure_ascii=False)
                templates.append(values)
            decided = [dt.date(2025, 1, 1) + dt.timedelta(days=r) for r in range(per_subject)]
            next_id = 1
            for start in range(0, subjects, SUBJECT_BATCH):
                serials = range(start, min(start + SUBJECT_BATCH, subjects))
                subject_rows, record_rows = [], []
                for s in serials:
                    code = org_code(s)
                    name, brand = subject_name(rng)
                    brands.append(brand)
                    row = {"code": code, "kind": "ORGANISATION", "name": name, "status": "ACTIVE",
                           "ended_on": None, "created_at": now}
                    subject_rows.append(tuple(row.get(c) for c in subject_columns))
                    for r in range(per_subject):
                        values = {**templates[(s + r) % len(templates)], "id": next_id, "subject_code": code,
                                  "document_number": f"BENCH-{s}-{r}", "decided_on": decided[r]}
                        record_rows.append(tuple(values.get(c) for c in record_columns))
                        next_id += 1
                await raw.copy_records_to_table("subjects", columns=subject_columns, records=subject_rows)
                await raw.copy_records_to_table("records", columns=record_columns, records=record_rows)
                print(f"  {serials.stop:>9,} subjects, {next_id - 1:>11,} records "
                      f"({time.perf_counter() - started:6.0f} s)", flush=True)
            await raw.execute("SELECT setval(pg_get_serial_sequence('records', 'id'), $1)", next_id)
            copied = time.perf_counter()
            for statement in rebuild:
                await raw.execute(statement)
            print(f"  indexes and foreign keys rebuilt in {time.perf_counter() - copied:.0f} s", flush=True)
            await raw.execute("VACUUM ANALYZE subjects")
            await raw.execute("VACUUM ANALYZE records")
        async with engine.begin() as connection:
            await register_permit(connection)
            await connection.execute(text("CREATE TABLE bench_scale (subjects bigint, records bigint, brands json)"))
            await connection.execute(text("INSERT INTO bench_scale VALUES (:s, :r, :b)"),
                                     {"s": subjects, "r": records, "b": json.dumps(brands[:5000], ensure_ascii=False)})
    finally:
        await engine.dispose()
    print(f"generated {subjects:,} subjects and {subjects * per_subject:,} records by COPY in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return brands[:5000]


async def existing(url: str, subjects: int, records: int) -> list[str] | None:
    """The brands of a big set of this size generated before in `url`, or None."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(text("SELECT subjects, records, brands FROM bench_scale"))).first()
    except Exception:  # noqa: BLE001 - no database, or no set in it
        return None
    finally:
        await engine.dispose()
    if row is None or (row.subjects, row.records) != (subjects, records):
        return None
    return row.brands if isinstance(row.brands, list) else json.loads(row.brands)


# ---- measuring ----------------------------------------------------------------------------------

@dataclass
class Result:
    officer_p50_ms: float
    demo_p50_ms: float
    search_p50_ms: float
    search_p99_ms: float
    search_sql_p50_ms: float  # the search statement alone in PostgreSQL (EXPLAIN ANALYZE's execution time)
    plans: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (statement, plan, faults)

    @property
    def ratio(self) -> float:
        return self.officer_p50_ms / self.demo_p50_ms

    @property
    def indexed(self) -> bool:
        return all(not faults for _s, _p, faults in self.plans)


def _scans(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _scans(child)


async def explain(engine, statements: list[tuple[str, tuple]]) -> list[tuple[str, str, list[str]]]:
    """Each statement's plan (text) and its faults: sequential scans of tables past SMALL_TABLE rows."""
    explained = []
    async with engine.connect() as connection:
        sizes = dict((await connection.execute(text(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
        ))).all())
        for statement, parameters in statements:
            plan_text = "\n".join(r[0] for r in await connection.exec_driver_sql("EXPLAIN " + statement, parameters))
            [[plan]] = (await connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)).all()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            faults = [f"Seq Scan on {n['Relation Name']} ({sizes.get(n['Relation Name'], 0):,.0f} rows)"
                      for n in _scans(plan[0]["Plan"]) if n["Node Type"] == "Seq Scan"
                      and sizes.get(n["Relation Name"], 0) > SMALL_TABLE]
            explained.append((statement, plan_text, faults))
    return explained


async def executed_ms(engine, statement: str, parameter_sets: list[tuple]) -> list[float]:
    """PostgreSQL's own execution time of `statement` for each parameter set (no client, no Python)."""
    times = []
    async with engine.connect() as connection:
        for parameters in parameter_sets:
            [[plan]] = (await connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement,
                                                         parameters)).all()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            times.append(plan[0]["Execution Time"])
    return times


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


async def _timed(client, payload: dict, headers: dict) -> float:
    started = time.perf_counter()
    response = await client.post("/graphql", json=payload, headers=headers)
    elapsed = time.perf_counter() - started
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, response.text[:500]
    return elapsed


async def measure(big_url: str, demo_url: str, brands: list[str], rounds: int, per_round: int) -> Result:
    big, demo_engine = create_engine(big_url), None
    try:
        demo_engine, demo_codes = await seeded_engine(demo_url)
        code = org_code(0)  # the same subject, with the same records, in both sets
        assert demo_codes[0] == code
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
            settings = Settings(data_dir=Path(folder), database_url="unused", load_demo_on_empty=False)
            verifier = TokenVerifier(IdentityConfig(mode="hs256", hs256_secret=SECRET))
            token = mint_token(SECRET, user="bench", name="测试员", department="SCJG", roles=["officer"])
            officer = {"Authorization": f"Bearer {token}", "X-Query-Purpose": "licensing", "X-Query-Basis": PERMIT}
            query = {"query": SMALL_QUERY, "variables": {"c": code}}
            rng = random.Random(4)
            searches = [{"query": SEARCH, "variables": {"n": b}} for b in rng.sample(brands, min(len(brands), 2000))]
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(
                        settings, engine=big, verifier=verifier)), base_url="http://b") as on_big, \
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(
                        settings, engine=demo_engine, verifier=verifier)), base_url="http://b") as on_demo:
                for _ in range(20):  # warm-up: caches, pools, plans
                    await _timed(on_big, query, officer)
                    await _timed(on_demo, query, officer)
                    await _timed(on_big, searches[0], {})
                big_times, demo_times, search_times = [], [], []
                for round_ in range(rounds):
                    for _ in range(per_round):
                        big_times.append(await _timed(on_big, query, officer))
                        demo_times.append(await _timed(on_demo, query, officer))
                        search = searches[len(search_times) % len(searches)]
                        search_times.append(await _timed(on_big, search, {}))
                # the statements of one officer query and one search, for EXPLAIN
                seen: list[tuple[str, tuple]] = []

                def capture(_connection, _cursor, statement, parameters, _context, executemany):
                    if not executemany and statement.lstrip().upper().startswith(("SELECT", "WITH")):
                        seen.append((statement, tuple(parameters or ())))

                event.listen(big.sync_engine, "before_cursor_execute", capture)
                try:
                    await _timed(on_big, query, officer)
                    await _timed(on_big, searches[1], {})
                finally:
                    event.remove(big.sync_engine, "before_cursor_execute", capture)
        plans = await explain(big, seen)
        [(search_sql, search_parameters)] = [(st, p) for st, p in seen if "subjects.name LIKE" in st]
        sql_times = await executed_ms(big, search_sql, [tuple(f"%{b}%" if str(v).startswith("%") else v
                                                               for v in search_parameters) for b in brands[:200]])
    finally:
        await big.dispose()
        if demo_engine is not None:
            await demo_engine.dispose()
        await drop_postgres_database(demo_url)
    return Result(statistics.median(big_times) * 1000, statistics.median(demo_times) * 1000,
                  _p(search_times, 0.5), _p(search_times, 0.99), statistics.median(sql_times), plans)


async def run(url: str, subjects: int, records: int, *, reuse: bool = False, rounds: int = 5,
              per_round: int = 60) -> Result:
    brands = await existing(url, subjects, records) if reuse else None
    if brands is None:
        await recreate_postgres_database(url)
        brands = await generate(url, subjects, records)
    demo = make_url(url)
    demo_url = demo.set(database=f"{demo.database}_demo").render_as_string(hide_password=False)
    await recreate_postgres_database(demo_url)
    return await measure(url, demo_url, brands, rounds, per_round)


def report(result: Result, subjects: int, records: int) -> None:
    for statement, plan, faults in result.plans:
        print("\n" + " ".join(statement.split())[:400])
        print(plan)
        print("  -> " + ("; ".join(faults) if faults else "uses an index (or reads a table too small for one)"))
    print(f"\n{subjects:,} subjects, {records:,} records:")
    print(f"officer subject query p50: {result.officer_p50_ms:.2f} ms; on demo-sized data {result.demo_p50_ms:.2f} ms;"
          f" ratio {result.ratio:.2f} (goal ≤ {GOAL_RATIO})")
    print(f"subjectSearch on a three-character part of a name: p50 {result.search_p50_ms:.2f} ms, "
          f"p99 {result.search_p99_ms:.2f} ms (goal p50 ≤ {GOAL_SEARCH_MS:.0f} ms); its SQL alone "
          f"p50 {result.search_sql_p50_ms:.2f} ms")
    print(f"every plan of the read path uses an index: {'yes' if result.indexed else 'NO'}")


def met(result: Result) -> bool:
    return result.ratio <= GOAL_RATIO and result.search_p50_ms <= GOAL_SEARCH_MS and result.indexed


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="scratch database, dropped and created")
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep a set of this size generated before in it")
    args = parser.parse_args(argv)
    result = await run(args.postgres, args.subjects, args.records, reuse=args.reuse)
    report(result, args.subjects, args.records)
    return 0 if met(result) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
