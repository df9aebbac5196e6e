"""Federated sources end to end (issue 18): a real source server (tests/fake_source.py, a uvicorn
subprocess answering only calls signed with its key) admitted the way operators admit one, then
joined queries through the gateway's HTTP endpoint: one call per source for 100 subjects, each
subject's data its own, the call named in the request's query-log entry (and the chain verifies),
partial answers when the source is down, slow or talks garbage, a 503 with no data when the log
cannot be written, and a refused reader's subjects never sent.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, text

from domain.catalogue import load_profile
from domain.identifiers import credit_code_check_char, organisation_code_check_char
from store.chain import QUERY_LOG
from store.engine import create_engine
from store.log_archive import verify_stored
from store.models import Subject
from tests.conftest import TEST_SECRET, TEST_SUBJECT_ID_KEY, TODAY, graphql
from tests.fake_source import running_fake_source
from tests.sweep_world import fresh
from tests.test_query_log import last_entry

KEY = "end-to-end-source-key-0123456789abcdef"
PUBLIC_ITEM = "HC-10-2-LICENCE"  # PUBLIC for organisations: anyone may read it
SHARED_ITEM = "HC-10-4-HOUSING-FUND-REGISTRATION"  # SHARED: not for the public
DEADLINE = 1.0


def org_code(n: int) -> str:
    organisation = f"MA3C{n:04d}"
    first17 = "91371002" + organisation + organisation_code_check_char(organisation)
    return first17 + credit_code_check_char(first17)


ORGS = [org_code(n) for n in range(100)]
JOINED = """query($codes: [ID!]!) { subjects(codes: $codes) { code name records(first: 5) { totalCount }
  licences { number holder } } }"""


@pytest.fixture(scope="module")
def fake():
    with running_fake_source(KEY) as source:
        yield source


async def world(backend: str, tmp_path: Path, name: str, source_url: str):
    """A database of its own with 100 organisations and the source admitted, signed with KEY:
    `licences` bound to a public item, `rating` to a shared one."""
    from resolvers.sources import admit_source
    from schema.remote_fields import gateway_names

    engine = await fresh(backend, tmp_path, name)
    async with engine.begin() as connection:
        await connection.execute(insert(Subject), [{"code": c, "kind": "ORGANISATION", "name": f"测试企业{i}"}
                                                   for i, c in enumerate(ORGS)])
    await admit_source(engine, load_profile("huancui"), gateway_names(), name="licensing", url=source_url,
                       items=[f"licences={PUBLIC_ITEM}", f"rating={SHARED_ITEM}"], user="test", signing_key=KEY)
    return engine


def gateway_on(engine):
    """A worker as `serve` runs it: it serves the admitted sources, calls them with its SourceClient."""
    from gateway.app import create_app
    from gateway.identity import IdentityConfig, TokenVerifier
    from gateway.settings import Settings

    settings = Settings(data_dir=Path("/nonexistent"), database_url="unused", load_demo_on_empty=False,
                        subject_id_key=TEST_SUBJECT_ID_KEY, source_deadline_seconds=DEADLINE)
    return create_app(settings, engine=engine, verifier=TokenVerifier(IdentityConfig(mode="hs256",
                                                                                     hs256_secret=TEST_SECRET)),
                      today=lambda: TODAY, sync_sources=True)


class Served:
    """The gateway app started (its sources installed) with a client; stopped afterwards."""

    def __init__(self, engine) -> None:
        self.app = gateway_on(engine)

    async def __aenter__(self) -> httpx.AsyncClient:
        await self.app.state.sources.start()
        assert self.app.state.sources.fingerprint, "the admitted source is served"
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://gateway")
        return self.client

    async def __aexit__(self, *exc) -> None:
        await self.client.aclose()
        await self.app.state.sources.stop()
        await self.app.state.gateway.remote_fetcher.aclose()


async def test_a_joined_query_for_100_subjects_makes_one_signed_call_and_is_logged(backend, tmp_path, fake):
    fake.mode("ok")
    engine = await world(backend, tmp_path, "fed_join", fake.url)
    try:
        async with Served(engine) as client:
            fake.mode("ok")  # forget the admission's SDL call
            body = await graphql(client, JOINED, {"codes": ORGS})
            assert "errors" not in body, body
            calls = fake.calls()
            assert len(calls) == 1, "one call to the source for 100 subjects"
            assert sorted(calls[0]["codes"]) == sorted(ORGS)
            assert calls[0]["headers"]["x-credit-gateway-signature"].startswith("v1=")
            for code, subject in zip(ORGS, body["data"]["subjects"]):
                assert subject["code"] == code and subject["name"].startswith("测试企业")
                assert subject["licences"] == [{"number": f"L-{code[-4:]}-1", "holder": code}]
        entry = await last_entry(engine)
        assert entry.outcome == "OK"
        [call] = entry.remote_calls
        assert call["source"] == "licensing" and call["version"] == 1 and call["fields"] == ["licences"]
        assert sorted(call["codes"]) == sorted(ORGS) and call["status"] == "OK"
        assert call["latencyMs"] > 0 and call["requestId"] == "fake-1"
        assert calls[0]["headers"]["x-credit-gateway-request-id"] == entry.request_id
        assert (await verify_stored(engine, QUERY_LOG)).fault is None
    finally:
        await engine.dispose()


@pytest.mark.parametrize("mode, code", [("down", "SOURCE_UNAVAILABLE"), ("slow", "SOURCE_TIMEOUT"),
                                        ("garbage", "SOURCE_INVALID"), ("http500", "SOURCE_UNAVAILABLE")])
async def test_a_failing_source_gives_a_partial_answer_within_the_deadline(backend, tmp_path, mode, code):
    with contextlib.ExitStack() as running:
        own = running.enter_context(running_fake_source(KEY))  # this test's own source: "down" stops it
        engine = await world(backend, tmp_path, f"fed_{mode}", own.url)
        try:
            async with Served(engine) as client:
                if mode == "down":
                    running.close()
                else:
                    own.mode(mode, delay=DEADLINE * 3)
                started = time.monotonic()
                body = await graphql(client, JOINED, {"codes": ORGS[:3]})
                assert time.monotonic() - started < DEADLINE + 1.5
            for index, subject in enumerate(body["data"]["subjects"]):
                assert subject["code"] == ORGS[index] and subject["name"] == f"测试企业{index}"
                assert subject["records"] == {"totalCount": 0} and subject["licences"] is None
            assert {(tuple(e["path"]), e["extensions"]["code"]) for e in body["errors"]} == {
                (("subjects", i, "licences"), code) for i in range(3)}
            entry = await last_entry(engine)
            assert entry.outcome == "PARTIAL"
            [call] = entry.remote_calls
            assert call["status"] == code and call["source"] == "licensing"
            assert (await verify_stored(engine, QUERY_LOG)).fault is None
        finally:
            await engine.dispose()


async def test_a_log_that_cannot_be_written_is_a_503_with_no_data(backend, tmp_path, fake):
    engine = await world(backend, tmp_path, "fed_readonly", fake.url)
    url = engine.url.render_as_string(hide_password=False)
    await engine.dispose()
    if backend == "postgresql":
        async with engine.connect() as connection:
            database = (await connection.execute(text("SELECT current_database()"))).scalar()
            await connection.execute(text("COMMIT"))
            await connection.execute(text(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on'))
        await engine.dispose()
        engine = create_engine(url)
    else:
        engine = create_engine(f"sqlite+aiosqlite:///file:{url.removeprefix('sqlite+aiosqlite:///')}?mode=ro&uri=true")
    try:
        async with Served(engine) as client:
            response = await client.post("/graphql", json={"query": JOINED, "variables": {"codes": ORGS[:3]}})
        assert response.status_code == 503
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == "QUERY_LOG_UNAVAILABLE"
        assert not body.get("data")
    finally:
        await engine.dispose()


async def test_a_refused_readers_subjects_never_reach_the_source(backend, tmp_path, fake):
    from resolvers.sources import refresh_source
    from schema.remote_fields import gateway_names

    fake.mode("ok")
    engine = await world(backend, tmp_path, "fed_refused", fake.url)
    try:
        async with Served(engine) as client:
            fake.mode("ok")
            query = "query($codes: [ID!]!) { subjects(codes: $codes) { code name rating } }"
            body = await graphql(client, query, {"codes": ORGS[:5]})  # the public: SHARED is not for it
            assert [s["rating"] for s in body["data"]["subjects"]] == [None] * 5
            assert {(tuple(e["path"]), e["extensions"]["code"]) for e in body["errors"]} == {
                (("subjects", i, "rating"), "FORBIDDEN") for i in range(5)}
            assert fake.calls() == [], "no subject of a refused field is sent"
            both = "query($codes: [ID!]!) { subjects(codes: $codes) { code licences { number } rating } }"
            body = await graphql(client, both, {"codes": ORGS[:5]})
            assert all(s["licences"] for s in body["data"]["subjects"])
            [call] = fake.calls()
            assert {field for _, field in call["resolved"]} == {"licences"}, "only the permitted field is asked"
            assert "rating" not in call["query"]
        entry = await last_entry(engine)
        assert [c["fields"] for c in entry.remote_calls] == [["licences"]]
        # a source that answers only signed calls is refreshed too: the SDL call is signed with its key
        stored, changed = await refresh_source(engine, load_profile("huancui"), gateway_names(), name="licensing",
                                               user="test")
        assert (stored.version, changed) == (1, False)
    finally:
        await engine.dispose()


SEARCH_JOINED = '{ searchSubjects(name: "有限公司", first: 5) { code name records(first: 2) { totalCount } ' \
                'licences { number kind status validUntil } } }'


def test_serve_with_the_demo_source_answers_a_joined_query_and_stops_it(tmp_path):
    """`credit-gateway serve --demo-source PORT` (what `make serve` runs): the demo source starts beside the
    gateway, is admitted on first start, GraphiQL's first query joins it; stopping the gateway stops it;
    a later start on a busy port still serves, the source's fields then SOURCE_UNAVAILABLE."""
    import socket

    from tests.server import free_port, running_gateway

    source_port = free_port()
    printed: list[str] = []
    with running_gateway(tmp_path, args=("--demo-source", str(source_port)), output=printed) as base:
        body = httpx.post(f"{base}/graphql", json={"query": SEARCH_JOINED}, timeout=30).json()
        assert "errors" not in body, body
        subjects = body["data"]["searchSubjects"]
        assert len(subjects) == 5 and all(s["licences"] is not None for s in subjects)
        assert any(s["licences"] for s in subjects) and all(s["records"]["totalCount"] >= 0 for s in subjects)
        page = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}, timeout=10).text
        assert "licences { number kind status validUntil }" in page
    assert f"demo source licensing admitted at http://127.0.0.1:{source_port}/graphql" in printed[0]
    assert (tmp_path / "licensing-source.key").exists()
    with pytest.raises(httpx.HTTPError):  # stopped with the gateway
        httpx.get(f"http://127.0.0.1:{source_port}/", timeout=1)

    with socket.socket() as squatter:  # the port taken (bound, nothing answers): the gateway serves all the same
        squatter.bind(("127.0.0.1", source_port))
        with running_gateway(tmp_path, args=("--demo-source", str(source_port)), output=printed) as base:
            body = httpx.post(f"{base}/graphql", json={"query": SEARCH_JOINED}, timeout=30).json()
    subjects = body["data"]["searchSubjects"]
    assert len(subjects) == 5 and all(s["name"] and s["licences"] is None for s in subjects)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"SOURCE_UNAVAILABLE"}
    assert f"port {source_port} is in use" in printed[1]


