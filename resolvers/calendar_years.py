"""The working-day calendar deadlines are counted on (SPEC 3.4, last point): the shipped years
plus the official schedules operators add, which replace shipped ones; adding a year recounts
the deadlines that were provisional (counted on weekdays less the statutory holidays) for want of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.catalogue import JurisdictionProfile, load_profile
from domain.enums import CaseKind, SubjectKind
from domain.workflows import workflow_of
from domain.working_days import ScheduleError, WorkingDayCalendar, parse_schedule, read_schedule
from resolvers.record_columns import UTC, derived_facts, submitted_day
from store.chain import append_submission_log
from store.engine import dialect_insert
from store.models import CalendarYear, Case, Record, RecordEvent, Setting, Subject

R = Record.__table__
S = Subject.__table__
C = CalendarYear.__table__

MAX_SCHEDULE_TEXT = 64 * 1024
CALENDAR_YEARS = range(2000, 2101)


async def deployment_profile(engine_or_connection: AsyncEngine | AsyncConnection) -> JurisdictionProfile:
    """The jurisdiction profile the database was initialised with (fixed at init-db)."""
    statement = select(Setting.value).where(Setting.key == "profile")
    if isinstance(engine_or_connection, AsyncEngine):
        async with engine_or_connection.connect() as connection:
            code = (await connection.execute(statement)).scalar()
    else:
        code = (await engine_or_connection.execute(statement)).scalar()
    if code is None:
        raise RuntimeError("the database has no jurisdiction profile: run `credit-gateway init-db` first")
    return load_profile(code)


_CALENDAR_CACHE: dict[tuple, WorkingDayCalendar] = {}


async def _calendar(connection: AsyncConnection) -> WorkingDayCalendar:
    rows = (await connection.execute(select(C.c.year, C.c.schedule, C.c.added_at).order_by(C.c.year))).all()
    key = tuple((r.year, str(r.added_at)) for r in rows)
    cached = _CALENDAR_CACHE.get(key)
    if cached is None:
        cached = WorkingDayCalendar.shipped()
        for row in rows:
            cached = cached.with_year(parse_schedule(row.schedule, f"calendar_years/{row.year}"))
        _CALENDAR_CACHE.clear()
        _CALENDAR_CACHE[key] = cached
    return cached


async def working_day_calendar(engine: AsyncEngine) -> WorkingDayCalendar:
    """The shipped schedules plus the years operators added (they replace shipped ones)."""
    async with engine.connect() as connection:
        return await _calendar(connection)


@dataclass(frozen=True)
class CalendarChange:
    year: int
    holidays: int
    working_days: int
    replaced: bool
    recounted: int  # stored records whose provisional deadline was counted again


async def add_calendar_year(engine: AsyncEngine, schedule_yaml_text: str, source: str,
                            *, user: str | None = None) -> CalendarChange:
    """Store one year's official schedule (format: domain/holidays/README.md); raises ScheduleError.

    A year given again replaces the stored one entirely. Records whose deadline was provisional
    (counted on weekdays less the statutory holidays) are counted again on the new calendar, in the
    same transaction.
    """
    if len(schedule_yaml_text) > MAX_SCHEDULE_TEXT:
        raise ScheduleError(f"{source}: {len(schedule_yaml_text)} characters; a year's schedule is far shorter "
                            f"(at most {MAX_SCHEDULE_TEXT})")
    schedule = read_schedule(schedule_yaml_text, source)
    if schedule.year not in CALENDAR_YEARS:
        raise ScheduleError(f"{source}: year {schedule.year} is outside {CALENDAR_YEARS.start}.."
                            f"{CALENDAR_YEARS.stop - 1}")
    stored = {"year": schedule.year, "source": schedule.source,
              "holidays": sorted(d.isoformat() for d in schedule.holidays),
              "working_days": sorted(d.isoformat() for d in schedule.working_days)}
    async with engine.begin() as connection:
        replaced = (await connection.execute(select(C.c.year).where(C.c.year == schedule.year))).scalar() is not None
        insert = dialect_insert(connection)(C).values(year=schedule.year, schedule=stored, source=source[:256],
                                                       added_at=dt.datetime.now(UTC))
        await connection.execute(insert.on_conflict_do_update(index_elements=["year"], set_={
            "schedule": insert.excluded.schedule, "source": insert.excluded.source,
            "added_at": insert.excluded.added_at}))
        profile, calendar = await deployment_profile(connection), await _calendar(connection)
        recounted = await _recount_provisional(connection, profile, calendar) \
            + await _recount_provisional_cases(connection, profile, calendar)
        change = CalendarChange(schedule.year, len(schedule.holidays), len(schedule.working_days), replaced,
                                recounted)
        await append_submission_log(connection, user=user, department=None, action="CALENDAR", detail={
            "year": change.year, "source": source[:256], "holidays": change.holidays,
            "working_days": change.working_days, "replaced": replaced, "recounted": recounted})
    return change


async def _recount_provisional(connection: AsyncConnection, profile: JurisdictionProfile,
                               calendar: WorkingDayCalendar) -> int:
    rows = (await connection.execute(
        select(R.c.id, R.c.catalogue_item_code, R.c.decided_on, R.c.act_ended_on, R.c.valid_until,
               R.c.submitted_at, S.c.kind, S.c.ended_on).join(S, S.c.code == R.c.subject_code)
        .where(R.c.deadline_provisional.is_(True)))).all()
    changes = []
    for row in rows:
        item = profile.items.get(row.catalogue_item_code)
        if item is None or SubjectKind(row.kind) not in item.subject_kinds:
            continue
        facts, _ = derived_facts(item, profile, calendar, SubjectKind(row.kind), row.ended_on, row._mapping,
                                 submitted_day(row.submitted_at, profile))
        changes.append({"rid": row.id, "due": facts.deadline_on, "provisional": facts.deadline_provisional,
                        "late": facts.late_working_days})
    if changes:
        await connection.execute(update(R).where(R.c.id == bindparam("rid")).values(
            deadline_on=bindparam("due"), deadline_provisional=bindparam("provisional"),
            late_working_days=bindparam("late")), changes)
    return len(changes)


_OPEN_PROVISIONAL_CASES = select(Case.id, Case.kind, Case.state).where(Case.closed_at.is_(None),
                                                                      Case.due_provisional.is_(True))
_STEP_DAYS = select(RecordEvent.case_id, RecordEvent.kind, func.max(RecordEvent.effective_on).label("day")).where(
    RecordEvent.case_id.in_(bindparam("case_ids", expanding=True))).group_by(RecordEvent.case_id, RecordEvent.kind)


async def _recount_provisional_cases(connection: AsyncConnection, profile: JurisdictionProfile,
                                     calendar: WorkingDayCalendar) -> int:
    """Open cases whose next party's day was provisional, counted again from the day of the step
    that set it (its event's), by the step's number of working days (domain/workflows.py)."""
    rows = (await connection.execute(_OPEN_PROVISIONAL_CASES)).all()
    if not rows:
        return 0
    days = {(r.case_id, r.kind): r.day
            for r in await connection.execute(_STEP_DAYS, {"case_ids": [r.id for r in rows]})}
    changes = []
    for row in rows:
        step = workflow_of(CaseKind(row.kind), profile.code, profile.objection).deadline_step(row.state)
        day = days.get((row.id, step.event.value)) if step is not None else None
        if day is not None:
            due = calendar.add_working_days(day, step.deadline_working_days)
            changes.append({"cid": row.id, "due": due.due, "provisional": due.provisional})
    if changes:
        table = Case.__table__
        await connection.execute(update(table).where(table.c.id == bindparam("cid")).values(
            due_on=bindparam("due"), due_provisional=bindparam("provisional")), changes)
    return len(changes)
