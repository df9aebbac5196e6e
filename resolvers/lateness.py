"""Lateness (XZ-12, XZ-13): the records submitted after their catalogue item's deadline, and a
summary per providing department, so the credit centre can send reminders (催报). The deadline
and the working days late are stored with each record when it is collected.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalogue import PROVIDER_KINDS
from resolvers.bounds import check_day, check_first, id_in_range
from resolvers.errors import BadUserInput
from domain.clock import CHINA
from resolvers.record_columns import UTC, utc
from store.models import Department, Record

R = Record.__table__

MAX_PAGE = 100


@dataclass(frozen=True)
class LatePage:
    rows: list[Row]
    has_next: bool
    total: int


def late_cursor(row: Row) -> str:
    return base64.urlsafe_b64encode(f"{utc(row.submitted_at).isoformat()}|{row.id}".encode()).decode()


def _decode_late_cursor(text: str) -> tuple[dt.datetime, int]:
    try:
        moment, ident = base64.urlsafe_b64decode(text.encode()).decode().split("|")
        decoded = dt.datetime.fromisoformat(moment), int(ident)
        if decoded[0].utcoffset() is None or not id_in_range(decoded[1]):
            raise ValueError("not a cursor this API gave out")
        return decoded[0].astimezone(UTC), decoded[1]
    except Exception:  # any malformed cursor is the client's error, named as such
        raise BadUserInput(f"after: invalid cursor {text[:60]!r}: pass an endCursor returned by this API",
                           argument="after") from None


def _period(date_from: dt.date, date_to: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The jurisdiction's (Beijing) days from..to (inclusive) as UTC instants [start, end)."""
    check_day(date_from, "from")
    check_day(date_to, "to")
    if date_to < date_from:
        raise BadUserInput(f"to ({date_to}) is before from ({date_from})")
    start = dt.datetime.combine(date_from, dt.time(0), zone).astimezone(UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), zone).astimezone(UTC)
    return start, end


async def late_submissions(engine: AsyncEngine, department: str | None, date_from: dt.date, date_to: dt.date,
                           first: int = 20, after: str | None = None, zone: dt.tzinfo = CHINA) -> LatePage:
    """Records submitted late (XZ-13) between from and to (Beijing days), newest first.

    `department` None lists every department's (for the credit centre and auditors).
    """
    check_first(first, MAX_PAGE)
    start, end = _period(date_from, date_to, zone)
    where = [R.c.late_working_days > 0, R.c.submitted_at >= start, R.c.submitted_at < end]
    if department is not None:
        where.append(R.c.provider_code == department)
    page_where = list(where)
    if after:
        moment, ident = _decode_late_cursor(after)
        page_where.append(or_(R.c.submitted_at < moment, and_(R.c.submitted_at == moment, R.c.id < ident)))
    columns = [R.c.id, R.c.provider_code, R.c.catalogue_item_code, R.c.document_number, R.c.decided_on,
               R.c.deadline_on, R.c.deadline_provisional, R.c.submitted_at, R.c.late_working_days, R.c.channel]
    async with engine.connect() as connection:
        rows = (await connection.execute(select(*columns).where(*page_where).order_by(
            R.c.submitted_at.desc(), R.c.id.desc()).limit(first + 1))).all()
        total = (await connection.execute(select(func.count()).select_from(R).where(*where))).scalar()
    return LatePage(rows=list(rows[:first]), has_next=len(rows) > first, total=total)


@dataclass(frozen=True)
class DepartmentLateness:
    department: str
    name: str
    submitted: int
    late: int
    late_working_days: int
    max_late_working_days: int


async def lateness_summary(engine: AsyncEngine, date_from: dt.date, date_to: dt.date,
                           department: str | None = None, zone: dt.tzinfo = CHINA) -> list[DepartmentLateness]:
    """Per providing department: records submitted between from and to, how many late, by how much.

    Departments that submitted nothing are listed with zeros: they may be the most overdue (催报).
    Most late records first.
    """
    start, end = _period(date_from, date_to, zone)
    late = R.c.late_working_days
    statement = select(R.c.provider_code, func.count(), func.sum(case((late > 0, 1), else_=0)),
                       func.coalesce(func.sum(late), 0), func.coalesce(func.max(late), 0)).where(
        R.c.submitted_at >= start, R.c.submitted_at < end).group_by(R.c.provider_code)
    departments = select(Department.code, Department.name, Department.kind)
    if department is not None:
        statement = statement.where(R.c.provider_code == department)
        departments = departments.where(Department.code == department)
    async with engine.connect() as connection:
        counts = {r[0]: r for r in await connection.execute(statement)}
        names = {r.code: r for r in await connection.execute(departments)}
    codes = {c for c, r in names.items() if r.kind in {k.value for k in PROVIDER_KINDS}} | set(counts)
    summary = [DepartmentLateness(code, names[code].name if code in names else code,
                                  *(int(v) for v in (counts[code][1:] if code in counts else (0, 0, 0, 0))))
               for code in codes]
    return sorted(summary, key=lambda d: (-d.late, -d.late_working_days, d.department))


