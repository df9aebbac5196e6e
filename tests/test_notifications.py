"""myNotifications and markNotificationsRead through HTTP: each recipient reads its own notices (a
subject, a department's officers, the credit centre), newest first, and marks only its own read."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select

from domain.catalogue import load_profile
from domain.enums import CaseParty
from store.models import SubmissionLogEntry
from store.notifications import notify
from store.sweep import sweep
from tests.conftest import app_for, graphql, make_token
from tests.sweep_world import AS_OF, PROVIDER, fresh, insert_case, insert_records, org_code, record_row

DAY = dt.timedelta(days=1)
SUBJECT = org_code(300)
OTHER = org_code(301)
CENTRE = make_token(user="centre-1", department="XYZX", roles=["operator"])
OFFICER = make_token(user="scjg-1", department=PROVIDER, roles=["officer"])
MINE = """query($unread: Boolean!, $first: Int!, $after: String) {
  myNotifications(unreadOnly: $unread, first: $first, after: $after) {
    totalCount edges { cursor node { id kind message readAt createdAt } } pageInfo { hasNextPage endCursor } } }"""
MARK = """mutation($ids: [ID!]!) { markNotificationsRead(input: {ids: $ids}) {
  notifications { id readAt } errors { code field message } } }"""


@pytest.fixture
async def notified(backend, tmp_path):
    """Two archived records of SUBJECT and one of OTHER (the sweeper's notices to them and to their
    provider), a missed case deadline (the centre's and the provider's), and a notice to the provider."""
    engine = await fresh(backend, tmp_path, "notifications")
    ids = await insert_records(engine, [record_row(300, disclosure_ends_on=AS_OF - 3 * DAY, document_number="N-1"),
                                        record_row(300, disclosure_ends_on=AS_OF - 2 * DAY, document_number="N-2"),
                                        record_row(301, disclosure_ends_on=AS_OF - 2 * DAY, document_number="N-3")])
    await insert_case(engine, ids[0], 300, due_on=AS_OF - DAY)
    await sweep(engine, load_profile("huancui"), AS_OF)
    async with engine.begin() as connection:
        await notify(connection, party=CaseParty.PROVIDER, recipient=PROVIDER, kind="REPAIR_CERTIFIED",
                     message="你部门提供的记录已修复", subject_code=SUBJECT, record_id=ids[0])
    app = app_for(engine, today=AS_OF)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield engine, client
    await engine.dispose()


async def _mine(client, token, *, unread=False, first=20, after=None) -> dict:
    body = await graphql(client, MINE, {"unread": unread, "first": first, "after": after}, token=token)
    assert "errors" not in body, body
    return body["data"]["myNotifications"]


async def test_each_recipient_reads_its_own_newest_first(notified):
    _, client = notified
    subject = make_token(user="org-300", subject=SUBJECT)
    page = await _mine(client, subject)
    assert page["totalCount"] == 2 and [e["node"]["kind"] for e in page["edges"]] == ["ARCHIVED", "ARCHIVED"]
    # newest first: the second record archived, the day after the first
    assert ["on 2026-11-19" in page["edges"][0]["node"]["message"], "on 2026-11-18" in page["edges"][1]["node"]["message"]] == [True, True]
    first = await _mine(client, subject, first=1)
    assert first["pageInfo"]["hasNextPage"] and len(first["edges"]) == 1
    rest = await _mine(client, subject, first=1, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in first["edges"] + rest["edges"]] == [e["node"]["id"] for e in page["edges"]]

    centre = await _mine(client, CENTRE)
    assert [e["node"]["kind"] for e in centre["edges"]] == ["DEADLINE_MISSED"]
    officer = await _mine(client, OFFICER)  # the provider: its records archived, its missed deadline, its notice
    assert [e["node"]["kind"] for e in officer["edges"]] == [
        "REPAIR_CERTIFIED", "DEADLINE_MISSED", "ARCHIVED", "ARCHIVED", "ARCHIVED"]
    assert officer["edges"][0]["node"]["message"] == "你部门提供的记录已修复"
    other = await _mine(client, make_token(user="org-301", subject=OTHER))
    assert other["totalCount"] == 1


async def test_the_public_has_no_notifications(notified):
    _, client = notified
    body = await graphql(client, MINE, {"unread": False, "first": 5})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN" and body["data"] is None


async def test_marking_read_only_ones_own_and_all_or_nothing(notified):
    engine, client = notified
    subject = make_token(user="org-300", subject=SUBJECT)
    mine = [e["node"]["id"] for e in (await _mine(client, subject))["edges"]]
    theirs = (await _mine(client, CENTRE))["edges"][0]["node"]["id"]

    refused = (await graphql(client, MARK, {"ids": [mine[0], theirs]}, token=subject))["data"]["markNotificationsRead"]
    assert refused["notifications"] == []
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("NOT_FOUND", "ids[1]")]
    assert (await _mine(client, subject, unread=True))["totalCount"] == 2  # nothing marked

    bad = (await graphql(client, MARK, {"ids": ["nonsense"]}, token=subject))["data"]["markNotificationsRead"]
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID", "ids[0]")]

    done = (await graphql(client, MARK, {"ids": [mine[1]]}, token=subject))["data"]["markNotificationsRead"]
    assert done["errors"] == [] and [n["id"] for n in done["notifications"]] == [mine[1]]
    read_at = done["notifications"][0]["readAt"]
    assert read_at is not None
    unread = await _mine(client, subject, unread=True)
    assert unread["totalCount"] == 1 and [e["node"]["id"] for e in unread["edges"]] == [mine[0]]
    again = (await graphql(client, MARK, {"ids": [mine[1]]}, token=subject))["data"]["markNotificationsRead"]
    assert again["notifications"][0]["readAt"] == read_at  # read once: its time stays
    assert (await _mine(client, CENTRE, unread=True))["totalCount"] == 1  # the centre's is untouched

    async with engine.connect() as connection:
        logged = (await connection.execute(select(SubmissionLogEntry.detail).where(
            SubmissionLogEntry.action == "MARK_NOTIFICATIONS_READ"))).scalars().all()
    assert len(logged) == 2 and logged[0]["recipient"] == SUBJECT


async def test_node_answers_a_notification_to_its_recipient_only(notified):
    _, client = notified
    subject = make_token(user="org-300", subject=SUBJECT)
    ident = (await _mine(client, subject))["edges"][0]["node"]["id"]
    query = "query($id: ID!) { node(id: $id) { id ... on Notification { kind } } }"
    assert (await graphql(client, query, {"id": ident}, token=subject))["data"]["node"] == {"id": ident,
                                                                                             "kind": "ARCHIVED"}
    assert (await graphql(client, query, {"id": ident}, token=CENTRE))["data"]["node"] is None
    assert (await graphql(client, query, {"id": ident}))["data"]["node"] is None


async def test_a_notification_links_its_record_as_record_id_answers_the_reader(notified):
    _, client = notified
    query = "{ myNotifications(first: 5) { edges { node { kind record { id status } } } } }"
    subject = make_token(user="org-300", subject=SUBJECT)
    edges = (await graphql(client, query, token=subject))["data"]["myNotifications"]["edges"]
    assert [e["node"]["record"]["status"] for e in edges] == ["ARCHIVED", "ARCHIVED"]  # its own, archived
    centre = (await graphql(client, query, token=CENTRE))["data"]["myNotifications"]["edges"]
    assert centre[0]["node"]["kind"] == "DEADLINE_MISSED"
