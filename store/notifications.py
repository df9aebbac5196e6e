"""Writing notifications (SPEC 3.4: every step notifies whom it concerns).

A notification is written in the transaction of the step it reports, so a step is never taken
without its notice. A department's notification is also owed to each webhook the department has
registered: one PENDING row of webhook_deliveries per webhook, in the same transaction; the
delivery worker (gateway/webhooks.py) sends it after the commit, so a failing webhook never undoes
or slows the step.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, bindparam, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.clock import utc_now
from domain.enums import CaseParty
from store.instants import UTCDateTime
from store.models import Notification, WebhookDelivery, WebhookSubscription

_INSERT = insert(Notification.__table__).returning(Notification.__table__.c.id)
_INSERT_MANY = insert(Notification.__table__).returning(Notification.__table__.c.id, sort_by_parameter_order=True)
WS, WD = WebhookSubscription.__table__, WebhookDelivery.__table__
PENDING = "PENDING"  # webhook_deliveries.state: owed; DELIVERED: a 2xx answered; FAILED: attempts exhausted or removed
DEPARTMENT_PARTIES = (CaseParty.PROVIDER, CaseParty.CENTRE)  # recipients that are departments (and have webhooks)
# One delivery per active webhook of the recipient department, due at once.
_ENQUEUE = insert(WD).from_select(
    ["subscription_id", "notification_id", "state", "attempts", "next_attempt_at"],
    select(WS.c.id, bindparam("notification", type_=BigInteger()), literal(PENDING, String()), literal(0, Integer()),
           bindparam("due", type_=UTCDateTime()))
    .where(WS.c.department_code == bindparam("department"), WS.c.disabled_at.is_(None)))


async def notify(connection: AsyncConnection, *, party: CaseParty, recipient: str, kind: str,
                 message: str, subject_code: str | None = None, record_id: int | None = None,
                 case_id: int | None = None) -> int:
    """Write one notification to `recipient` (a subject code, a department code, or the centre's
    department code for CaseParty.CENTRE); returns its id. Call inside the step's transaction."""
    party = CaseParty(party)
    if party is CaseParty.NONE:
        raise ValueError("a notification needs a recipient party")
    now = utc_now()
    result = await connection.execute(_INSERT, {
        "recipient_party": party.value, "recipient": recipient, "kind": kind, "message": message,
        "subject_code": subject_code, "record_id": record_id, "case_id": case_id,
        "created_at": now,
    })
    ident = result.scalar_one()
    if party in DEPARTMENT_PARTIES:
        await connection.execute(_ENQUEUE, {"notification": ident, "due": now, "department": recipient})
    return ident


async def notify_many(connection: AsyncConnection, notices: list[dict]) -> list[int]:
    """Write many notifications, each a dict of `notify`'s keyword arguments, with one statement
    (executemany), and the webhook deliveries the departments' ones owe with one more: for batch steps
    (the sweeper). Returns their ids, in the order given."""
    if not notices:
        return []
    now = utc_now()
    rows = []
    for notice in notices:
        party = CaseParty(notice["party"])
        if party is CaseParty.NONE:
            raise ValueError("a notification needs a recipient party")
        rows.append({"recipient_party": party.value, "recipient": notice["recipient"],
                     "kind": notice["kind"], "message": notice["message"],
                     "subject_code": notice.get("subject_code"), "record_id": notice.get("record_id"),
                     "case_id": notice.get("case_id"), "created_at": now})
    ids = list((await connection.execute(_INSERT_MANY, rows)).scalars())
    owed = [{"notification": ident, "due": now, "department": row["recipient"]} for ident, row in zip(ids, rows)
            if CaseParty(row["recipient_party"]) in DEPARTMENT_PARTIES]
    if owed:
        await connection.execute(_ENQUEUE, owed)
    return ids
