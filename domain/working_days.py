"""Deadlines counted in Chinese working days (工作日).

Regulations set deadlines such as "within 7 working days of the decision". A working day is
Monday to Friday, except statutory holidays (放假), plus the weekend days the State Council
turns into working days (调休上班). Both change every year and are only known once the
State Council publishes that year's notice, usually in the November before.

The schedules are data, not code: one YAML file per year in ``domain/holidays/`` (shipped) or
in a deployment's data folder (added by an operator when a new notice comes out). A year
nobody has published yet is counted on weekdays minus the statutory holidays the national
rules fix (``domain/statutory_holidays.py``; no adjusted working day is guessed) and the result
is marked ``provisional`` -- never an error, because a deadline in next January must be
computable today and re-checked once the notice is out (SPEC 3.4).

The start day is never counted: a decision on day D with a 7-working-day deadline is due on
the 7th working day after D.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml

from domain.statutory_holidays import statutory_days

__all__ = [
    "Counted",
    "Deadline",
    "HolidaySchedule",
    "ScheduleError",
    "WorkingDayCalendar",
    "load_schedule",
    "parse_schedule",
    "validate_schedule",
]

SHIPPED_DIR = Path(__file__).with_name("holidays")
_ONE_DAY = dt.timedelta(days=1)
_SATURDAY = 5
_KEYS = {"year", "source", "holidays", "working_days"}
_RANGE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*(?:\.\.\s*(\d{4}-\d{2}-\d{2})\s*)?$")


class ScheduleError(ValueError):
    """A schedule file that must not be used; the message names the file and every problem."""


@dataclass(frozen=True)
class Deadline:
    """When something is due; ``provisional`` if the count crossed an unpublished year."""

    due: dt.date
    provisional: bool


@dataclass(frozen=True)
class Counted:
    """A number of working days; ``provisional`` if the count crossed an unpublished year."""

    days: int
    provisional: bool


@dataclass(frozen=True)
class HolidaySchedule:
    """One year's published arrangement.

    ``holidays`` are the 放假 dates exactly as the notice lists them: the ranges include
    the weekend days inside a holiday period. Those are accepted and kept (they are not
    working days either way), so the file can be proofread line by line against the notice.
    ``working_days`` are the 调休上班 dates and must all be Saturdays or Sundays.
    """

    year: int
    holidays: frozenset[dt.date]
    working_days: frozenset[dt.date]
    source: str = ""

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() < _SATURDAY and day not in self.holidays


def validate_schedule(schedule: HolidaySchedule, origin: str) -> HolidaySchedule:
    """Refuse a schedule that would silently miscount deadlines; return it unchanged if sound.

    ``origin`` (usually the file path) starts the error message so the operator knows which
    file to fix.
    """
    problems = []
    for kind, days in (("holiday", schedule.holidays), ("working day", schedule.working_days)):
        for day in sorted(d for d in days if d.year != schedule.year):
            problems.append(f"{kind} {day} is outside the year {schedule.year}")
    for day in sorted(schedule.holidays & schedule.working_days):
        problems.append(f"{day} is listed both as a holiday and as a working day")
    for day in sorted(d for d in schedule.working_days if d.weekday() < _SATURDAY):
        problems.append(
            f"working day {day} is a {day:%A}; only weekend days can be adjusted working days"
        )
    if problems:
        raise ScheduleError(f"{origin}: " + "; ".join(problems))
    return schedule


def parse_schedule(data: object, origin: str) -> HolidaySchedule:
    """Build and validate a schedule from a loaded YAML document (format: holidays/README.md)."""

    def fail(problem: str) -> ScheduleError:
        return ScheduleError(f"{origin}: {problem}")

    if not isinstance(data, dict):
        raise fail("expected a mapping with keys year, source, holidays, working_days")
    unknown = sorted(map(str, set(data) - _KEYS))
    if unknown:  # a misspelt key would otherwise drop a whole list without a word
        raise fail(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_KEYS))}")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise fail(f"'year' must be a whole number, got {year!r}")
    name = Path(origin).stem
    if name.isdigit() and int(name) != year:
        raise fail(f"the file is named for {name} but says year: {year}")

    def dates(key: str) -> frozenset[dt.date]:
        items = data.get(key) or []
        if not isinstance(items, list):
            raise fail(f"'{key}' must be a list of dates or ranges 'YYYY-MM-DD..YYYY-MM-DD'")
        found: set[dt.date] = set()
        for item in items:
            try:
                found.update(_expand(item))
            except ValueError as exc:
                raise fail(f"'{key}': {exc}") from None
        return frozenset(found)

    schedule = HolidaySchedule(
        year=year,
        holidays=dates("holidays"),
        working_days=dates("working_days"),
        source=str(data.get("source") or ""),
    )
    if not schedule.holidays and not schedule.working_days:  # a file of no dates is a mistake, not a year
        raise fail("the file lists no dates: copy the notice's holidays and adjusted working days")
    return validate_schedule(schedule, origin)


def read_schedule(text: str, origin: str) -> HolidaySchedule:
    """A schedule from its YAML text; any defect, an impossible unquoted date (`2030-13-01`, which
    YAML's own date reader rejects) included, raises ``ScheduleError`` naming `origin`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScheduleError(f"{origin}: cannot read schedule: not valid YAML: {exc}") from None
    except ValueError as exc:  # YAML read an unquoted date that does not exist
        raise ScheduleError(f"{origin}: cannot read schedule: a date that does not exist ({exc})") from None
    return parse_schedule(data, origin)


def load_schedule(path: str | Path) -> HolidaySchedule:
    """Read one ``<year>.yaml`` file; any defect raises ``ScheduleError`` naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleError(f"{path}: cannot read schedule: {exc}") from None
    return read_schedule(text, str(path))


def _expand(item: object) -> Iterator[dt.date]:
    """One list entry: a YAML date, 'YYYY-MM-DD' or an inclusive range 'first..last'."""
    if isinstance(item, dt.date) and not isinstance(item, dt.datetime):
        yield item
        return
    match = _RANGE.match(item) if isinstance(item, str) else None
    if not match:
        raise ValueError(f"{item!r} is not a date 'YYYY-MM-DD' or a range 'YYYY-MM-DD..YYYY-MM-DD'")
    try:
        first = dt.date.fromisoformat(match[1])
        last = dt.date.fromisoformat(match[2] or match[1])
    except ValueError:
        raise ValueError(f"{item!r} is not a real calendar date") from None
    if last < first:
        raise ValueError(f"range {item!r} ends before it starts")
    while first <= last:
        yield first
        first += _ONE_DAY


class WorkingDayCalendar:
    """Counts working days using the published schedules it holds; immutable.

    Years without a schedule count Monday to Friday less the statutory holidays and mark
    results provisional.
    """

    def __init__(self, schedules: Mapping[int, HolidaySchedule] = MappingProxyType({})):
        for year, schedule in schedules.items():
            if schedule.year != year:
                raise ValueError(f"schedule for {schedule.year} filed under year {year}")
        self._schedules = MappingProxyType(dict(schedules))
        self._running_totals: dict[int, list[int]] = {}  # year -> working days from 1 January through each day

    # -- construction ------------------------------------------------------------------

    @classmethod
    @functools.cache
    def shipped(cls) -> WorkingDayCalendar:
        """The schedules packaged in ``domain/holidays/`` (cached: the calendar is immutable)."""
        return cls.from_files(sorted(SHIPPED_DIR.glob("*.yaml")))

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> WorkingDayCalendar:
        """A calendar holding exactly these files' years."""
        return cls()._merged(paths)

    def with_year(self, schedule: HolidaySchedule) -> WorkingDayCalendar:
        """A copy where ``schedule`` replaces whatever this calendar had for its year."""
        validate_schedule(schedule, f"schedule for {schedule.year}")
        return WorkingDayCalendar({**self._schedules, schedule.year: schedule})

    def load_directory(self, path: str | Path) -> WorkingDayCalendar:
        """A copy with every ``*.yaml`` / ``*.yml`` in ``path`` added, replacing years it had.

        This is how a deployment adds a newly published year (or corrects one) without a
        release: ``WorkingDayCalendar.shipped().load_directory(data_dir)``. A year is replaced
        whole, so an override file must list the entire year, not just the changes.
        """
        folder = Path(path)
        if not folder.is_dir():
            raise ScheduleError(f"{folder}: not a directory of holiday schedules")
        return self._merged(sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]))

    def _merged(self, paths: Iterable[str | Path]) -> WorkingDayCalendar:
        added: dict[int, tuple[Path, HolidaySchedule]] = {}
        for path in map(Path, paths):
            schedule = load_schedule(path)
            if schedule.year in added:  # two files for one year: neither can be trusted to win
                other = added[schedule.year][0]
                raise ScheduleError(f"{path}: year {schedule.year} is also given by {other}")
            added[schedule.year] = (path, schedule)
        return WorkingDayCalendar({**self._schedules, **{y: s for y, (_, s) in added.items()}})

    # -- queries -----------------------------------------------------------------------

    @property
    def published_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._schedules))

    def is_published(self, year: int) -> bool:
        return year in self._schedules

    def is_working_day(self, day: dt.date) -> bool:
        """Per the published schedule; for an unpublished year, Monday to Friday except the
        statutory holidays (SPEC 3.4)."""
        schedule = self._schedules.get(day.year)
        if schedule:
            return schedule.is_working_day(day)
        return day.weekday() < _SATURDAY and day not in statutory_days(day.year)

    def add_working_days(self, start: dt.date, n: int) -> Deadline:
        """The ``n``-th working day after ``start`` (``start`` itself is never counted).

        ``n == 0`` returns ``start`` unchanged and certain, since no day was examined.
        """
        if n < 0:
            raise ValueError(f"cannot count {n} working days; deadlines run forwards")
        day, provisional = start, False
        while n:
            day += _ONE_DAY
            provisional = provisional or not self.is_published(day.year)
            n -= self.is_working_day(day)
        return Deadline(due=day, provisional=provisional)

    def working_days_between(self, start: dt.date, end: dt.date) -> Counted:
        """Working days in (start, end]: how many working days late a submission on ``end`` is
        when ``start`` was the due date. Zero, and certain, when ``end <= start``.

        Counted from running totals per year, not day by day: an import of historical records
        asks this for every decision date, some of them years back."""
        if end <= start:
            return Counted(days=0, provisional=False)
        days = self._through(end) - self._through(start)
        for year in range(start.year, end.year + 1):
            days += self._running(year)[-1] if start.year < year < end.year else 0
        if start.year < end.year:
            days += self._running(start.year)[-1]  # the rest of start's year: _through(start) came off it
        provisional = any(not self.is_published(year) for year in range((start + _ONE_DAY).year, end.year + 1))
        return Counted(days=days, provisional=provisional)

    def _through(self, day: dt.date) -> int:
        """Working days from 1 January of ``day``'s year through ``day``."""
        return self._running(day.year)[day.timetuple().tm_yday - 1]

    def _running(self, year: int) -> list[int]:
        totals = self._running_totals.get(year)
        if totals is None:
            totals, count, day = [], 0, dt.date(year, 1, 1)
            while day.year == year:
                count += self.is_working_day(day)
                totals.append(count)
                day += _ONE_DAY
            self._running_totals[year] = totals
        return totals
