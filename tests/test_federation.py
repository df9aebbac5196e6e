"""The Apollo Federation 2 subgraph through HTTP (SPEC 4, Federation; SPEC 3.1, keys).

`_entities` is how a router joins on `Subject`: it must answer exactly as `subject(code)` does
(policies, masking, refusals, query log), from representations sent as variables (what routers
do) or as literals, at most `max_list_codes` of them, each fault named with its index. `Subject`
is keyed by `code` and by an opaque `id` that is stable for a deployment's key and unforgeable.
"""

from __future__ import annotations

import datetime as dt
import os
import stat

import httpx
import pytest
from sqlalchemy import select

from domain.subject_ids import KEY_FILE, SubjectIds
from gateway.app import create_app
from gateway.identity import IdentityConfig, TokenVerifier
from gateway.settings import Settings
from store.models import QueryLogEntry
from tests import world as w
from tests.conftest import TEST_SECRET, app_for, graphql, make_token

MASKED_P = w.PERSON_P[:6] + "********" + w.PERSON_P[-4:]
OFFICER = dict(token=make_token(user="fed-o1", department="FY", roles=["officer"]),
               purpose="licensing", basis="HC-SQ-FED-FY")  # a query permit (HC-23), registered below
READERS = {"public": {}, "officer with purpose and basis": OFFICER}

# Protected and refused fields included: they must be refused in the same way both ways.
SELECTION = """id code name kind status queryCount
  records(first: 50) { totalCount edges { node { id visibility lateWorkingDays } } }"""
BY_CODE = "query ByCode($c: ID!) { subject(code: $c) { %s } }" % SELECTION
ENTITIES = "query Entities($r: [_Any!]!) { _entities(representations: $r) { ... on Subject { %s } } }" % SELECTION
ENTITIES_ID_CODE = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Subject { id code } } }"


def literal(code: str) -> str:
    return '{ _entities(representations: [{__typename: "Subject", code: "%s"}]) { ... on Subject { %s } } }' % (
        code, SELECTION)


def errors_by_place(body: dict, prefix: list) -> list[tuple]:
    """Errors as (path below the subject, code, message), so two ways of asking can be compared."""
    found = []
    for error in body.get("errors", []):
        path = error.get("path") or []
        assert path[:len(prefix)] == prefix or not path, error
        found.append((tuple(path[len(prefix):]), error["extensions"]["code"], error["message"]))
    return sorted(found, key=repr)


def rep(code: str | None = None, **fields) -> dict:
    representation = {"__typename": "Subject", **fields}
    if code is not None:
        representation["code"] = code
    return representation


@pytest.fixture
async def fed_permit(client):
    from tests import permits

    await permits.ensure(client, "HC-SQ-FED-FY", "FY", ["SHARED", "LIMITED"])


@pytest.mark.parametrize("reader", READERS, ids=list(READERS))
@pytest.mark.parametrize("code", [w.PERSON_P, w.ORG_A], ids=["person", "organisation"])
async def test_entities_answer_exactly_as_subject_by_code(client, fed_permit, reader, code):
    headers = READERS[reader]
    direct = await graphql(client, BY_CODE, {"c": code}, **headers)
    subject = direct["data"]["subject"]
    by_variables = await graphql(client, ENTITIES, {"r": [rep(code)]}, **headers)
    by_literal = await graphql(client, literal(code), **headers)
    by_id = await graphql(client, ENTITIES, {"r": [rep(id=subject["id"])]}, **headers)
    for body in (by_variables, by_literal, by_id):
        assert body["data"]["_entities"] == [subject]
        assert errors_by_place(body, ["_entities", 0]) == errors_by_place(direct, ["subject"])
    # what the reader sees is what SPEC 3.1 says, not merely the same both ways
    person, public = code == w.PERSON_P, reader == "public"
    assert subject["code"] == (MASKED_P if person and public else code)
    assert (subject["name"] == "王小明") is (person and not public) or not person
    assert subject["queryCount"] is None  # the subject itself and auditors only: refused, with an error
    visible = {e["node"]["visibility"] for e in subject["records"]["edges"]}
    assert visible == ({"PUBLIC"} if public else ({"PUBLIC", "SHARED", "LIMITED"} if person else {"PUBLIC", "SHARED"}))


async def test_entities_requests_are_logged_as_sent_with_the_subjects_they_resolved(engine, client):
    variables = {"r": [rep(w.PERSON_P), rep(w.ORG_B)]}
    body = await graphql(client, ENTITIES, variables)
    assert [s["code"] for s in body["data"]["_entities"]] == [MASKED_P, w.ORG_B]
    assert variables == {"r": [rep(w.PERSON_P), rep(w.ORG_B)]}  # the client's own objects, untouched
    async with engine.connect() as connection:
        entry = (await connection.execute(select(QueryLogEntry.__table__).where(
            QueryLogEntry.operation_name == "Entities").order_by(QueryLogEntry.seq.desc()).limit(1))).one()
    assert entry.variables == {"r": [rep(MASKED_P), rep(w.ORG_B)]}  # as sent, personal identifiers masked
    assert {MASKED_P, w.ORG_B} <= set(entry.subjects)


async def test_at_most_max_list_codes_representations_like_subjects_codes(client):
    hundred = [rep(code) for code in w.BULK_ORGS[:100]]
    body = await graphql(client, ENTITIES_ID_CODE, {"r": hundred})
    assert [s["code"] for s in body["data"]["_entities"]] == w.BULK_ORGS[:100]
    body = await graphql(client, ENTITIES_ID_CODE, {"r": hundred + [rep(w.BULK_ORGS[100])]})
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "101" in error["message"] and "at most 100" in error["message"]


