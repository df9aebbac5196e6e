"""`credit-gateway template` and `credit-gateway import`: batch upload from the operators' shell.

Exit codes let a scheduler tell the cases apart: 0 every row stored (or already stored),
1 some rows were refused (the row-level report says which and why), 2 the command itself was
wrong (unknown item or department, unreadable file) and nothing was imported, 3 the database
failed part-way (the acknowledged chunks are stored; running the command again resumes).

While importing, one line per committed chunk goes to standard output, flushed, and only after
the commit: `committed rows 4-1003: 1000 stored, 0 unchanged, 0 rejected; ids 1-1000`. Whatever
those lines name is in the database; a killed import leaves nothing else (each chunk is one
transaction), so an operator resumes by running the same command again (resent records are
recognised by their document number and reported as unchanged).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path
from typing import Callable

from gateway.settings import Settings


def add_spreadsheet_commands(subparsers: argparse._SubParsersAction,
                             settings_factory: Callable[[], Settings]) -> None:
    """Add `template` and `import` to the `credit-gateway` parser."""
    p = subparsers.add_parser(
        "template", help="write the .xlsx template of a catalogue item",
        description="Write the spreadsheet template of a catalogue item: Chinese column headers, a row "
                    "describing each column (type, required, allowed values, date format), drop-down lists "
                    "and cell checks. List the items with: { catalogue { code name } }.")
    p.add_argument("item", metavar="ITEM", help="catalogue item code, e.g. HC-13-6-PENALTY")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx", help="where to write the template")
    p.set_defaults(func=lambda args: _template(args, settings_factory()))

    p = subparsers.add_parser(
        "import", help="import records from an .xlsx or .csv file",
        description="Validate and store the records of a spreadsheet (a template from `template`, or a CSV "
                    "whose header holds the Chinese column names or the field names). Every refused row is "
                    "written to FILE.errors.csv next to the file, with its row number, column and reason. "
                    "Exit code: 0 all rows stored, 1 some rows refused, 2 nothing imported (bad invocation), "
                    "3 stopped part-way by a database error (run it again to resume).")
    p.add_argument("file", metavar="FILE", help=".xlsx or .csv file")
    p.add_argument("--department", required=True, metavar="D", help="the providing department's code, e.g. SCJG")
    p.add_argument("--item", metavar="ITEM",
                   help="catalogue item code (default: the item the template names; needed for a plain CSV)")
    p.add_argument("--all-or-nothing", action="store_true",
                   help="store nothing unless every row is valid (default: store the valid rows)")
    p.add_argument("--user", help="who submits, for the submission log (default: cli:<login name>)")
    p.add_argument("--chunk-size", type=int, default=1000, metavar="N",
                   help="rows per transaction in best-effort mode (default: %(default)s)")
    p.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                   help="progress bar on standard error (default: only on a terminal)")
    p.set_defaults(func=lambda args: _import(args, settings_factory()))


def _fail(message: str) -> int:
    print(f"credit-gateway: {message}", file=sys.stderr)
    return 2


def _item(profile, code: str):
    from ingest.spreadsheet_import import catalogue_item
    from ingest.spreadsheets import SpreadsheetError

    try:
        return catalogue_item(profile, code), 0
    except SpreadsheetError as exc:
        return None, _fail(str(exc))


def _template(args: argparse.Namespace, settings: Settings) -> int:
    from domain.catalogue import load_profile
    from ingest.spreadsheets import write_template

    item, failed = _item(load_profile(settings.profile), args.item)
    if item is None:
        return failed
    output = Path(args.output)
    if output.suffix.lower() != ".xlsx":
        return _fail(f"{output}: a template is an .xlsx file; name it FILE.xlsx")
    try:
        write_template(item, output)
    except OSError as exc:
        return _fail(f"cannot write {output}: {exc.strerror}")
    print(f"template for {item.code} ({item.name}) written to {output}")
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from domain.catalogue import load_profile
    from ingest.spreadsheet_import import ItemNotNamed, item_of
    from ingest.spreadsheets import SpreadsheetError

    profile = load_profile(settings.profile)
    path = Path(args.file)
    if not path.is_file():
        return _fail(f"{path}: no such file")
    if args.department not in profile.departments:
        return _fail(f"no department {args.department!r} in profile {profile.code}; departments: "
                     f"{', '.join(profile.departments)}")
    if args.chunk_size < 1:
        return _fail("--chunk-size must be at least 1")
    try:  # before the database is touched
        item = item_of(path, profile, args.department, args.item)
    except ItemNotNamed as exc:
        return _fail(f"{exc} (--item ITEM)")
    except SpreadsheetError as exc:
        return _fail(str(exc))
    progress = {"auto": None, "always": True, "never": False}[args.progress]
    return asyncio.run(_run_import(settings, profile, item, path, args, progress))


async def _run_import(settings, profile, item, path: Path, args, progress) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from ingest.spreadsheet_import import ImportAborted, import_file
    from ingest.spreadsheets import SpreadsheetError
    from store.bootstrap import initialise
    from store.engine import create_engine

    engine = create_engine(settings.resolved_database_url)
    try:
        await initialise(engine, profile.code)
        report = await import_file(
            engine, path, profile=profile, department=args.department, item=item.code,
            user=args.user or f"cli:{getpass.getuser()}", all_or_nothing=args.all_or_nothing,
            chunk_size=args.chunk_size, progress=progress, on_chunk=_acknowledge)
    except SpreadsheetError as exc:
        return _fail(f"nothing imported: {exc}")
    except ImportAborted as exc:
        return _fail(f"{exc}; run the same command again")
    except (SQLAlchemyError, OSError) as exc:
        print(f"credit-gateway: import stopped: {exc}; the chunks acknowledged above are stored, "
              "run the same command again to resume", file=sys.stderr)
        return 3
    finally:
        await engine.dispose()
    print(report.summary(), flush=True)
    if report.problem_count:
        print(f"row-level errors: {report.report_path}", flush=True)
    return 0 if report.problem_count == 0 else 1


def _acknowledge(ack) -> None:
    """Called after each chunk's commit: what the line names is stored."""
    print(ack.line(), flush=True)
