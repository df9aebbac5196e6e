"""`credit-gateway add-holidays FILE`: an operator adds a year's official holiday schedule.

The State Council publishes next year's holidays and adjusted working days each November; until
a year is added, deadlines running into it are counted on weekdays less the statutory holidays and
marked provisional (SPEC 3.4, last point). Adding it stores the schedule in the database, so every
worker counts with it at once, and counts again the deadlines that were provisional.

Exit codes: 0 added, 2 nothing changed (unreadable or invalid file; the message names every fault).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path
from typing import Callable

from gateway.settings import Settings


def add_calendar_command(subparsers: argparse._SubParsersAction,
                         settings_factory: Callable[[], Settings] = Settings.from_env) -> None:
    """Add `add-holidays` to the `credit-gateway` parser."""
    p = subparsers.add_parser(
        "add-holidays", help="add (or replace) a year's holiday schedule",
        description="Store one year's official holiday schedule (国务院办公厅节假日安排通知) in the database: "
                    "a YAML file with year, source, holidays and working_days, as domain/holidays/README.md "
                    "describes. A year given again replaces the stored one entirely. Deadlines that were "
                    "provisional (weekdays less the statutory holidays: the year was unpublished) are counted again.")
    p.add_argument("file", metavar="FILE", help="the year's schedule, e.g. 2027.yaml")
    p.add_argument("--user", help="who adds it, for the submission log (default: cli:<login name>)")
    p.set_defaults(func=lambda args: _add_holidays(args, settings_factory()))


def _add_holidays(args: argparse.Namespace, settings: Settings) -> int:
    from domain.working_days import ScheduleError
    from resolvers.calendar_years import add_calendar_year
    from store.bootstrap import initialise
    from store.engine import create_engine

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"credit-gateway: holidays not added: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    user = args.user or f"cli:{getpass.getuser()}"

    async def main() -> int:
        engine = create_engine(settings.resolved_database_url)
        try:
            await initialise(engine, settings.profile)
            change = await add_calendar_year(engine, text, str(path), user=user)
        except ScheduleError as exc:
            print(f"credit-gateway: holidays not added: {exc}", file=sys.stderr)
            return 2
        finally:
            await engine.dispose()
        verb = "replaced" if change.replaced else "added"
        print(f"{change.year} {verb}: {change.holidays} holiday dates, {change.working_days} adjusted working days; "
              f"{change.recounted} provisional deadline(s) counted again")
        return 0

    return asyncio.run(main())
