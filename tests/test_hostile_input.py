"""Hostile input gets a clear error and changes nothing (SPEC 3.6): over-wide queries, huge
inputs, injection attempts in any argument."""

from __future__ import annotations

from sqlalchemy import func, select

from store.models import Record, Subject
from tests import world as w
from tests.conftest import graphql, make_token


async def counts(engine) -> tuple[int, int]:
    async with engine.connect() as connection:
        return ((await connection.execute(select(func.count()).select_from(Record.__table__))).scalar(),
                (await connection.execute(select(func.count()).select_from(Subject.__table__))).scalar())


async def test_too_many_aliases_are_refused(client):
    wide = "{ " + " ".join(f"a{i}: departments {{ code }}" for i in range(40)) + " }"
    body = await graphql(client, wide)
    assert body.get("data") is None and "aliases" in body["errors"][0]["message"].lower()


async def test_too_many_tokens_are_refused(client):
    huge = "{ " + " ".join("departments { code name kind }" for _ in range(1500)) + " }"
    body = await graphql(client, huge)
    assert body.get("data") is None and "token" in body["errors"][0]["message"].lower()


async def test_too_many_codes_are_refused_with_the_limit(client):
    body = await graphql(client, "query($c: [ID!]!) { subjects(codes: $c) { code } }", {"c": w.BULK_ORGS + w.BULK_ORGS})
    assert "at most 100" in body["errors"][0]["message"] and body["data"] is None


async def test_injection_attempts_are_only_data(engine, client):
    before = await counts(engine)
    attempts = ["' OR 1=1 --", "\"; DROP TABLE records; --", "%' UNION SELECT * FROM query_log --",
                "91371002MA0000001'; DELETE FROM subjects; --"]
    for attempt in attempts:
        body = await graphql(client, "query($n: String!) { searchSubjects(name: $n) { code } }", {"n": attempt})
        assert body["data"]["searchSubjects"] == []
        body = await graphql(client, "query($c: ID!) { subject(code: $c) { code } }", {"c": attempt})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        body = await graphql(client, "query($i: ID!) { record(id: $i) { id } }", {"i": attempt})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    header = await client.post("/graphql", json={"query": "{ departments { code } }"},
                               headers={"X-Query-Basis": "'; DROP TABLE query_log; --"})
    assert header.status_code == 400 and "X-Query-Basis" in header.json()["errors"][0]["message"]
    assert await counts(engine) == before


async def test_oversized_and_malformed_arguments_are_named(client):
    body = await graphql(client, "query($n: String!) { searchSubjects(name: $n) { code } }", {"n": "公司" * 200})
    assert "longer than 100 characters" in body["errors"][0]["message"]
    body = await graphql(client, "query($c: ID!) { subject(code: $c) { code } }", {"c": "9" * 10_000})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(body["errors"][0]["message"]) < 300  # the input is not echoed back whole
    token = make_token(user="o", department="SCJG", roles=["officer"])
    body = await graphql(client, "query($f: Date!) { lateSubmissions(from: $f, to: $f) { totalCount } }",
                         {"f": "not-a-date"}, token=token)
    assert "not-a-date" in body["errors"][0]["message"]  # names the bad variable, is not masked
    response = await client.post("/graphql", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "Traceback" not in response.text
