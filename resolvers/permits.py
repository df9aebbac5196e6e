"""Query permits (查询申请 HC-23, 正式函件 XZ-18): registered by the credit centre, named by a basis.

Under Huancui an information provider reads SHARED (部门共享) information only after applying in
writing to the district credit centre (HC-23); under Xinzheng an organ reading class C (有限共享)
information presents its official letter (XZ-18). The centre's operators register each approved
application or letter here (number, department, scope, validity, document); a request whose
policy line needs a permit (condition `permit` / `listed_permit`) names the permit's number as
its X-Query-Basis. A permit is looked up once per request, by that number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row, bindparam, select, update

from domain.enums import DepartmentKind, Visibility
from domain.problems import Problem, ProblemCode
from domain.validity import outside_validity, validity_problems
from resolvers.bounds import id_or_problem
from resolvers.catalogue import scope_problems
from resolvers.context import RequestContext
from resolvers.pages import KeysetPage, newest_first
from resolvers.errors import Forbidden
from resolvers.grant_cache import cache_for
from store.chain import append_submission_log
from store.grants_version import bump_grants_version
from store.models import QueryPermit

QP = QueryPermit.__table__.c
PERMIT_CLASSES = (Visibility.SHARED, Visibility.LIMITED)  # what a permit can open (SPEC 2, Query permit)


@dataclass(frozen=True)
class PermitRequest:
    number: str
    department: str
    scope_classes: list[Visibility]
    scope_items: list[str]
    valid_from: dt.datetime
    valid_until: dt.datetime
    document_ref: str


def _department_kind(ctx: RequestContext, code: str | None) -> DepartmentKind | None:
    department = ctx.profile.departments.get(code) if ctx.profile is not None and code else None
    return department.kind if department is not None else None


def require_centre_operator(ctx: RequestContext) -> None:
    """Only the credit centre registers and revokes permits (HC-23: 向区信用中心提出书面申请)."""
    principal = ctx.principal
    if "operator" not in principal.roles or _department_kind(ctx, principal.department) is not DepartmentKind.CREDIT_CENTRE:
        raise Forbidden("query permits are registered and revoked by the credit centre's operators only (a token "
                        "with role operator of the CREDIT_CENTRE department; HC-23, XZ-18)",
                        rule="HC-23: written applications are made to the credit centre")


def require_permit_reader(ctx: RequestContext) -> None:
    """The centre (which registers them) and auditors (who check the reads they opened)."""
    principal = ctx.principal
    centre = "operator" in principal.roles and \
        _department_kind(ctx, principal.department) is DepartmentKind.CREDIT_CENTRE
    if not centre and not ("auditor" in principal.roles and principal.department):
        raise Forbidden("queryPermits is for the credit centre's operators and for auditors (HC-23, HC-35)",
                        rule="field:Query.queryPermits")


async def register_permit(ctx: RequestContext, request: PermitRequest) -> tuple[Row | None, list[Problem]]:
    require_centre_operator(ctx)
    problems: list[Problem] = []
    number, document = request.number.strip(), request.document_ref.strip()
    if not number or len(number) > 128:
        problems.append(Problem("number", "number: 1 to 128 characters, the application's or letter's number "
                                          "as a query's X-Query-Basis will give it"))
    kind = _department_kind(ctx, request.department)
    if kind is None:
        problems.append(Problem("department", f"department {request.department!r} is not in this deployment's "
                                              "registry", ProblemCode.UNKNOWN_DEPARTMENT))
    elif kind is DepartmentKind.CREDIT_CENTRE:
        problems.append(Problem("department", "the credit centre reads on cases, not on query permits"))
    if not request.scope_classes and not request.scope_items:
        problems.append(Problem("scope", "name at least one class (SHARED, LIMITED) or catalogue item",
                                ProblemCode.EMPTY_SCOPE))
    wrong = [c.value for c in request.scope_classes if c not in PERMIT_CLASSES]
    if wrong:
        problems.append(Problem("scope.classes",
                                f"a permit opens SHARED or LIMITED records only, not {', '.join(wrong)} (PUBLIC needs "
                                "nothing; AUTHORIZED needs the subject's written authorisation, HC-22)"))
    problems += validity_problems("a query permit", request.valid_from, request.valid_until, ctx.now)
    if not document or len(document) > 200:
        problems.append(Problem("documentRef", "documentRef: 1 to 200 characters, the reference of the written "
                                               "application or official letter"))
    async with ctx.engine.begin() as connection:
        problems += await scope_problems(connection, request.scope_items, request.scope_classes)
        if number and (await connection.execute(select(QP.id).where(QP.number == number))).scalar() is not None:
            problems.append(Problem("number", f"a query permit numbered {number!r} is registered already: revoke "
                                              "it or use another number", ProblemCode.DUPLICATE))
        if problems:
            return None, problems
        result = await connection.execute(QueryPermit.__table__.insert().values(
            number=number, department_code=request.department,
            scope_classes=sorted({c.value for c in request.scope_classes}), scope_items=sorted(set(request.scope_items)),
            valid_from=request.valid_from, valid_until=request.valid_until, document_ref=document,
            registered_by=ctx.principal.user, registered_at=ctx.now))
        row = (await connection.execute(select(QueryPermit.__table__).where(
            QP.id == result.inserted_primary_key[0]))).one()
        await append_submission_log(connection, user=ctx.principal.user, department=ctx.principal.department,
                                    action="REGISTER_QUERY_PERMIT", detail=_detail(row))
        await bump_grants_version(connection)
    cache_for(ctx.engine).clear()
    return row, []


async def revoke_permit(ctx: RequestContext, permit_id: str, reason: str) -> tuple[Row | None, list[Problem]]:
    require_centre_operator(ctx)
    ident = id_or_problem(permit_id, "id", "query permit")
    if isinstance(ident, Problem):
        return None, [ident]
    reason = reason.strip()
    if not reason or len(reason) > 500:
        return None, [Problem("reason", "reason: 1 to 500 characters, why the permit is revoked")]
    async with ctx.engine.begin() as connection:
        row = (await connection.execute(select(QueryPermit.__table__).where(QP.id == ident))).one_or_none()
        if row is None:
            return None, [Problem("id", f"no query permit {ident}", ProblemCode.NOT_FOUND)]
        if row.revoked_at is not None:
            return row, [Problem("id", f"query permit {ident} was revoked at {row.revoked_at.isoformat()}",
                                 ProblemCode.ALREADY_REVOKED)]
        await connection.execute(update(QueryPermit.__table__).where(QP.id == ident).values(
            revoked_at=ctx.now, revoked_by=ctx.principal.user, revocation_reason=reason))
        row = (await connection.execute(select(QueryPermit.__table__).where(QP.id == ident))).one()
        await append_submission_log(connection, user=ctx.principal.user, department=ctx.principal.department,
                                    action="REVOKE_QUERY_PERMIT", detail={**_detail(row), "reason": reason})
        await bump_grants_version(connection)
    cache_for(ctx.engine).clear()  # this worker at once; the others on their next poll (store.grants_version)
    return row, []


def _permit_clauses(ctx: RequestContext, department: str | None, valid_only: bool) -> list:
    clauses = []
    if department:
        clauses.append(QP.department_code == department)
    if valid_only:
        clauses += [QP.revoked_at.is_(None), QP.valid_from <= ctx.now, QP.valid_until > ctx.now]
    return clauses


async def list_permits(ctx: RequestContext, department: str | None, valid_only: bool) -> list[Row]:
    require_permit_reader(ctx)
    statement = select(QueryPermit.__table__).where(*_permit_clauses(ctx, department, valid_only))
    async with ctx.engine.connect() as connection:
        return list((await connection.execute(statement.order_by(QP.registered_at.desc(), QP.id.desc()))).all())


async def permit_page(ctx: RequestContext, department: str | None, valid_only: bool, first: int,
                      after: str | None) -> KeysetPage:
    """list_permits as a connection's page: newest registration first, keyset-paged on the id."""
    require_permit_reader(ctx)
    return await newest_first(ctx, QueryPermit.__table__, QP.id, _permit_clauses(ctx, department, valid_only),
                              first, after, "query permit id", count=True)