async def test_each_malformed_representation_is_named_by_its_index_and_the_others_resolve(client):
    representations = [
        {"__typename": "Subject"},  # no key
        rep(w.ORG_A),
        {"__typename": "Company", "code": w.ORG_A},  # not an entity of this subgraph
        {"code": w.ORG_A},  # no __typename
        rep(12345),  # not a string
        "Subject",  # not an object
        rep("91371002MA0000001X"),  # not a valid code: the same error as subject(code)
    ]
    body = await graphql(client, ENTITIES_ID_CODE, {"r": representations})
    entities = body["data"]["_entities"]
    assert entities[1]["code"] == w.ORG_A and [e for i, e in enumerate(entities) if i != 1] == [None] * 6
    errors = {e["path"][1]: e for e in body["errors"]}
    assert sorted(errors) == [0, 2, 3, 4, 5, 6]
    for index, error in errors.items():
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["index"] == index
        assert error["message"].startswith(f"representations[{index}]"), error
    assert "id, code" in errors[0]["message"]
    assert "'Company'" in errors[2]["message"] and "Subject" in errors[2]["message"]
    assert "__typename is missing" in errors[3]["message"]
    assert "code must be a non-empty string, got number" in errors[4]["message"]
    assert "not an object" in errors[5]["message"]
    direct = await graphql(client, BY_CODE, {"c": "91371002MA0000001X"})
    assert errors[6]["message"] == "representations[6]: " + direct["errors"][0]["message"]


async def test_a_masked_code_is_never_a_key(client):
    for body in (await graphql(client, ENTITIES_ID_CODE, {"r": [rep(MASKED_P)]}),
                 await graphql(client, BY_CODE, {"c": MASKED_P}, **OFFICER)):
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["fault"] == "MASKED"
        assert "masked" in error["message"] and "`id`" in error["message"]


async def test_the_id_is_opaque_and_the_same_for_every_reader(client):
    public = (await graphql(client, BY_CODE, {"c": w.PERSON_P}))["data"]["subject"]
    officer = (await graphql(client, BY_CODE, {"c": w.PERSON_P}, **OFFICER))["data"]["subject"]
    other = (await graphql(client, BY_CODE, {"c": w.PERSON_Q}))["data"]["subject"]
    assert public["id"] == officer["id"] != other["id"]
    assert public["id"].startswith("sj1_")
    for text in (w.PERSON_P, w.PERSON_P[:6], w.PERSON_P[-4:], "王"):
        assert text not in public["id"]
    # persons sharing a masked code are told apart by their ids (the codes share prefix and suffix)
    assert public["id"][4:10] != other["id"][4:10]


async def _ids(app, codes: list[str]) -> list[str]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
        body = await graphql(client, ENTITIES_ID_CODE, {"r": [rep(c) for c in codes]})
    return [s["id"] for s in body["data"]["_entities"]]


async def test_ids_are_stable_for_a_key_differ_with_another_and_foreign_ids_are_refused(engine, client):
    codes = [w.PERSON_P, w.ORG_A]
    ours = await _ids(app_for(engine), codes)
    assert await _ids(app_for(engine), codes) == ours  # another instance (worker, restart), same key
    theirs = await _ids(app_for(engine, subject_id_key="a7" * 64), codes)
    assert set(theirs).isdisjoint(ours)
    officer_sees = await graphql(client, ENTITIES_ID_CODE, {"r": [rep(id=i) for i in ours]}, **OFFICER)
    assert officer_sees["data"]["_entities"] == [{"id": i, "code": c} for i, c in zip(ours, codes)]
    altered = ours[1][:-3] + ("AAA" if not ours[1].endswith("AAA") else "BBB")
    forged = [theirs[0], altered, "sj1_" + "A" * 46, w.ORG_A, "sj1_!!", "sj1_" + "A" * 500]
    body = await graphql(client, ENTITIES_ID_CODE, {"r": [rep(id=i) for i in forged]}, **OFFICER)
    assert body["data"]["_entities"] == [None] * len(forged)
    assert sorted(e["path"][1] for e in body["errors"]) == list(range(len(forged)))
    for error in body["errors"]:
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert "subject id" in error["message"] and "`id` this gateway returned" in error["message"]


async def test_without_a_configured_key_the_data_folder_keeps_one(engine, tmp_path):
    def fresh_app():
        settings = Settings(data_dir=tmp_path, database_url="unused", load_demo_on_empty=False)
        return create_app(settings, engine=engine, verifier=TokenVerifier(IdentityConfig(
            mode="hs256", hs256_secret=TEST_SECRET)), today=lambda: dt.date(2026, 11, 20))

    first = await _ids(fresh_app(), [w.PERSON_P])
    key_file = tmp_path / KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert await _ids(fresh_app(), [w.PERSON_P]) == first  # restarted: the same key, the same ids
    assert SubjectIds.for_deployment(key_file.read_text().strip(), tmp_path).id_of(w.PERSON_P) == first[0]
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no temporary file left behind


def test_a_misconfigured_key_is_refused_at_start_saying_what_a_key_is(tmp_path):
    for bad in ("not-hex", "ab" * 16):
        with pytest.raises(ValueError, match="128 hex characters|64 bytes"):
            SubjectIds.for_deployment(bad, tmp_path)


async def test_service_sdl_declares_both_keys(client):
    body = await graphql(client, "{ _service { sdl } }")
    sdl = body["data"]["_service"]["sdl"]
    assert 'type Subject implements Node @key(fields: "id") @key(fields: "code")' in sdl
    assert "  id: ID!\n" in sdl[sdl.index("type Subject"):]
