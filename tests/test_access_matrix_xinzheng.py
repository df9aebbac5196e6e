"""SPEC 3.1 through HTTP under the Xinzheng profile: the rows that differ from Huancui.

Class B (SHARED) is for administrative organs, organisations authorised by law and recognised
credit agencies, with purpose and basis (XZ-15); class C (LIMITED) only for the departments named
on the item, each with its official letter (正式函件, XZ-18), registered as a query permit.

World: tests/world.py built under the xinzheng catalogue on a database of this module's own:
organisation ORG_A has PUBLIC, SHARED and LIMITED records (the LIMITED item's list names XZSP, SWJ
and the agency ZXJG), person PERSON_P has PUBLIC, AUTHORIZED, SHARED and LIMITED records (listed:
FY, GAJ, XZSP).
"""

from __future__ import annotations

import httpx
import pytest

from store.bootstrap import initialise
from store.engine import create_engine
from tests import permits
from tests import world as w
from tests.conftest import app_for, graphql, make_token, scratch_url, row_number

QUERY = """
query($codes: [ID!]!) {
  subjects(codes: $codes) { code records(first: 50) { totalCount edges { node { id } } } }
}
"""
PURPOSE = {"purpose": "licensing", "basis": "XK-2026-0001"}  # names no letter
LETTER = {"purpose": "licensing", "basis": "新郑函〔2026〕7号"}  # XZSP's, registered below
AGENCY_LETTER = {"purpose": "licensing", "basis": "XZ-LETTER-ZXJG"}


@pytest.fixture(scope="module")
async def xinzheng(backend, tmp_path_factory):
    url = await scratch_url(backend, tmp_path_factory.mktemp("xinzheng"), "xinzheng")
    engine = create_engine(url)
    await initialise(engine, "xinzheng")
    world = await w.populate(engine, "xinzheng")
    app = app_for(engine, profile="xinzheng")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        for number, dept in ((LETTER["basis"], "XZSP"), (AGENCY_LETTER["basis"], "ZXJG"), ("XZ-LETTER-RSJ", "RSJ")):
            payload = await permits.register(client, number, dept, ["LIMITED"])
            assert payload["errors"] == [], payload
        yield client, world
    await engine.dispose()


async def labels(client, world, token=None, declared=None) -> tuple[set[str], list[str]]:
    declared = dict(declared or {})
    if declared.get("basis") and not declared["basis"].isascii():
        from urllib.parse import quote

        declared["basis"] = quote(declared["basis"])  # a non-ASCII letter number, percent-encoded (SPEC 2)
    body = await graphql(client, QUERY, {"codes": [w.ORG_A, w.PERSON_P]}, token=token, **declared)
    found = set()
    for subject in body["data"]["subjects"]:
        assert subject["records"]["totalCount"] == len(subject["records"]["edges"])
        found |= {world.by_id[row_number(e["node"]["id"])] for e in subject["records"]["edges"]}
    notices = [e["message"] for e in body.get("errors", []) if e["extensions"]["code"] == "PURPOSE_REQUIRED"]
    return found, notices


async def test_world_matches_the_assumptions_of_this_matrix(xinzheng):
    _client, world = xinzheng
    org_limited, person_limited = world.items["ORGANISATION-LIMITED"], world.items["NATURAL_PERSON-LIMITED"]
    assert {"XZSP", "SWJ", "ZXJG"} <= set(org_limited.shared_with) and "RSJ" not in org_limited.shared_with
    assert {"XZSP", "GAJ"} <= set(person_limited.shared_with) and "ZXJG" not in person_limited.shared_with
    assert world.items["NATURAL_PERSON-AUTHORIZED"].providers[0] == "GAJ"
    assert "RSJ" not in person_limited.shared_with
    readers = {"XZSP", "ZXJG", "RSJ", "FGJ"}
    assert len(world.items) >= 4 and all(item.providers[0] not in readers for item in world.items.values())
    assert all(item.providers[0] != "GAJ" for label, item in world.items.items() if label != "NATURAL_PERSON-AUTHORIZED")


PUBLIC = {"A-PUBLIC", "P-PUBLIC"}
CLASS_B = PUBLIC | {"A-SHARED", "P-SHARED"}
CELLS = [
    ("public", None, {}, PUBLIC, None),
    ("officer, listed, purpose without a letter: class B, no class C", dict(user="o1", department="XZSP",
                                                                          roles=["officer"]),
     PURPOSE, CLASS_B, "names no query permit"),
    ("officer, listed, with its official letter: B and C", dict(user="o2", department="XZSP", roles=["officer"]),
     LETTER, CLASS_B | {"A-LIMITED", "P-LIMITED"}, None),
    ("officer, unlisted, with a letter: B only", dict(user="o3", department="RSJ", roles=["officer"]),
     {"purpose": "licensing", "basis": "XZ-LETTER-RSJ"}, CLASS_B, None),
    ("officer, listed, using another department's letter", dict(user="o4", department="GAJ", roles=["officer"]),
     LETTER, CLASS_B | {"P-AUTHORIZED"}, "registered for another department"),  # GAJ provides P-AUTHORIZED
    ("officer without purpose", dict(user="o5", department="XZSP", roles=["officer"]), {}, PUBLIC, None),
    ("recognised agency with purpose: class B (XZ-15)", dict(user="c1", department="ZXJG", roles=["agency"]),
     PURPOSE, CLASS_B, "names no query permit"),
    ("recognised agency with a letter: its listed class C item", dict(user="c2", department="ZXJG",
                                                                        roles=["agency"]),
     AGENCY_LETTER, CLASS_B | {"A-LIMITED"}, None),
    ("auditor with purpose: as an officer, never AUTHORIZED or unlisted LIMITED",
     dict(user="a1", department="FGJ", roles=["auditor"]), PURPOSE, CLASS_B, None),
    ("operator naming a repair", dict(user="x1", department="XYZX", roles=["operator"]),
     {"purpose": "supervision", "basis": "repair:1"}, PUBLIC, "the basis names no case"),
]


@pytest.mark.parametrize("reader, claims, declared, expected, notice", CELLS, ids=[c[0] for c in CELLS])
async def test_reader_sees_exactly_under_xinzheng(xinzheng, reader, claims, declared, expected, notice):
    client, world = xinzheng
    found, notices = await labels(client, world, make_token(**claims) if claims else None, declared)
    assert found == expected, reader
    if notice:
        assert any(notice in m for m in notices), notices
