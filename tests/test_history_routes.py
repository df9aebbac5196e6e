"""Every route in writes a SUBMITTED event per stored record (SPEC 3.4): the API (test_history), manual
entry, and the spreadsheet import in both its ways of writing (INSERT for small chunks, COPY on
PostgreSQL for large ones); a resend (UNCHANGED) writes none."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ingest.spreadsheet_import import import_file
from store.models import Record, RecordEvent
from tests.conftest import TODAY, graphql
from tests.history_helpers import SUBMIT, client_on, officer, org, record_input
from tests.test_spreadsheets import DEPARTMENT, ITEM, PROFILE, good_row, write_csv


async def submitted_events(engine, prefix: str) -> dict[str, tuple]:
    """Document number -> (event kind, effective day, department, user) of the records whose number starts so."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(Record.document_number, RecordEvent.kind, RecordEvent.effective_on, RecordEvent.actor_department,
                   RecordEvent.actor_user, RecordEvent.document_ref)
            .join(RecordEvent, RecordEvent.record_id == Record.id)
            .where(Record.document_number.like(f"{prefix}%")))
        return {r.document_number: (r.kind, r.effective_on, r.actor_department, r.actor_user, r.document_ref)
                for r in rows}


@pytest.mark.parametrize("size", [3, 120], ids=["insert-sized", "copy-sized"])
async def test_a_spreadsheet_import_writes_one_submitted_event_per_stored_row(engine, tmp_path, size):
    prefix = f"HYIMP{size}"
    rows = [{**good_row(prefix, serial), "subjectCode": org(300 + serial)} for serial in range(size)]
    path = write_csv(tmp_path / f"{prefix}.csv", rows, labels=True)
    report = await import_file(engine, path, profile=PROFILE, department=DEPARTMENT, user="hist-importer",
                               item=ITEM.code, chunk_size=size, today=TODAY)
    assert report.stored == size, report.summary()
    events = await submitted_events(engine, prefix)
    assert len(events) == size
    assert {(kind, day, department, user) for kind, day, department, user, _ in events.values()} == {
        ("SUBMITTED", TODAY, DEPARTMENT, "hist-importer")}
    assert all(ref == number for number, (*_, ref) in events.items()), "the event names the record's document"
    again = await import_file(engine, path, profile=PROFILE, department=DEPARTMENT, user="hist-importer",
                              item=ITEM.code, chunk_size=size, today=TODAY)
    assert again.stored == 0 and len(await submitted_events(engine, prefix)) == size, "a resend writes no event"


async def test_manual_entry_writes_its_submitted_event(engine):
    record = record_input("HC-13-6-PENALTY", org(450), 450, "2026-09-30", documentNumber="HYMANUAL-1")
    async with client_on(engine, TODAY) as client:
        body = await graphql(client, SUBMIT.replace("mode: ALL_OR_NOTHING", "mode: ALL_OR_NOTHING, channel: MANUAL"),
                             {"records": [record]}, token=officer("SCJG", "hist-manual"))
    assert body["data"]["submitRecords"]["result"]["outcomes"][0]["status"] == "STORED", body
    assert await submitted_events(engine, "HYMANUAL") == {
        "HYMANUAL-1": ("SUBMITTED", TODAY, "SCJG", "hist-manual", "HYMANUAL-1")}
