"""Access rules that a small change to the code could break unnoticed (issue 12, "Survivors").

Each test pins one rule of SPEC 3.1/3.2 (HC-19..23, XZ-15, XZ-18) through HTTP on a world of its
own (tests/pins_world.py: LIMITED records of four items with different share lists, archived
records of a person, disclosure periods ending around the jurisdiction's day), so that the
mutations listed in issue 12 fail a test:

- a basis in the `objection:` / `repair:` forms opening anything, for any role (a case is named
  `case:<number>`; operators read PUBLIC records otherwise, SPEC 3.1);
- a partly granted LIMITED class read as the whole class, or without its catalogue-item filter;
- a purpose alone, or a basis alone, counted as declared (HC-23, XZ-18 need both);
- auditors reading archived records without a basis, grantees reading archived records, and the
  last day of a disclosure period taken as past (HC-19: archived the day after it ends);
- accessExplanation naming another allowing line than the deciding one.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from resolvers.node_ids import NodeKind, global_id
from store.bootstrap import initialise
from store.engine import create_engine
from tests import permits
from tests import pins_world as pw
from tests.conftest import app_for, graphql, make_token, scratch_url, row_number

QUERY = """
query($codes: [ID!]!, $status: RecordStatus) {
  subjects(codes: $codes) { code name records(status: $status, first: 50) { totalCount edges { node { id } } } }
}
"""
RECORD = "query($id: ID!){ record(id: $id){ id status } }"
EXPLAIN = "query($id: ID!){ accessExplanation(recordId: $id){ allowed decidedBy reasons } }"
GRANT = """
mutation($grantee: GranteeInput!, $scope: AuthorizationScopeInput!, $from: DateTime!, $until: DateTime!) {
  grantAuthorization(input: {grantee: $grantee, scope: $scope, purpose: LICENSING, validFrom: $from,
                             validUntil: $until, writtenAuthorizationRef: "SQ-PIN"}) { authorization { id } errors { message } }
}
"""
MASKED = pw.PERSON[:6] + "********" + pw.PERSON[-4:]
MASKED_NAME = pw.PERSON_NAME[0] + "*"  # 钱七 as the public sees it
NEUTRAL_BASIS = "XK-PIN-0001"  # names no permit, no authorisation, no case
PERMIT_DEPARTMENTS = ("FY", "GAJ", "MZJ", "FGJ")
ARCHIVED_LABELS = ("ARCHIVED-", "SWEPT-")


def permit_number(dept: str) -> str:
    return f"HC-SQ-PIN-{dept}"


def officer(dept: str, role: str = "officer") -> str:
    return make_token(user=f"pin-{role}-{dept}", department=dept, roles=[role])


@pytest.fixture(scope="module")
async def pins(backend, tmp_path_factory):
    """This module's own database: the pins world, and the permits of the departments it reads with."""
    url = await scratch_url(backend, tmp_path_factory.mktemp("access_pins"), "access_pins")
    engine = create_engine(url)
    await initialise(engine, "huancui")
    world = await pw.populate(engine)
    app = app_for(engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        for dept in PERMIT_DEPARTMENTS:
            assert (await permits.register(client, permit_number(dept), dept, ["SHARED", "LIMITED"]))["permit"]
        yield engine, world, client
    await engine.dispose()


async def look(client, world, token=None, purpose=None, basis=None, status=None, code=pw.PERSON):
    """(labels of the records seen, the subject's code as shown, its name as shown) for one subject."""
    variables = {"codes": [code], **({"status": status} if status else {})}
    body = await graphql(client, QUERY, variables, token=token, purpose=purpose, basis=basis)
    subject = body["data"]["subjects"][0]
    if subject is None:
        return set(), None, None
    by_id = world.by_id
    edges = subject["records"]["edges"]
    assert subject["records"]["totalCount"] == len(edges), "totalCount counts only what may be seen"
    return {by_id[row_number(e["node"]["id"])] for e in edges}, subject["code"], subject["name"]


@pytest.fixture
def world(pins):
    return pins[1]


@pytest.fixture
def client(pins):
    return pins[2]


async def record_seen(client, world, label, token=None, purpose=None, basis=None) -> dict | None:
    body = await graphql(client, RECORD, {"id": str(world.records[label])}, token=token, purpose=purpose, basis=basis)
    return body["data"]["record"]


async def grant(client, grantee: dict, scope: dict) -> str:
    now = dt.datetime.now(dt.timezone.utc)
    body = await graphql(client, GRANT, {"grantee": grantee, "scope": scope,
                                         "from": (now - dt.timedelta(days=1)).isoformat(),
                                         "until": (now + dt.timedelta(days=30)).isoformat()},
                         token=make_token(user="pin-person", subject=pw.PERSON))
    assert "errors" not in body and body["data"]["grantAuthorization"]["errors"] == [], body
    return body["data"]["grantAuthorization"]["authorization"]["id"]


def test_the_world_has_limited_records_of_several_items_with_different_share_lists(world):
    items = world.limited_items
    assert len(items) >= 3 and len({i.shared_with for i in items}) == len(items)
    for dept in ("FY", "GAJ", "MZJ"):
        readable = {i.code for i in items if dept in i.shared_with or i.providers[0] == dept}
        assert readable and readable != {i.code for i in items}, dept  # partly granted, never the whole class
    assert {"ARCHIVED-AUTHORIZED", "SWEPT-SHARED", f"ARCHIVED-LIMITED-{items[0].code}"} <= set(world.records)


# ---- LIMITED share lists (XZ-15 C): the item filter of a partly granted class ---------------------

def officer_with_permit_reads(world, dept: str) -> set[str]:
    """What an officer of `dept` reads of the person with its permit (SHARED, LIMITED): PUBLIC, SHARED,
    the LIMITED items whose share list names it, and its own active records as their provider."""
    own = {label for label, provider in world.provider_of.items()
           if provider == dept and not label.startswith(pw.DATED)}
    return {"PUBLIC", "SHARED"} | {f"LIMITED-{i.code}" for i in world.limited_items if dept in i.shared_with} | own


@pytest.mark.parametrize("dept", ["FY", "GAJ", "MZJ"])
async def test_a_partly_granted_limited_class_opens_only_its_listed_items(world, client, dept):
    token = officer(dept)
    expected = officer_with_permit_reads(world, dept)
    labels, code, _ = await look(client, world, token, "licensing", permit_number(dept))
    assert labels == expected
    assert code == pw.PERSON
    for label in world.labels("LIMITED-") - expected:  # nor by id
        assert await record_seen(client, world, label, token, "licensing", permit_number(dept)) is None, label


async def test_a_permit_naming_one_limited_item_opens_that_item_only(world, client):
    housing = next(i for i in world.limited_items if "HOUSING" in i.code)
    assert "FY" in housing.shared_with
    payload = await permits.register(client, "HC-SQ-PIN-FY-HOUSING", "FY", [], [housing.code])
    assert payload["permit"], payload
    labels, _, _ = await look(client, world, officer("FY"), "licensing", "HC-SQ-PIN-FY-HOUSING")
    assert labels == {"PUBLIC", f"LIMITED-{housing.code}"}


async def test_a_grant_of_one_limited_item_opens_that_item_only_and_of_the_class_every_item(world, client):
    subsistence = next(i for i in world.limited_items if "SUBSISTENCE" in i.code)
    await grant(client, {"user": "pin-bank-item"}, {"catalogueItems": [subsistence.code]})
    labels, code, _ = await look(client, world, make_token(user="pin-bank-item"), "licensing", "SQ-PIN")
    assert labels == {"PUBLIC", f"LIMITED-{subsistence.code}"} and code == pw.PERSON
    await grant(client, {"user": "pin-bank-class"}, {"classes": ["LIMITED"]})
    labels, _, _ = await look(client, world, make_token(user="pin-bank-class"), "licensing", "SQ-PIN")
    assert labels == {"PUBLIC"} | world.labels("LIMITED-")


# ---- a basis that names no case opens nothing (SPEC 3.1: cases are named `case:<number>`) ----

CASE_READERS = {
    "operator": ("XYZX", "operator"),
    "officer, listed for LIMITED": ("FY", "officer"),
    "officer, provider of the AUTHORIZED record": ("GAJ", "officer"),
    "agency": ("ZXJG", "agency"),
    "auditor": ("FGJ", "auditor"),
}


@pytest.mark.parametrize("reader", CASE_READERS)
async def test_a_case_basis_gives_no_case_rights_to_any_role(world, client, reader):
    """`objection:<id>` / `repair:<id>` read exactly as a basis naming nothing does, with or without a
    purpose: never the AUTHORIZED or archived records a case on the subject would open."""
    dept, role = CASE_READERS[reader]
    token = officer(dept, role)
    swept_limited = world.records[f"SWEPT-LIMITED-{world.limited_items[0].code}"]
    bases = [f"objection:{world.records['AUTHORIZED']}", f"repair:{world.records['AUTHORIZED']}",
             f"REPAIR:{world.records['ARCHIVED-SHARED']}", f"objection:{swept_limited}"]
    provider = world.items["AUTHORIZED"].providers[0] == dept
    for purpose in (None, "supervision"):
        active = await look(client, world, token, purpose, NEUTRAL_BASIS)
        archived = await look(client, world, token, purpose, NEUTRAL_BASIS, status="ARCHIVED")
        assert ("AUTHORIZED" in active[0]) is provider
        if role == "operator":
            assert active == ({"PUBLIC"}, MASKED, MASKED_NAME) and archived[0] == set()
        for basis in bases:
            assert await look(client, world, token, purpose, basis) == active, (basis, purpose)
            assert await look(client, world, token, purpose, basis, status="ARCHIVED") == archived, (basis, purpose)
            explained = await graphql(client, EXPLAIN, {"id": str(world.records["AUTHORIZED"])}, token=token,
                                      purpose=purpose, basis=basis)
            assert explained["data"]["accessExplanation"]["allowed"] is provider, (basis, purpose)
            assert "case" not in (explained["data"]["accessExplanation"]["decidedBy"] or "")


# ---- purpose AND basis (HC-23, XZ-18): either alone declares nothing ----------------------------

async def test_a_purpose_alone_or_a_basis_alone_is_not_declared(world, client):
    token = officer("FY")
    assert await look(client, world, token, "licensing", permit_number("FY")) == (
        officer_with_permit_reads(world, "FY"), pw.PERSON, pw.PERSON_NAME)
    for declared in ({"purpose": "licensing"}, {"basis": permit_number("FY")}, {"purpose": "licensing", "basis": "  "},
                     {}):
        assert await look(client, world, token, **declared) == ({"PUBLIC"}, MASKED, MASKED_NAME), declared
    # a grantee: the authorisation applies with its purpose and a basis, not with either alone
    await grant(client, {"user": "pin-bank-alone"}, {"classes": ["AUTHORIZED"]})
    bank = make_token(user="pin-bank-alone")
    assert await look(client, world, bank, "licensing", "SQ-PIN") == \
        ({"PUBLIC", "AUTHORIZED"}, pw.PERSON, pw.PERSON_NAME)
    for declared in ({"purpose": "licensing"}, {"basis": "SQ-PIN"}):
        assert await look(client, world, bank, **declared) == ({"PUBLIC"}, MASKED, MASKED_NAME), declared
    # an auditor: archived records with a purpose and a basis only
    auditor = officer("FGJ", "auditor")
    with_both = await look(client, world, auditor, "supervision", permit_number("FGJ"), status="ARCHIVED")
    assert with_both[0] == {f"{state}{cls}" for state in ARCHIVED_LABELS for cls in ("PUBLIC", "SHARED")}
    for declared in ({"purpose": "supervision"}, {"basis": permit_number("FGJ")}):
        assert (await look(client, world, auditor, status="ARCHIVED", **declared))[0] == set(), declared
        assert await record_seen(client, world, "ARCHIVED-PUBLIC", auditor, **declared) is None, declared


# ---- archived records (HC-19, SPEC 3.2) -----------------------------------------------------------

async def test_archived_records_of_a_person_reach_the_subject_its_providers_and_auditors_with_a_basis(world, client):
    every_archived = {label for label in world.records if label.startswith(ARCHIVED_LABELS)}
    me = make_token(user="pin-person", subject=pw.PERSON)
    assert (await look(client, world, me, status="ARCHIVED"))[0] == every_archived
    gaj = world.items["AUTHORIZED"].providers[0]
    provided = {label for label in every_archived if label.endswith("-AUTHORIZED")}
    assert (await look(client, world, officer(gaj), status="ARCHIVED"))[0] == provided
    auditor = officer("FGJ", "auditor")
    assert (await look(client, world, auditor, "supervision", NEUTRAL_BASIS, status="ARCHIVED"))[0] == \
        {"ARCHIVED-PUBLIC", "SWEPT-PUBLIC"}
    assert (await look(client, world, auditor, status="ARCHIVED"))[0] == set()
    seen = await record_seen(client, world, "ARCHIVED-SHARED", auditor, "supervision", permit_number("FGJ"))
    assert seen == {"id": global_id(NodeKind.RECORD, world.records["ARCHIVED-SHARED"]), "status": "ARCHIVED"}
    # readers that never see archived records: the public, an officer with its permit (providing none
    # of them), a grantee
    await grant(client, {"user": "pin-bank-archive"}, {"classes": ["AUTHORIZED", "SHARED", "LIMITED"]})
    bank = make_token(user="pin-bank-archive")
    assert (await look(client, world, bank, "licensing", "SQ-PIN"))[0] == \
        {"PUBLIC", "SHARED", "AUTHORIZED"} | world.labels("LIMITED-")
    assert "MZJ" not in {world.provider_of[label] for label in every_archived}
    for token, declared in ((None, {}), (officer("MZJ"), {"purpose": "licensing", "basis": permit_number("MZJ")}),
                            (bank, {"purpose": "licensing", "basis": "SQ-PIN"})):
        assert (await look(client, world, token, status="ARCHIVED", **declared))[0] == set(), declared
        for label in ("ARCHIVED-SHARED", "SWEPT-AUTHORIZED", f"ARCHIVED-LIMITED-{world.limited_items[0].code}"):
            assert await record_seen(client, world, label, token, **declared) is None, (label, declared)


async def test_the_last_day_of_a_disclosure_period_is_still_disclosed_in_the_jurisdictions_day(world, pins):
    """HC-19: a record is archived the day AFTER its period ends, that day being Beijing's: at
    16:30 UTC on 20 November it is already 21 November there."""
    engine = pins[0]
    app = app_for(engine, now=pw.BOUNDARY_NOW)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        org = make_token(user="pin-org", subject=pw.ORG)
        assert (await look(client, world, code=pw.ORG))[0] == {"ENDS-TODAY", "ENDS-TOMORROW"}
        assert (await look(client, world, org, code=pw.ORG, status="ACTIVE"))[0] == {"ENDS-TODAY", "ENDS-TOMORROW"}
        assert (await look(client, world, org, code=pw.ORG, status="ARCHIVED"))[0] == {"ENDS-YESTERDAY"}
        for label, status in (("ENDS-YESTERDAY", "ARCHIVED"), ("ENDS-TODAY", "ACTIVE"), ("ENDS-TOMORROW", "ACTIVE")):
            assert (await record_seen(client, world, label, org))["status"] == status, label
            public = await record_seen(client, world, label)
            assert (public is None) is (status == "ARCHIVED"), label


# ---- accessExplanation names the deciding line -----------------------------------------------------

async def explanation(client, world, label, token=None, purpose=None, basis=None) -> dict:
    body = await graphql(client, EXPLAIN, {"id": str(world.records[label])}, token=token, purpose=purpose, basis=basis)
    return body["data"]["accessExplanation"]


async def test_access_explanation_names_the_first_line_that_decides_not_the_last_that_allows(world, client):
    # the person reading its own PUBLIC record: the public line decides; its own line allows too
    mine = await explanation(client, world, "PUBLIC", make_token(user="pin-person", subject=pw.PERSON))
    assert mine["allowed"] and mine["decidedBy"] == "p, public, PUBLIC, *, read, always"
    assert "role self (it is about you): p, self, *, *, read, always" in mine["reasons"]
    # its provider reading it archived: the public and officer lines allow PUBLIC records but read
    # active ones only, so its provider's line decides
    provider = world.items["PUBLIC"].providers[0]
    archived = await explanation(client, world, "ARCHIVED-PUBLIC", officer(provider))
    assert archived["allowed"] and archived["decidedBy"] == "p, provider, *, *, read, always"
    assert any("role public reads active records only" in r for r in archived["reasons"])
    # an officer listed for the item, with its permit; and an item it is not listed for: as if missing
    fy = (officer("FY"), "licensing", permit_number("FY"))
    listed = next(i for i in world.limited_items if "FY" in i.shared_with)
    unlisted = next(i for i in world.limited_items if "FY" not in i.shared_with and i.providers[0] != "FY")
    decided = await explanation(client, world, f"LIMITED-{listed.code}", *fy)
    assert decided["allowed"] and decided["decidedBy"] == "p, officer, LIMITED, *, read, listed_permit"
    refused = await explanation(client, world, f"LIMITED-{unlisted.code}", *fy)
    assert refused["allowed"] is False and refused["decidedBy"] is None
    # an auditor with its permit reads SHARED records as an officer: the officer's line decides
    audit = await explanation(client, world, "ARCHIVED-SHARED", officer("FGJ", "auditor"), "supervision",
                              permit_number("FGJ"))
    assert audit["allowed"] and audit["decidedBy"] == "p, officer, SHARED, *, read, permit"
