"""Reading the query log: auditors' search (HC-35), per-subject counts and histories (XZ-19)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from domain.enums import Purpose
from resolvers.context import RequestContext
from resolvers.pages import KeysetPage, newest_first
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


async def search(ctx: RequestContext, log_filter: LogFilter, first: int, after: str | None) -> KeysetPage:
    """Newest first, keyset-paged on the sequence number, with the filter's total."""
    return await newest_first(ctx, QueryLogEntry.__table__, Q.seq, _where(log_filter), first, after,
                              "query log sequence number", count=True)


async def query_counts(ctx: RequestContext, codes: list[str]) -> list[int]:
    """Running count of logged queries that touched each subject (XZ-19 累计查询次数)."""
    async with ctx.engine.connect() as connection:
        rows = (await connection.execute(select(QS.subject_code, func.count()).where(QS.subject_code.in_(set(codes)))
                                         .group_by(QS.subject_code))).all()
    found = dict(rows)
    return [found.get(code, 0) for code in codes]


async def history(ctx: RequestContext, subject_code: str, first: int, after: str | None = None) -> KeysetPage:
    """Who queried a subject, when and why, newest first: what a credit report shows its subject."""
    return await newest_first(ctx, QueryLogEntry.__table__, Q.seq, _where(LogFilter(subject=subject_code)), first,
                              after, "query log sequence number")
