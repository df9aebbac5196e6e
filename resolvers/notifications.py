"""Reading one's notifications and marking them read (SPEC 3.4: every step notifies whom it
concerns; issue 15, Notifications).

A notification is addressed to a party and a code (store/notifications.py): a subject's to its code
(a token with `subject`), a department's to its code (any officer of it reads them), the credit
centre's to the centre's code (its operators). Nobody reads another's: an id that is not the
caller's is answered as one that does not exist.
"""

from __future__ import annotations

from sqlalchemy import Row, bindparam, select, update

from domain.enums import CaseParty, DepartmentKind
from domain.problems import Problem, ProblemCode
from resolvers.bounds import id_or_problem
from resolvers.context import RequestContext
from resolvers.errors import Forbidden
from resolvers.pages import KeysetPage, newest_first
from store.chain import append_submission_log
from store.models import Notification

N = Notification.__table__
MAX_IDS = 100
_MARK_READ = update(N).where(N.c.id.in_(bindparam("ids", expanding=True)),
                             N.c.read_at.is_(None))


def recipient_of(ctx: RequestContext) -> tuple[CaseParty, str]:
    """The party and code the caller's notifications are addressed to; FORBIDDEN for the public."""
    principal = ctx.principal
    if principal.subject_code:
        return CaseParty.SUBJECT, principal.subject_code
    department = ctx.profile.departments.get(principal.department) if principal.department else None
    if department is None:
        raise Forbidden("notifications are read by their recipient: a subject (a token with `subject`) or a "
                        "department's officers (a token with `dept`); the public has none",
                        rule="SPEC 3.4: notices go to the subject, the provider department and the centre")
    party = CaseParty.CENTRE if department.kind is DepartmentKind.CREDIT_CENTRE else CaseParty.PROVIDER
    return party, department.code


def _mine(ctx: RequestContext) -> list:
    party, code = recipient_of(ctx)
    return [N.c.recipient_party == party.value, N.c.recipient == code]


async def notification_page(ctx: RequestContext, unread_only: bool, first: int, after: str | None) -> KeysetPage:
    """The caller's notifications, newest first, keyset-paged on the id; counted (the same filter)."""
    clauses = _mine(ctx) + ([N.c.read_at.is_(None)] if unread_only else [])
    return await newest_first(ctx, N, N.c.id, clauses, first, after, "notification id", count=True)


async def notification_by_id(ctx: RequestContext, ident: int) -> Row | None:
    """`node(id)`: the caller's notification, or None (another's is not found either)."""
    party, code = recipient_of(ctx)
    row = await ctx.loaders.notification.load(ident)
    return row if row is not None and (row.recipient_party, row.recipient) == (party.value, code) else None


async def mark_read(ctx: RequestContext, ids: list[str]) -> tuple[list[Row], list[Problem]]:
    """Mark the caller's notifications read (those read already keep their time). All or nothing: an
    id that is not the caller's is a payload error and nothing changes. Logged in the submission log."""
    party, code = recipient_of(ctx)
    if not 1 <= len(ids) <= MAX_IDS:
        return [], [Problem("ids", f"ids: 1 to {MAX_IDS} notification ids, got {len(ids)}")]
    parsed = [id_or_problem(value, f"ids[{index}]", "notification") for index, value in enumerate(ids)]
    problems = [p for p in parsed if isinstance(p, Problem)]
    if problems:
        return [], problems
    wanted = list(dict.fromkeys(parsed))
    async with ctx.engine.begin() as connection:
        rows = {r.id: r for r in (await connection.execute(
            select(N).where(N.c.id.in_(wanted), *_mine(ctx)))).all()}
        problems = [Problem(f"ids[{index}]", f"ids[{index}]: no notification {ident} of yours",
                            ProblemCode.NOT_FOUND) for index, ident in enumerate(parsed) if ident not in rows]
        if problems:
            return [], problems
        await connection.execute(_MARK_READ.values(read_at=ctx.now), {"ids": wanted})
        await append_submission_log(connection, user=ctx.principal.user, department=ctx.principal.department,
                                    action="MARK_NOTIFICATIONS_READ",
                                    detail={"recipient": code, "party": party.value, "notifications": wanted})
        rows = (await connection.execute(select(N).where(N.c.id.in_(wanted)).order_by(N.c.id.desc()))).all()
    return list(rows), []

