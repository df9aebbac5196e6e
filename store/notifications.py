"""Writing notifications (SPEC 3.4: every step notifies whom it concerns).

A notification is written in the transaction of the step it reports, so a step is never taken
without its notice. Webhook delivery (if the recipient department registered one) reads them
afterwards; a failing webhook never undoes the step.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.clock import utc_now
from domain.enums import CaseParty
from store.models import Notification

_INSERT = insert(Notification.__table__).returning(Notification.__table__.c.id)


async def notify(connection: AsyncConnection, *, party: CaseParty, recipient: str, kind: str,
                 message: str, subject_code: str | None = None, record_id: int | None = None,
                 case_id: int | None = None) -> int:
    """Write one notification to `recipient` (a subject code, a department code, or the centre's
    department code for CaseParty.CENTRE); returns its id. Call inside the step's transaction."""
    party = CaseParty(party)
    if party is CaseParty.NONE:
        raise ValueError("a notification needs a recipient party")
    result = await connection.execute(_INSERT, {
        "recipient_party": party.value, "recipient": recipient, "kind": kind, "message": message,
        "subject_code": subject_code, "record_id": record_id, "case_id": case_id,
        "created_at": utc_now(),
    })
    return result.scalar_one()
