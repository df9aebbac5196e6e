"""Admission of departments' live sources (issue 18), through HTTP against a real source server (a
strawberry subgraph run by uvicorn, tests/source_app.py): accepted subgraphs grow Subject on every
worker within a second and shrink it on removal; each forbidden construct is refused naming the
offending definition; only the credit centre's operators admit; every change is in the submission log.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sqlalchemy import select

from store.models import SubmissionLogEntry
from tests.conftest import TEST_SECRET, TEST_SUBJECT_ID_KEY, TODAY, app_for, graphql, make_token
from tests.source_app import running_source
from tests.sweep_world import fresh

OPERATOR = make_token(user="centre-op", department="XYZX", roles=["operator"])
AUDITOR = make_token(user="aud", department="FGJ", roles=["auditor"])
OFFICER = make_token(user="o1", department="FY", roles=["officer"])
ADMIT = """mutation($input: AdmitSourceInput!) { admitSource(input: $input) {
  source { name url version sdlHash fields { field catalogueItem } admittedAt health } signingKey
  errors { code field message } } }"""
REFRESH = """mutation($input: RefreshSourceInput!) { refreshSource(input: $input) {
  source { name version } changed errors { code field message } } }"""
REMOVE = """mutation($input: RemoveSourceInput!) { removeSource(input: $input) {
  source { name version } errors { code field message } } }"""
SUBJECT_FIELDS = """{ __type(name: "Subject") { fields { name } } }"""


@pytest.fixture(scope="module")
def source():
    with running_source() as base:
        yield base


def item_of(kind: str = "ORGANISATION") -> str:
    from domain.catalogue import load_profile

    profile = load_profile("huancui")
    return next(i.code for i in profile.items.values() if kind in {k.value for k in i.subject_kinds})


def synced_app(engine):
    """A worker that serves the admitted sources and follows their changes (as `serve` runs it)."""
    from pathlib import Path

    from gateway.app import create_app
    from gateway.identity import IdentityConfig, TokenVerifier
    from gateway.settings import Settings

    settings = Settings(data_dir=Path("/nonexistent"), database_url="unused", load_demo_on_empty=False,
                        subject_id_key=TEST_SUBJECT_ID_KEY)
    return create_app(settings, engine=engine, verifier=TokenVerifier(IdentityConfig(mode="hs256",
                                                                                     hs256_secret=TEST_SECRET)),
                      today=lambda: TODAY, sync_sources=True)


def client_of(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


async def subject_fields(client) -> set[str]:
    body = await graphql(client, SUBJECT_FIELDS)
    return {f["name"] for f in body["data"]["__type"]["fields"]}


async def admit(client, name, url, items, token=OPERATOR) -> dict:
    body = await graphql(client, ADMIT, {"input": {"name": name, "url": url, "items": items}}, token=token)
    return body


async def eventually(check, seconds: float = 5.0) -> None:
    """`check()` holds within `seconds` (generous: the test's own polling shares a loaded machine)."""
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"not followed within {seconds} s"
        await asyncio.sleep(0.05)


def followed_within_a_second(since: float, *apps) -> None:
    """Each worker installed the change within a second of `since` (the change's answer)."""
    for app in apps:
        assert app.state.sources.installed_at - since < 1.0, app.state.sources.installed_at - since


async def test_admitted_fields_grow_subject_on_every_worker_and_removal_shrinks_it(backend, tmp_path, source):
    engine = await fresh(backend, tmp_path, "admission")
    first, second = synced_app(engine), synced_app(engine)
    item = item_of()
    try:
        await first.state.sources.start()
        await second.state.sources.start()
        async with client_of(first) as a, client_of(second) as b:
            assert "licences" not in await subject_fields(a)
            body = await admit(a, "licensing", f"{source}/graphql", [item])
            answered = time.monotonic()
            payload = body["data"]["admitSource"]
            assert payload["errors"] == [], payload
            assert payload["source"]["version"] == 1 and payload["source"]["health"] == "unknown"
            assert {f["field"]: f["catalogueItem"] for f in payload["source"]["fields"]} == {
                "licences": item, "licenceCount": item}
            assert len(payload["signingKey"]) >= 40

            async def both_serve() -> bool:
                return {"licences", "licenceCount"} <= await subject_fields(a) & await subject_fields(b)

            await eventually(both_serve)
            followed_within_a_second(answered, first, second)
            # the gateway's own subgraph SDL, which a router composes, never carries the departments' fields
            sdl = (await graphql(a, "{ _service { sdl } }"))["data"]["_service"]["sdl"]
            assert "licenceCount" not in sdl and "  licences" not in sdl and "type Subject" in sdl
            listed = (await graphql(b, "{ sources { name version fields { field } health } }", token=AUDITOR))
            assert listed["data"]["sources"][0]["name"] == "licensing"
            # refreshing an unchanged source stores nothing new
            refreshed = (await graphql(a, REFRESH, {"input": {"name": "licensing"}}, token=OPERATOR))["data"]
            assert refreshed["refreshSource"] == {"source": {"name": "licensing", "version": 1}, "changed": False,
                                                  "errors": []}
            removed = (await graphql(b, REMOVE, {"input": {"name": "licensing"}}, token=OPERATOR))["data"]
            answered = time.monotonic()
            assert removed["removeSource"]["errors"] == []

            async def neither_serves() -> bool:
                return not ({"licences", "licenceCount"} & (await subject_fields(a) | await subject_fields(b)))

            await eventually(neither_serves)
            followed_within_a_second(answered, first, second)
            again = (await graphql(a, REMOVE, {"input": {"name": "licensing"}}, token=OPERATOR))["data"]
            assert again["removeSource"]["errors"][0]["code"] == "NOT_FOUND"
        async with engine.connect() as connection:
            actions = (await connection.execute(select(SubmissionLogEntry.action, SubmissionLogEntry.detail)
                                                .where(SubmissionLogEntry.action.like("SOURCE_%"))
                                                .order_by(SubmissionLogEntry.seq))).all()
        assert [a for a, _ in actions] == ["SOURCE_ADMITTED", "SOURCE_REMOVED"]
        assert actions[0][1]["source"] == "licensing" and len(actions[0][1]["sdl_hash"]) == 64
    finally:
        await first.state.sources.stop()
        await second.state.sources.stop()
        await engine.dispose()


# case -> words the refusal must hold: the offending definition and the rule
REFUSALS = {
    "mutation": ["type Mutation (line", "read-only"],
    "subscription": ["type Subscription (line", "read-only"],
    "query_field": ["Query.permit (line", "plumbing"],
    "requires": ["Subject.permits (line", "@requires"],
    "provides": ["Subject.holder (line", "@provides"],
    "override": ["Subject.permits (line", "@override"],
    "interface": ["interface Permit (line", "interfaces are not admitted"],
    "union": ["union Permit (line", "unions are not admitted"],
    "other_entity": ["type Permit (line", "entity"],
    "nested_subject": ["Permit.holder (line", "Subject, an entity"],
    "non_null": ["Subject.permits (line", "non-null"],
    "arguments": ["Subject.permits (line", "arguments"],
    "field_clash": ["Subject.records (line", "already has a field records"],
    "type_clash": ["type Department (line", "already serves a type named Department"],
    "wrong_key": ["Subject (line", '@key(fields: "code")'],
    "no_subject": ["extends no Subject"],
    "syntax": ["not valid GraphQL SDL", "(line 4)"],
}


async def test_each_forbidden_construct_is_refused_naming_the_definition(backend, tmp_path, source):
    engine = await fresh(backend, tmp_path, "refusals")
    try:
        async with client_of(app_for(engine)) as client:
            for case, words in REFUSALS.items():
                payload = (await admit(client, f"case-{case}".replace("_", "-"), f"{source}/raw/{case}",
                                       [item_of()]))["data"]["admitSource"]
                assert payload["source"] is None and payload["signingKey"] is None, case
                assert payload["errors"], case
                assert {e["code"] for e in payload["errors"]} == {"SDL_REFUSED"}, (case, payload)
                assert {e["field"] for e in payload["errors"]} == {"url"}
                messages = " | ".join(e["message"] for e in payload["errors"])
                assert all(w in messages for w in words), (case, messages)
            listed = (await graphql(client, "{ sources { name } }", token=OPERATOR))["data"]["sources"]
            assert listed == [], "a refused SDL stores nothing"
    finally:
        await engine.dispose()


async def test_binding_clashes_reach_and_rights(backend, tmp_path, source):
    engine = await fresh(backend, tmp_path, "binding")
    item = item_of()
    try:
        async with client_of(app_for(engine)) as client:
            # every field bound to an item of the catalogue
            unbound = (await admit(client, "good", f"{source}/raw/good", ["nope=X"]))["data"]["admitSource"]
            assert [e["code"] for e in unbound["errors"]] == ["INVALID", "UNKNOWN_ITEM"], unbound
            unknown = (await admit(client, "good", f"{source}/raw/good", ["NO-SUCH-ITEM"]))["data"]["admitSource"]
            assert unknown["errors"][0]["code"] == "UNKNOWN_ITEM" and "NO-SUCH-ITEM" in unknown["errors"][0]["message"]
            # Federation 2 style (`type Subject @key`, `code: String!`) is admitted too
            fed2 = (await admit(client, "fed2", f"{source}/raw/fed2", [f"permitCount={item}"]))["data"]["admitSource"]
            assert fed2["errors"] == [] and fed2["source"]["fields"] == [{"field": "permitCount",
                                                                        "catalogueItem": item}]
            good = (await admit(client, "good", f"{source}/raw/good", [item]))["data"]["admitSource"]
            assert good["errors"] == []
            # another source may not bring a field an admitted one brings, nor take a taken name
            clash = (await admit(client, "copy", f"{source}/raw/good", [item]))["data"]["admitSource"]
            assert clash["errors"][0]["code"] == "SDL_REFUSED"
            assert "source good already brings Subject.permits" in clash["errors"][0]["message"]
            taken = (await admit(client, "good", f"{source}/raw/fed2", [item]))["data"]["admitSource"]
            assert taken["errors"][0]["code"] == "DUPLICATE" and taken["errors"][0]["field"] == "name"
            # a source that does not answer
            gone = (await admit(client, "gone", "http://127.0.0.1:9/graphql", [item]))["data"]["admitSource"]
            assert gone["errors"][0]["code"] == "UNREACHABLE" and gone["errors"][0]["field"] == "url"
            bad_name = (await admit(client, "Bad Name", f"{source}/raw/good", [item]))["data"]["admitSource"]
            assert bad_name["errors"][0]["field"] == "name"
            # only the credit centre's operators admit; operators and auditors list
            for token in (OFFICER, AUDITOR, None):
                body = await admit(client, "other", f"{source}/raw/good", [item], token=token)
                assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            body = await graphql(client, "{ sources { name } }", token=OFFICER)
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            # GET /sources: operators and auditors, with health
            listed = await client.get("/sources", headers={"Authorization": f"Bearer {AUDITOR}"})
            assert listed.status_code == 200
            assert [(s["name"], s["health"]) for s in listed.json()["sources"]] == [("fed2", "unknown"),
                                                                                    ("good", "unknown")]
            assert (await client.get("/sources", headers={"Authorization": f"Bearer {OFFICER}"})).status_code == 403
            assert (await client.get("/sources")).status_code == 401
    finally:
        await engine.dispose()


def test_the_command_line_admits_lists_and_removes(tmp_path, source, monkeypatch, capsys):
    """`credit-gateway sources add NAME URL --item ITEM`, `list`, `refresh`, `remove` (SQLite)."""
    from gateway.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("CREDIT_DATA_DIR", str(tmp_path))
    item = item_of()
    assert main(["sources", "add", "licensing", f"{source}/graphql", "--item", item]) == 0
    printed = capsys.readouterr().out
    assert "source licensing admitted, version 1" in printed and "signing key (shown once" in printed
    assert main(["sources", "list"]) == 0
    assert "licensing\t" in capsys.readouterr().out
    assert main(["sources", "refresh"]) == 0
    assert "unchanged, version 1" in capsys.readouterr().out
    assert main(["sources", "add", "mut", f"{source}/raw/mutation", "--item", item]) == 2
    assert "type Mutation (line" in capsys.readouterr().err
    assert main(["sources", "remove", "licensing"]) == 0
    assert main(["sources", "list"]) == 0
    assert "no source is admitted" in capsys.readouterr().out