def test_the_command_line_admits_a_source_that_answers_only_signed_calls(tmp_path, fake, monkeypatch, capsys):
    """`sources add … --key-file F`: the department's key (the source already checks it), the SDL call signed."""
    from gateway.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("CREDIT_DATA_DIR", str(tmp_path))
    key_file = tmp_path / "licensing.key"
    key_file.write_text("wrong-key-0123456789abcdef\n")
    assert main(["sources", "add", "licensing", fake.url, "--item", PUBLIC_ITEM, "--key-file", str(key_file)]) == 2
    assert "HTTP 401" in capsys.readouterr().err  # signed with another key: the source refused
    assert main(["sources", "add", "licensing", fake.url, "--item", PUBLIC_ITEM]) == 2  # unsigned: refused too
    capsys.readouterr()
    key_file.write_text(KEY + "\n")
    assert main(["sources", "add", "licensing", fake.url, "--item", PUBLIC_ITEM, "--key-file", str(key_file)]) == 0
    printed = capsys.readouterr().out
    assert "source licensing admitted, version 1" in printed and "signing key" not in printed
    assert main(["sources", "refresh", "licensing"]) == 0  # signed with the admitted key
    assert "unchanged, version 1" in capsys.readouterr().out
    assert main(["sources", "add", "other", fake.url, "--item", PUBLIC_ITEM, "--key-file", str(tmp_path / "no")]) == 2
    assert "cannot read the key file" in capsys.readouterr().err
