"""A department's webhooks (issue 15, Notifications): its own systems receive its notifications as
signed JSON (gateway/webhooks.py sends them; README, "Webhooks", says how to verify).

Registering and removing are a department's officers' (a token with `dept` and a role of it); the
secret is generated here, answered once and never read back. Each is logged in the submission log
(the secret never is). A department keeps at most `MAX_WEBHOOKS` at once.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from sqlalchemy import Row, select, update

from domain.problems import Problem, ProblemCode
from resolvers.bounds import id_or_problem
from resolvers.context import RequestContext
from resolvers.errors import Forbidden
from resolvers.pages import KeysetPage, newest_first
from store.chain import append_submission_log
from store.models import WebhookDelivery, WebhookSubscription
from store.notifications import PENDING

WS, WD = WebhookSubscription.__table__, WebhookDelivery.__table__
MAX_WEBHOOKS = 5
MAX_URL = 500  # webhook_subscriptions.url


def require_department(ctx: RequestContext) -> str:
    """The caller's department code: an officer of a department (a token with `dept` and one of its roles)."""
    principal = ctx.principal
    known = ctx.profile is not None and principal.department in ctx.profile.departments
    if principal.subject_code or not known or not principal.roles:
        raise Forbidden("webhooks are a department's: a token with `dept` and a role of that department (a subject "
                        "reads its notifications with myNotifications)",
                        rule="issue 15: a department registers a webhook for its own systems")
    return principal.department


def url_problems(url: str) -> list[Problem]:
    """An absolute http(s) URL with a host, no credentials and no fragment, at most 500 characters."""
    def bad(why: str) -> list[Problem]:
        return [Problem("url", f"url: {why}; give an absolute http:// or https:// address of your own system, "
                               f"at most {MAX_URL} characters, e.g. https://systems.example.gov.cn/credit/notices")]

    if not url or len(url) > MAX_URL:
        return bad(f"{len(url)} characters")
    if not url.isascii() or any(c.isspace() or not c.isprintable() for c in url):
        return bad("spaces, control or non-ASCII characters (percent-encode them)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        return bad(f"not a URL ({exc})")
    if parts.scheme.lower() not in ("http", "https"):
        return bad(f"the scheme must be http or https, not {parts.scheme or 'missing'!r}")
    if not parts.hostname:
        return bad("no host")
    if parts.username is not None or parts.password is not None:
        return bad("credentials in the URL are refused (they would be stored and logged)")
    if parts.fragment:
        return bad("a fragment (#...) is never sent to a server")
    return []


async def register_webhook(ctx: RequestContext, url: str) -> tuple[Row | None, str | None, list[Problem]]:
    """(the webhook, its secret, problems): the secret is answered here only."""
    department = require_department(ctx)
    url = url.strip()
    problems = url_problems(url)
    if problems:
        return None, None, problems
    async with ctx.engine.begin() as connection:
        active = (await connection.execute(select(WS.c.url).where(WS.c.department_code == department,
                                                                  WS.c.disabled_at.is_(None)))).scalars().all()
        if url in active:
            return None, None, [Problem("url", "url: your department has registered this address already; remove it "
                                               "first to get a new secret", ProblemCode.DUPLICATE)]
        if len(active) >= MAX_WEBHOOKS:
            return None, None, [Problem("url", f"url: your department has {len(active)} webhooks, the most it may "
                                               "keep; remove one first")]
        secret = secrets.token_hex(32)
        ident = (await connection.execute(WS.insert().values(
            department_code=department, url=url, secret=secret, created_at=ctx.now,
            created_by=ctx.principal.user).returning(WS.c.id))).scalar_one()
        row = (await connection.execute(select(WS).where(WS.c.id == ident))).one()
        await append_submission_log(connection, user=ctx.principal.user, department=department,
                                    action="REGISTER_WEBHOOK", detail={"webhook": ident, "url": url})
    return row, secret, []


async def remove_webhook(ctx: RequestContext, webhook_id: str) -> tuple[Row | None, list[Problem]]:
    """Remove one of the department's webhooks: nothing more is sent to it, what it was owed is FAILED."""
    department = require_department(ctx)
    ident = id_or_problem(webhook_id, "id", "webhook")
    if isinstance(ident, Problem):
        return None, [ident]
    async with ctx.engine.begin() as connection:
        row = (await connection.execute(select(WS).where(WS.c.id == ident, WS.c.department_code == department))
               ).one_or_none()
        if row is None:
            return None, [Problem("id", f"id: no webhook {ident} of your department", ProblemCode.NOT_FOUND)]
        if row.disabled_at is not None:
            return row, [Problem("id", f"id: webhook {ident} was removed at {row.disabled_at.isoformat()}",
                                 ProblemCode.ALREADY_REVOKED)]
        await connection.execute(update(WS).where(WS.c.id == ident).values(disabled_at=ctx.now))
        await connection.execute(update(WD).where(WD.c.subscription_id == ident, WD.c.state == PENDING).values(
            state="FAILED", next_attempt_at=None, last_error="the webhook was removed before it could be delivered"))
        row = (await connection.execute(select(WS).where(WS.c.id == ident))).one()
        await append_submission_log(connection, user=ctx.principal.user, department=department,
                                    action="REMOVE_WEBHOOK", detail={"webhook": ident, "url": row.url})
    return row, []


async def webhooks_of(ctx: RequestContext) -> list[Row]:
    """The department's webhooks, removed ones included (deliveries name them), newest first."""
    department = require_department(ctx)
    async with ctx.engine.connect() as connection:
        return list((await connection.execute(select(WS).where(WS.c.department_code == department)
                                              .order_by(WS.c.id.desc()))).all())


async def delivery_page(ctx: RequestContext, first: int, after: str | None) -> KeysetPage:
    """The department's deliveries, newest first (the delivery log)."""
    department = require_department(ctx)
    theirs = WD.c.subscription_id.in_(select(WS.c.id).where(WS.c.department_code == department))
    return await newest_first(ctx, WD, WD.c.id, [theirs], first, after, "webhook delivery id", count=True)


async def webhook_row(ctx: RequestContext, ident: int) -> Row | None:
    """`node(id)`: the caller's department's webhook, or None."""
    department = require_department(ctx)
    async with ctx.engine.connect() as connection:
        return (await connection.execute(select(WS).where(WS.c.id == ident, WS.c.department_code == department))
                ).one_or_none()


async def delivery_row(ctx: RequestContext, ident: int) -> Row | None:
    """`node(id)`: a delivery to the caller's department's webhook, or None."""
    department = require_department(ctx)
    async with ctx.engine.connect() as connection:
        return (await connection.execute(select(WD).join(WS, WS.c.id == WD.c.subscription_id).where(
            WD.c.id == ident, WS.c.department_code == department).with_only_columns(*WD.c))).one_or_none()

