"""What PostgreSQL alone takes to store an import (issue 5): the ceiling for `bench.import_rows`.

Writes the same 100,000 new subjects and penalty records as `bench.import_rows` with nothing
else: rows built in advance, no file, no checking, no look-ups, no submission log; per chunk of
1,000, one transaction with a COPY of the subjects, ids reserved from the sequence and a COPY
of the records, as `resolvers.collection` does. Whatever the gateway does, it cannot import
faster than this on the same machine and schema (indexes and foreign keys included).

    .venv/bin/python -m bench.import_floor [--rows N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import time

from bench.import_rows import DEFAULT_POSTGRES, ITEM_CODE, org_code
from store.bootstrap import initialise
from store.engine import create_engine, recreate_postgres_database

CHUNK = 1000
CONTENT = json.dumps({"violation": "未按规定公示年度报告", "legalBasis": "《企业信息公示暂行条例》第十八条",
                      "penaltyKind": "罚款", "fineAmount": 1.5}, ensure_ascii=False)
SUBJECT_COLUMNS = ["code", "kind", "name", "status", "ended_on", "created_at"]


def chunks(count: int, now: dt.datetime, record_columns: list[str]):
    """(subject rows, record rows without id) per chunk: what the importer hands to COPY."""
    for start in range(0, count, CHUNK):
        serials = range(start, min(start + CHUNK, count))
        subjects = [(org_code(i), "ORGANISATION", f"威海市基准导入{i:06d}有限公司", "ACTIVE", None, now)
                    for i in serials]
        records = []
        for i in serials:
            decided = dt.date(2025, 1, 1) + dt.timedelta(days=i % 300)
            row = {"subject_code": org_code(i), "catalogue_item_code": ITEM_CODE, "provider_code": "SCJG",
                   "category": "BAD", "family": "PENALTY", "visibility": "PUBLIC", "severity": "GENERAL",
                   "document_number": f"威环市监罚〔2025〕{i}号", "issuing_authority": "环翠区市场监督管理局",
                   "decided_on": decided, "act_ended_on": decided, "valid_from": None, "valid_until": None,
                   "disclosure_ends_on": decided + dt.timedelta(days=3 * 365), "status": "ACTIVE",
                   "status_changed_on": None, "content": CONTENT, "consent_ref": None, "version": 1,
                   "channel": "BATCH", "submitted_at": now, "submitted_by": "bench", "deadline_on": decided,
                   "deadline_provisional": False, "late_working_days": 300, "updated_at": now}
            records.append(tuple(row[c] for c in record_columns))
        yield subjects, records


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.import_floor", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="scratch database, dropped and created")
    args = parser.parse_args(argv)
    url = await recreate_postgres_database(args.postgres)
    engine = create_engine(url)
    try:
        await initialise(engine, "huancui")
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            record_columns = [r["column_name"] for r in await raw.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'records' "
                "AND column_name <> 'id' ORDER BY ordinal_position")]
            prepared = list(chunks(args.rows, dt.datetime.now(dt.timezone.utc), record_columns))
            start = time.perf_counter()
            for subjects, records in prepared:
                async with raw.transaction():
                    await raw.copy_records_to_table("subjects", columns=SUBJECT_COLUMNS, records=subjects)
                    ids = [r[0] for r in await raw.fetch(
                        "SELECT nextval(pg_get_serial_sequence('records', 'id')) FROM generate_series(1, $1)",
                        len(records))]
                    await raw.copy_records_to_table("records", columns=["id", *record_columns],
                                                    records=[(i, *r) for i, r in zip(ids, records)])
            seconds = time.perf_counter() - start
    finally:
        await engine.dispose()
    print(f"COPY only -> PostgreSQL {args.rows:>7,} rows in {seconds:6.1f} s = {args.rows / seconds:8,.0f} rows/s")


if __name__ == "__main__":
    asyncio.run(main())
