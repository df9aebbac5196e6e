"""书面授权 (HC-22, XZ-18): a subject lets a named grantee read its non-public records.

An authorisation applies to a request only while it is valid (from/until, not revoked), when
the reader is its grantee (the user, or an officer of the department), and when the request
declares the authorisation's purpose. A revocation holds from the next request on: grants are
read afresh for every request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row, bindparam, or_, select, update

from domain.enums import Purpose, Visibility
from domain.principal import Principal
from domain.problems import Problem, ProblemCode
from domain.validity import outside_validity, validity_problems
from resolvers.bounds import id_or_problem
from resolvers.node_ids import authorisation_named
from resolvers.catalogue import scope_problems
from resolvers.context import RequestContext
from resolvers.bounds import parse_id
from resolvers.pages import KeysetPage, newest_first
from resolvers.errors import BadUserInput, Forbidden
from resolvers.grant_cache import cache_for
from store.chain import append_submission_log
from store.grants_version import bump_grants_version
from store.models import Authorization, Department

AU = Authorization.__table__.c


@dataclass(frozen=True)
class GrantRequest:
    grantee_user: str | None
    grantee_department: str | None
    scope_items: list[str]
    scope_classes: list[Visibility]
    purpose: Purpose
    valid_from: dt.datetime
    valid_until: dt.datetime
    written_ref: str


def _require_subject(ctx: RequestContext) -> str:
    if not ctx.principal.subject_code:
        raise Forbidden("only a subject acting for itself (a token with a verified `subject` claim) can manage "
                        "its authorisations", rule="HC-22: authorisation is given by the subject")
    return ctx.principal.subject_code


async def grant_authorization(ctx: RequestContext, request: GrantRequest) -> tuple[Row | None, list[Problem]]:
    """The authorisation as stored, or None and every fault of the request (nothing stored)."""
    subject = _require_subject(ctx)
    problems = []
    if bool(request.grantee_user) == bool(request.grantee_department):
        problems.append(Problem("grantee", "name exactly one of user or department"))
    if request.grantee_user and len(request.grantee_user) > 128:
        problems.append(Problem("grantee.user", "at most 128 characters"))
    if not request.scope_items and not request.scope_classes:
        problems.append(Problem("scope", "name at least one catalogue item or class", ProblemCode.EMPTY_SCOPE))
    if Visibility.PUBLIC in request.scope_classes:
        problems.append(Problem("scope.classes", "PUBLIC records need no authorisation: leave PUBLIC out"))
    valid_from, valid_until = request.valid_from, request.valid_until  # aware: the DateTime scalar refuses others
    problems += validity_problems("an authorisation", valid_from, valid_until, ctx.now)
    ref = request.written_ref.strip()
    if not ref or len(ref) > 128:
        problems.append(Problem("writtenAuthorizationRef", "1 to 128 characters, the reference of the written "
                                                           "authorisation"))
    async with ctx.engine.begin() as connection:
        if request.grantee_department:
            found = (await connection.execute(select(Department.code).where(
                Department.code == request.grantee_department))).scalar()
            if found is None:
                problems.append(Problem("grantee.department", f"no department {request.grantee_department!r} in "
                                                              "this deployment: `departments { code }` lists them",
                                        ProblemCode.UNKNOWN_DEPARTMENT))
        problems += await scope_problems(connection, request.scope_items, request.scope_classes)
        if problems:
            return None, problems
        result = await connection.execute(Authorization.__table__.insert().values(
            subject_code=subject, grantee_user=request.grantee_user, grantee_department=request.grantee_department,
            scope_items=sorted(set(request.scope_items)), scope_classes=sorted({c.value for c in request.scope_classes}),
            purpose=request.purpose.value, valid_from=valid_from, valid_until=valid_until, written_ref=ref,
            created_at=ctx.now,
        ))
        row = (await connection.execute(select(Authorization.__table__).where(
            AU.id == result.inserted_primary_key[0]))).one()
        await append_submission_log(connection, user=ctx.principal.user, department=ctx.principal.department,
                                    action="AUTHORIZE", detail={"authorization": row.id, "subject": subject})
        await bump_grants_version(connection)
    cache_for(ctx.engine).clear()
    return row, []


async def revoke_authorization(ctx: RequestContext, authorization_id: str) -> tuple[Row | None, list[Problem]]:
    """The authorisation as revoked, or the fault: one given by another subject is not found (its
    existence is not the caller's to learn), one revoked before is ALREADY_REVOKED."""
    subject = _require_subject(ctx)
    ident = id_or_problem(authorization_id, "id", "authorisation")
    if isinstance(ident, Problem):
        return None, [ident]
    async with ctx.engine.begin() as connection:
        row = (await connection.execute(select(Authorization.__table__).where(AU.id == ident))).one_or_none()
        if row is None or row.subject_code != subject:
            return None, [Problem("id", f"no {authorisation_named(ident)} given by this subject",
                                  ProblemCode.NOT_FOUND)]
        if row.revoked_at is not None:
            return row, [Problem("id", f"{authorisation_named(ident)} was revoked at {row.revoked_at.isoformat()}",
                                 ProblemCode.ALREADY_REVOKED)]
        await connection.execute(update(Authorization.__table__).where(AU.id == ident).values(revoked_at=ctx.now))
        await append_submission_log(connection, user=ctx.principal.user, department=ctx.principal.department,
                                    action="REVOKE_AUTHORIZATION", detail={"authorization": ident, "subject": subject})
        await bump_grants_version(connection)
        revoked = (await connection.execute(select(Authorization.__table__).where(AU.id == ident))).one()
    cache_for(ctx.engine).clear()  # this worker at once; the others on their next poll (store.grants_version)
    return revoked, []


async def my_authorizations(ctx: RequestContext) -> list[Row]:
    subject = _require_subject(ctx)
    async with ctx.engine.connect() as connection:
        return list((await connection.execute(select(Authorization.__table__).where(
            AU.subject_code == subject).order_by(AU.created_at.desc(), AU.id.desc()))).all())


async def authorization_page(ctx: RequestContext, first: int, after: str | None) -> KeysetPage:
    """my_authorizations as a connection's page: newest first, keyset-paged on the id."""
    subject = _require_subject(ctx)
    return await newest_first(ctx, Authorization.__table__, AU.id, [AU.subject_code == subject], first, after,
                              "authorisation id", count=True)


def _grantee_clause(principal: Principal):
    clauses = [AU.grantee_user == principal.user]
    if principal.department:
        clauses.append(AU.grantee_department == principal.department)
    return or_(*clauses)


async def authorizations_held(connection, principal: Principal, subject_code: str | None = None) -> list[Row]:
    """Every authorisation naming this reader (valid or not): for explanations."""
    statement = select(Authorization.__table__).where(_grantee_clause(principal))
    if subject_code:
        statement = statement.where(AU.subject_code == subject_code)
    return list((await connection.execute(statement)).all())


def why_not_applicable(row: Row, purpose: Purpose | None, now: dt.datetime) -> str | None:
    """None when the authorisation applies to this request; else the reason it does not."""
    lapsed = outside_validity(authorisation_named(row.id), row.revoked_at, row.valid_from, row.valid_until, now)
    if lapsed:
        return lapsed
    if purpose is None or purpose.value != row.purpose:
        return (f"{authorisation_named(row.id)} is for purpose {row.purpose}; the request declares "
                f"{purpose.value if purpose else 'none'}")
    return None


_UNREVOKED_OF_USER = select(Authorization.__table__).where(
    AU.grantee_user == bindparam("user"), AU.revoked_at.is_(None))
_UNREVOKED_OF_USER_OR_DEPARTMENT = select(Authorization.__table__).where(
    or_(AU.grantee_user == bindparam("user"), AU.grantee_department == bindparam("department")),
    AU.revoked_at.is_(None))


async def unrevoked_grants(connection, principal: Principal) -> tuple[Row, ...]:
    """Every unrevoked authorisation naming this reader, whatever its dates and purpose (one query):
    what `resolvers.grant_cache` keeps; `applicable_grants` picks the ones a request may use."""
    if principal.is_anonymous:
        return ()
    if principal.department:
        result = await connection.execute(_UNREVOKED_OF_USER_OR_DEPARTMENT,
                                          {"user": principal.user, "department": principal.department})
    else:
        result = await connection.execute(_UNREVOKED_OF_USER, {"user": principal.user})
    return tuple(result.all())


def applicable_grants(rows, purpose: Purpose | None, now: dt.datetime) -> list[Row]:
    """The authorisations that apply now, for the declared purpose."""
    if purpose is None:
        return []
    return [row for row in rows if row.revoked_at is None and row.valid_from <= now < row.valid_until
            and row.purpose == purpose.value]
