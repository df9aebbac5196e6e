"""The auditor's search of the query log (HC-35): each filter (user, department, subject, purpose,
from/to, refusedOnly) keeps exactly the entries it names, pages are newest first and keyset-paged
without gaps or repeats, and every field of an entry says what happened.

A database of this module's own, so that exact counts hold whatever other tests logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import httpx
import pytest
from sqlalchemy import insert

from store.bootstrap import initialise
from store.engine import create_engine
from store.models import Subject
from tests import world as w
from tests.conftest import app_for, graphql, make_token, scratch_url

ORG_X, ORG_Y = w.org_code(1, "QL"), w.org_code(2, "QL")
AUDITOR = make_token(user="qs-auditor", department="FGJ", roles=["auditor"], name="审计员")
LOOK = "query Look($c: ID!) { subject(code: $c) { code } }"
SEARCH = """query($f: QueryLogFilter, $first: Int, $after: String) {
  queryLog(filter: $f, first: $first, after: $after) {
    totalCount hasNextPage endCursor pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { seq at requestId user userName department { code } departmentCode roles client
                          operationName operationType documentHash variables purpose basis authorizationId
                          authorizationGlobalId subjects recordIds recordGlobalIds refused outcome
                          durationMs prevHash entryHash } } } }"""


@pytest.fixture(scope="module")
async def logged(backend, tmp_path_factory):
    """A database with two organisations and a known set of logged requests: (client, requests by
    name -> (request id, headers' user), the instants between the two halves)."""
    engine = create_engine(await scratch_url(backend, tmp_path_factory.mktemp("qsearch"), "qsearch"))
    await initialise(engine, "huancui")
    async with engine.begin() as connection:
        await connection.execute(insert(Subject), [
            {"code": ORG_X, "kind": "ORGANISATION", "name": "查询日志测试甲有限公司", "status": "ACTIVE"},
            {"code": ORG_Y, "kind": "ORGANISATION", "name": "查询日志测试乙有限公司", "status": "ACTIVE"}])
    app = app_for(engine)
    scjg = make_token(user="qs-scjg", department="SCJG", roles=["officer"], name="市监员")
    fy = make_token(user="qs-fy", department="FY", roles=["officer"], name="法院员")
    first_half = {
        "scjg-x": (scjg, {"X-Query-Purpose": "licensing", "X-Query-Basis": "XK-1"}, ORG_X),
        "fy-y": (fy, {"X-Query-Purpose": "judicial", "X-Query-Basis": "AH-1"}, ORG_Y),
        "public-x": (None, {}, ORG_X),
    }
    second_half = {
        "scjg-y": (scjg, {"X-Query-Purpose": "licensing", "X-Query-Basis": "XK-2"}, ORG_Y),
        "forged": ("forged.token.here", {}, ORG_X),
        "fy-x": (fy, {"X-Query-Purpose": "hiring", "X-Query-Basis": "ZP-1"}, ORG_X),
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
        async def send(name, token, headers, code):
            headers = {**headers, "X-Request-Id": f"qs-{name}"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            response = await client.post("/graphql", json={"query": LOOK, "variables": {"c": code},
                                                           "operationName": "Look"}, headers=headers)
            assert response.headers["x-request-id"] == f"qs-{name}"
            return response

        start = dt.datetime.now(dt.timezone.utc)
        for name, args in first_half.items():
            await send(name, *args)
        middle = dt.datetime.now(dt.timezone.utc)
        for name, args in second_half.items():
            await send(name, *args)
        end = dt.datetime.now(dt.timezone.utc)
        yield client, start, middle, end
    await engine.dispose()


async def search(client, first=20, after=None, **given) -> dict:
    body = await graphql(client, SEARCH, {"f": given, "first": first, "after": after}, token=AUDITOR)
    assert "errors" not in body, body
    return body["data"]["queryLog"]


def names(page: dict) -> list[str]:
    """The requests a page lists (the auditor's own searches are logged too; they are left out)."""
    return [e["node"]["requestId"].removeprefix("qs-") for e in page["edges"]
            if e["node"]["requestId"].startswith("qs-")]


async def test_each_filter_keeps_exactly_what_it_names(logged):
    client, start, middle, end = logged
    assert names(await search(client, user="qs-scjg")) == ["scjg-y", "scjg-x"]  # newest first
    assert names(await search(client, department="FY")) == ["fy-x", "fy-y"]
    assert names(await search(client, purpose="LICENSING")) == ["scjg-y", "scjg-x"]
    assert names(await search(client, purpose="JUDICIAL")) == ["fy-y"]
    assert names(await search(client, subject=ORG_X, **{"from": start.isoformat()})) == ["fy-x", "public-x",
                                                                                          "scjg-x"]
    assert names(await search(client, refusedOnly=True)) == ["forged"]
    assert names(await search(client, **{"from": start.isoformat(), "to": middle.isoformat()})) == [
        "public-x", "fy-y", "scjg-x"]
    assert names(await search(client, **{"from": middle.isoformat(), "to": end.isoformat()})) == [
        "fy-x", "forged", "scjg-y"]
    # an entry's own instant: `from` includes it, `to` does not (a half-open interval, so that
    # consecutive windows neither miss nor repeat an entry)
    [fy_y] = (await search(client, department="FY", purpose="JUDICIAL"))["edges"]
    at = fy_y["node"]["at"]
    assert names(await search(client, department="FY", **{"from": at})) == ["fy-x", "fy-y"]
    assert names(await search(client, department="FY", to=at)) == []
    assert names(await search(client, department="FY", **{"from": at, "to": at})) == []
    # filters combine: all must hold
    assert names(await search(client, department="SCJG", subject=ORG_Y)) == ["scjg-y"]
    assert names(await search(client, user="qs-fy", purpose="LICENSING")) == []
    filtered = await search(client, department="FY")
    assert filtered["totalCount"] == 2 and filtered["hasNextPage"] is False


async def test_pages_are_newest_first_without_gaps_or_repeats(logged):
    client, start, _, end = logged
    window = {"from": start.isoformat(), "to": end.isoformat()}
    everything = await search(client, **window)
    assert everything["totalCount"] == 6 and names(everything) == [
        "fy-x", "forged", "scjg-y", "public-x", "fy-y", "scjg-x"]
    seen, after = [], None
    for expected_next in (True, True, False):
        page = await search(client, first=2, after=after, **window)
        assert page["totalCount"] == 6  # the filter's count, on every page
        assert page["hasNextPage"] is expected_next and len(page["edges"]) == 2
        assert page["endCursor"] == page["edges"][-1]["cursor"] == str(page["edges"][-1]["node"]["seq"])
        assert page["pageInfo"] == {"hasNextPage": expected_next, "hasPreviousPage": after is not None,
                                    "startCursor": page["edges"][0]["cursor"], "endCursor": page["endCursor"]}
        seen += names(page)
        after = page["endCursor"]
    assert seen == names(everything)
    seqs = [e["node"]["seq"] for e in everything["edges"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 6
    past_the_end = await search(client, first=2, after=str(min(seqs)), **window)
    assert past_the_end["edges"] == [] and past_the_end["hasNextPage"] is False and past_the_end["endCursor"] is None


async def test_an_entry_shows_who_when_why_what_and_how_it_ended(logged):
    client, start, middle, _ = logged
    by_name = {e["node"]["requestId"]: e["node"] for e in (await search(client, first=50))["edges"]}
    entry = by_name["qs-scjg-x"]
    assert (entry["user"], entry["userName"], entry["department"], entry["departmentCode"], entry["roles"]) == (
        "qs-scjg", "市监员", {"code": "SCJG"}, "SCJG", ["officer"])
    assert start <= dt.datetime.fromisoformat(entry["at"]) <= middle
    assert (entry["operationName"], entry["operationType"]) == ("Look", "QUERY")
    assert entry["documentHash"] == hashlib.sha256(LOOK.encode()).hexdigest()
    assert entry["variables"] == {"c": ORG_X} and entry["subjects"] == [ORG_X]
    assert entry["recordIds"] == entry["recordGlobalIds"] == []
    assert (entry["purpose"], entry["basis"], entry["authorizationId"], entry["authorizationGlobalId"]) == (
        "LICENSING", "XK-1", None, None)
    assert (entry["outcome"], entry["refused"]) == ("OK", [])
    assert entry["client"] == "127.0.0.1" and entry["durationMs"] >= 0
    public = by_name["qs-public-x"]
    assert (public["user"], public["userName"], public["department"], public["departmentCode"], public["roles"]) == (
        None, None, None, None, [])
    assert (public["purpose"], public["basis"]) == (None, None)
    forged = by_name["qs-forged"]
    assert forged["outcome"] == "UNAUTHENTICATED" and forged["user"] is None and forged["subjects"] == []
    # the chain: each entry's prevHash is the entry before's entryHash
    chain = sorted(by_name.values(), key=lambda n: n["seq"])
    assert len(chain) >= 6
    for before, after in zip(chain, chain[1:]):
        assert after["seq"] == before["seq"] + 1 and after["prevHash"] == before["entryHash"]
        assert len(after["entryHash"]) == 64 and after["entryHash"] != before["entryHash"]


async def test_only_auditors_search_and_bad_filters_are_named(logged):
    client, *_ = logged
    for token in (None, make_token(user="qs-o", department="SCJG", roles=["officer"]),
                  make_token(user="qs-self", subject=ORG_X)):
        body = await graphql(client, SEARCH, {"f": {}}, token=token)
        assert body["data"]["queryLog"] is None
        [error] = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN" and "Query.queryLog" in error["message"], error
    body = await graphql(client, SEARCH, {"f": {}, "first": 0}, token=AUDITOR)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}
    assert error["message"] == "first must be between 1 and 100, got 0"
    body = await graphql(client, SEARCH, {"f": {}, "after": "not-a-cursor"}, token=AUDITOR)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "endCursor" in error["message"]
