"""Which records a grantee may file an objection on for its subject (XZ-22; issue 12: resolvers/scope.py's
`PairSet.covers`, which nothing else uses): exactly those its written authorisation covers.

An authorisation of one catalogue item covers that item's records, not the subject's records of other
items of the same class; an authorisation of a whole class covers every record of that class. Subjects
are this module's own (organisations of series GE, persons born 1963-03-03).
"""

from __future__ import annotations

import datetime as dt

from domain.identifiers import resident_id_check_char
from tests import world
from tests.conftest import graphql, make_token
from tests.test_access_matrix import GRANT, _window
from tests.test_cases import SCJG, TW, forbidden, honour, on, payload, penalty, submit
from tests.test_objections import FILE

DAY = dt.date(2026, 11, 2)


def _org(serial: int) -> str:
    return world.org_code(serial, series="GE")


def _person(serial: int) -> str:
    body = f"37100219630303{serial:03d}"
    return body + resident_id_check_char(body)


async def _grant(client, subject: str, agent: str, scope: dict, ref: str) -> None:
    start, end = _window()
    body = await graphql(client, GRANT, {"grantee": {"user": agent}, "scope": scope, "purpose": "LICENSING",
                                         "from": start, "until": end, "ref": ref},
                         token=make_token(user=f"ge-{subject}", subject=subject))
    assert body["data"]["grantAuthorization"]["errors"] == [], body


async def _file(client, record_id: str, agent: str, ref: str) -> dict:
    return await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "ERROR_OR_OMISSION",
                                              "statement": "代为提出异议"}},
                         token=make_token(user=agent), purpose="licensing", basis=ref)


async def test_an_item_grantee_files_on_that_items_records_only(engine):
    serial = 1
    async with await on(engine, DAY) as client:
        fined = await submit(client, penalty(_org(serial), 900 + serial, "2026-10-21"), SCJG)
        honoured = await submit(client, honour(_org(serial), 900 + serial, "威海市环翠区案件测试901有限公司"), TW)
        await _grant(client, _org(serial), "ge-agent-item", {"catalogueItems": ["HC-13-6-PENALTY"]}, "SQ-GE-1")
        # the subject's record of another item (of the same, public class): not the grantee's to dispute
        assert forbidden(await _file(client, honoured, "ge-agent-item", "SQ-GE-1"))
        by_grantee = payload(await _file(client, fined, "ge-agent-item", "SQ-GE-1"), "fileObjection")
        assert by_grantee["errors"] == [] and by_grantee["case"]["state"] == "FILED"


async def test_a_class_grantee_files_on_every_record_of_the_class(engine):
    subject = _person(1)
    async with await on(engine, DAY) as client:
        honoured = await submit(client, honour(subject, 902, "张三"), TW)  # a person's honour: SHARED
        await _grant(client, subject, "ge-agent-class", {"classes": ["SHARED"]}, "SQ-GE-2")
        by_grantee = payload(await _file(client, honoured, "ge-agent-class", "SQ-GE-2"), "fileObjection")
        assert by_grantee["errors"] == [] and by_grantee["case"]["state"] == "FILED"


async def test_a_grantee_of_a_class_and_an_item_files_on_that_items_records_of_another_class(engine):
    """The item's records of the granted class are covered by the class; its records of other classes
    by the item (a person's penalty is SHARED, an organisation's PUBLIC)."""
    serial = 3
    async with await on(engine, DAY) as client:
        fined = await submit(client, penalty(_org(serial), 900 + serial, "2026-10-21"), SCJG)
        await _grant(client, _org(serial), "ge-agent-both", {"classes": ["SHARED"],
                                                             "catalogueItems": ["HC-13-6-PENALTY"]}, "SQ-GE-3")
        by_grantee = payload(await _file(client, fined, "ge-agent-both", "SQ-GE-3"), "fileObjection")
        assert by_grantee["errors"] == [] and by_grantee["case"]["state"] == "FILED"
