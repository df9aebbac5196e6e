"""Batch import throughput (issue 5): 100,000 rows from .xlsx and from .csv, into SQLite and PostgreSQL.

Each run imports one generated file into a fresh database (a new SQLite file; a PostgreSQL
scratch database dropped and created again) through `ingest.spreadsheet_import.import_file`, best
effort, chunks of 1,000, no progress bar: the same path as `credit-gateway import`. Every row is a
new record of a subject the gateway does not know yet (the subject is created too), the heavier
case. Goal: at least 10,000 rows a second for CSV into PostgreSQL.

    .venv/bin/python -m bench.import_rows [--rows N] [--postgres URL | --no-postgres] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import csv
import datetime as dt
import functools
import os
import pstats
import resource
import tempfile
import time
from pathlib import Path

from bench import common
from domain.catalogue import load_profile
from ingest.spreadsheet_import import import_file
from ingest.spreadsheets import DATA_SHEET, ITEM_MARKER, layout
from store.bootstrap import initialise
from store.engine import create_engine, recreate_postgres_database

ITEM_CODE = "HC-13-6-PENALTY"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/credit_gateway_bench_import"


org_code = functools.partial(common.org_code, series="MR")


def rows(item, count: int):
    first = dt.date(2025, 1, 1)
    for serial in range(count):
        decided = first + dt.timedelta(days=serial % 300)
        yield {"subjectCode": org_code(serial), "subjectName": f"威海市基准导入{serial:06d}有限公司",
               "documentNumber": f"威环市监罚〔2025〕{serial}号", "issuingAuthority": "环翠区市场监督管理局",
               "decidedOn": decided.isoformat(), "violation": "未按规定公示年度报告",
               "legalBasis": "《企业信息公示暂行条例》第十八条", "penaltyKind": "罚款",
               "fineAmount": f"{serial % 97 + 0.5}"}


def write_csv(path: Path, item, count: int) -> Path:
    columns = layout(item)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.label for c in columns])
        for row in rows(item, count):
            writer.writerow([row.get(c.key, "") for c in columns])
    return path


def write_xlsx(path: Path, item, count: int) -> Path:
    """What a clerk's filled-in template looks like (header, description and key rows, dates as
    dates), written in openpyxl's streaming mode."""
    from openpyxl import Workbook

    columns = layout(item)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(DATA_SHEET)
    sheet.append([c.label for c in columns])
    sheet.append([c.description for c in columns])
    sheet.append([c.key for c in columns] + [ITEM_MARKER + item.code])
    for row in rows(item, count):
        row["decidedOn"] = dt.datetime.fromisoformat(row["decidedOn"])
        row["fineAmount"] = float(row["fineAmount"])
        sheet.append([row.get(c.key) for c in columns])
    workbook.save(path)
    return path


async def run(path: Path, url: str, profile, profiler: cProfile.Profile | None) -> tuple[float, object]:
    engine = create_engine(url)
    try:
        await initialise(engine, profile.code)
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        report = await import_file(engine, path, profile=profile, department="SCJG", user="bench",
                                   item=ITEM_CODE, progress=False)
        if profiler:
            profiler.disable()
        return time.perf_counter() - start, report
    finally:
        await engine.dispose()


def _peak_mb() -> float:
    """Peak resident memory of this process: flat across runs when the files are streamed."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.import_rows", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="scratch database, dropped and created for each run (default: %(default)s)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only", choices=("csv", "xlsx"), help="one format only")
    parser.add_argument("--profile", action="store_true", help="print where the time goes (cProfile)")
    args = parser.parse_args(argv)
    profile = load_profile("huancui")
    item = profile.item(ITEM_CODE)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        folder = Path(folder)
        files = {}
        for kind, writer in (("csv", write_csv), ("xlsx", write_xlsx)):
            if args.only and kind != args.only:
                continue
            start = time.perf_counter()
            files[kind] = writer(folder / f"rows.{kind}", item, args.rows)
            print(f"generated {args.rows:,} rows as .{kind} ({files[kind].stat().st_size / 1e6:.1f} MB) "
                  f"in {time.perf_counter() - start:.1f} s (peak RSS {_peak_mb():.0f} MB)", flush=True)
        for kind, path in files.items():
            targets = [("SQLite", f"sqlite+aiosqlite:///{folder / f'{kind}.sqlite3'}")]
            if not args.no_postgres:
                targets.append(("PostgreSQL", args.postgres))
            for backend, url in targets:
                if backend == "PostgreSQL":
                    url = await recreate_postgres_database(url)
                profiler = cProfile.Profile() if args.profile else None
                seconds, report = await run(path, url, profile, profiler)
                assert report.stored == args.rows, report.summary()
                print(f".{kind:<4} -> {backend:<10} {args.rows:>7,} rows in {seconds:6.1f} s = "
                      f"{args.rows / seconds:8,.0f} rows/s   (peak RSS so far {_peak_mb():.0f} MB)", flush=True)
                if profiler:
                    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    asyncio.run(main())
