"""Reading background import jobs (issue 14): a department sees its own jobs and their error reports;
the credit centre's operators see every department's. Anyone else's job is answered as not found.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.enums import DepartmentKind
from domain.principal import Principal
from resolvers.bounds import check_first, id_in_range
from resolvers.errors import BadUserInput, Forbidden
from store.models import ImportJob

J = ImportJob.__table__
ALL = object()  # the credit centre: every department's jobs
MAX_FIRST = 100


def readable_departments(principal: Principal, profile) -> object:
    """`ALL` for the credit centre's operators, else the caller's own department (None: no department)."""
    department = profile.departments.get(principal.department) if principal.department else None
    if department is not None and department.kind is DepartmentKind.CREDIT_CENTRE and "operator" in principal.roles:
        return ALL
    return principal.department


def may_read(scope: object, row: Row) -> bool:
    """Whether a reader whose `readable_departments` is `scope` reads this job: `job_for`'s rule, for `node(id)`."""
    return scope is ALL or (scope is not None and row.department_code == scope)


async def job_for(engine: AsyncEngine, principal: Principal, profile, public_id: str) -> Row | None:
    """The job `public_id` if the caller may read it; None otherwise, exactly as for an unknown id."""
    scope = readable_departments(principal, profile)
    if scope is None or not isinstance(public_id, str) or len(public_id) > 32:
        return None
    statement = select(J).where(J.c.public_id == public_id)
    if scope is not ALL:
        statement = statement.where(J.c.department_code == scope)
    async with engine.connect() as connection:
        return (await connection.execute(statement)).one_or_none()


@dataclass
class JobPage:
    rows: Sequence[Row]
    total: int
    has_next: bool


def job_cursor(row: Row) -> str:
    return base64.urlsafe_b64encode(f"importjob:{row.id}".encode()).decode()


def _after_id(cursor: str) -> int:
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "importjob" or not number.isdigit() or not id_in_range(int(number)):
            raise ValueError(cursor)
        return int(number)
    except (ValueError, binascii.Error, UnicodeError):
        raise BadUserInput(f"after: invalid cursor {cursor[:60]!r}: pass an endCursor returned by importJobs",
                           argument="after") from None


async def job_page(engine: AsyncEngine, principal: Principal, profile, first: int, after: str | None) -> JobPage:
    """The caller's department's jobs (every department's for the centre), newest first."""
    scope = readable_departments(principal, profile)
    if scope is None:
        raise Forbidden("importJobs needs a department token: a department sees the imports it sent",
                        rule="field:Query.importJobs")
    check_first(first, MAX_FIRST)
    where = [] if scope is ALL else [J.c.department_code == scope]
    page = select(J).where(*where)
    if after is not None:
        page = page.where(J.c.id < _after_id(after))
    async with engine.connect() as connection:
        rows = (await connection.execute(page.order_by(J.c.id.desc()).limit(first + 1))).all()
        total = (await connection.execute(select(func.count()).select_from(J).where(*where))).scalar_one()
    return JobPage(rows[:first], total, len(rows) > first)
