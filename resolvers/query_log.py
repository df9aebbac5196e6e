"""Reading the query log: auditors' search (HC-35), per-subject counts and histories (XZ-19)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row, func, select

from domain.enums import Purpose
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from store.models import QueryLogEntry, QueryLogSubject

Q = QueryLogEntry.__table__.c
QS = QueryLogSubject.__table__.c
REFUSALS = ("REFUSED", "UNAUTHENTICATED")


@dataclass(frozen=True)
class LogFilter:
    user: str | None = None
    department: str | None = None
    subject: str | None = None
    purpose: Purpose | None = None
    date_from: dt.datetime | None = None
    date_to: dt.datetime | None = None
    refused_only: bool = False


@dataclass
class LogPage:
    rows: list[Row]
    has_next: bool
    total: int


def _where(log_filter: LogFilter) -> list:
    clauses = []
    if log_filter.user:
        clauses.append(Q.user == log_filter.user)
    if log_filter.department:
        clauses.append(Q.department == log_filter.department)
    if log_filter.purpose:
        clauses.append(Q.purpose == log_filter.purpose.value)
    if log_filter.date_from:
        clauses.append(Q.at >= log_filter.date_from)
    if log_filter.date_to:
        clauses.append(Q.at < log_filter.date_to)
    if log_filter.refused_only:
        clauses.append(Q.outcome.in_(REFUSALS))
    if log_filter.subject:
        clauses.append(Q.seq.in_(select(QS.seq).where(QS.subject_code == log_filter.subject)))
    return clauses


async def search(ctx: RequestContext, log_filter: LogFilter, first: int, after: int | None) -> LogPage:
    """Newest first, keyset-paged on the sequence number."""
    if not 1 <= first <= ctx.max_page_size:
        raise BadUserInput(f"first must be between 1 and {ctx.max_page_size}, got {first}")
    clauses = _where(log_filter)
    page_clauses = clauses + ([Q.seq < after] if after is not None else [])
    async with ctx.engine.connect() as connection:
        rows = (await connection.execute(select(QueryLogEntry.__table__).where(*page_clauses)
                                         .order_by(Q.seq.desc()).limit(first + 1))).all()
        total = (await connection.execute(select(func.count()).select_from(QueryLogEntry.__table__)
                                          .where(*clauses))).scalar()
    return LogPage(rows=list(rows[:first]), has_next=len(rows) > first, total=total)


async def query_counts(ctx: RequestContext, codes: list[str]) -> list[int]:
    """Running count of logged queries that touched each subject (XZ-19 累计查询次数)."""
    async with ctx.engine.connect() as connection:
        rows = (await connection.execute(select(QS.subject_code, func.count()).where(QS.subject_code.in_(set(codes)))
                                         .group_by(QS.subject_code))).all()
    found = dict(rows)
    return [found.get(code, 0) for code in codes]


async def history(ctx: RequestContext, subject_code: str, first: int) -> list[Row]:
    """Who queried a subject, when and why, newest first: what a credit report shows its subject."""
    if not 1 <= first <= ctx.max_page_size:
        raise BadUserInput(f"first must be between 1 and {ctx.max_page_size}, got {first}")
    async with ctx.engine.connect() as connection:
        return list((await connection.execute(
            select(Q.seq, Q.at, Q.user, Q.user_name, Q.department, Q.purpose, Q.basis, Q.operation_name, Q.outcome)
            .join(QueryLogSubject.__table__, QS.seq == Q.seq).where(QS.subject_code == subject_code)
            .order_by(Q.seq.desc()).limit(first))).all())