def _detail(row: Row) -> dict:
    return {"permit": row.id, "number": row.number, "department": row.department_code,
            "classes": list(row.scope_classes), "items": list(row.scope_items),
            "validFrom": row.valid_from.isoformat(), "validUntil": row.valid_until.isoformat(),
            "document": row.document_ref}


# ---- reading with a permit (resolvers/access.py) --------------------------------------------------

_PERMIT_NAMED = select(QueryPermit.__table__).where(QP.number == bindparam("number"))


async def permit_named(connection, basis: str) -> Row | None:
    """The permit a basis names (its number), or None: one indexed lookup per request."""
    number = basis.strip()
    if not number or len(number) > 128:
        return None
    return (await connection.execute(_PERMIT_NAMED, {"number": number})).one_or_none()


def why_not_valid(row: Row | None, basis: str, department: str, now: dt.datetime) -> str | None:
    """None when the permit may be used by this department now; else what is wrong, for the caller."""
    if row is None:
        return f"X-Query-Basis {basis.strip()[:128]!r} names no query permit registered by the credit centre"
    if row.department_code != department:
        return f"query permit {row.number} was registered for another department, not {department}"
    return outside_validity(f"query permit {row.number}", row.revoked_at, row.valid_from, row.valid_until, now)


def covers(row: Row, pair: tuple[str, str]) -> bool:
    """Whether the permit's scope covers a (class, item) pair."""
    return pair[0] in row.scope_classes or pair[1] in row.scope_items
