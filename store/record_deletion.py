"""Deleting a record's content from every live table, keeping a tombstone (HC-30 revocation, HC-33
honour deletion, XZ-20 end of retention).

The record's row, its versions, annotations and objections go (an objection quotes the record and
is moot once the record is deleted); its events stay with their `before`/`after`
emptied (the dates and kinds remain, so the record's history still reads as steps); a tombstone
keeps its id, subject, provider, item, document number and the reference the deletion rests on, so
log entries naming the id stay readable. One transaction: the caller's.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.clock import utc_now
from domain.enums import RecordEventKind
from store.models import Annotation, Objection, Record, RecordEvent, RecordTombstone, RecordVersion

R = Record.__table__


async def delete_record_content(connection: AsyncConnection, *, record_id: int, reason: RecordEventKind,
                                reference: str | None, effective_on: dt.date, deleted_by: str | None) -> bool:
    """Tombstone `record_id` and delete its content; False when there is no such live record."""
    row = (await connection.execute(
        select(R.c.id, R.c.subject_code, R.c.provider_code, R.c.catalogue_item_code, R.c.document_number)
        .where(R.c.id == record_id))).first()
    if row is None:
        return False
    await connection.execute(insert(RecordTombstone.__table__).values(
        record_id=row.id, subject_code=row.subject_code, provider_code=row.provider_code,
        catalogue_item_code=row.catalogue_item_code, document_number=row.document_number,
        reason=RecordEventKind(reason).value, reference=reference, effective_on=effective_on,
        deleted_at=utc_now(), deleted_by=deleted_by))
    await connection.execute(update(RecordEvent.__table__).where(RecordEvent.__table__.c.record_id == record_id)
                             .values(before={}, after={}))
    await connection.execute(delete(RecordVersion.__table__).where(RecordVersion.__table__.c.record_id == record_id))
    await connection.execute(delete(Annotation.__table__).where(Annotation.__table__.c.record_id == record_id))
    await connection.execute(delete(Objection.__table__).where(Objection.__table__.c.record_id == record_id))
    await connection.execute(delete(R).where(R.c.id == record_id))
    return True
