"""Hostile documents are refused cheaply, before validation walks them (SPEC 3.6, issue 10 item 1).

Every refusal is a GraphQL error with `extensions.code` QUERY_TOO_COMPLEX, the measure, the limit
and the measured value, and no data; good documents (fragments, GraphiQL's introspection) work.
"""

from __future__ import annotations

import concurrent.futures
import time

import httpx
import pytest
from graphql import get_introspection_query

from gateway.settings import Settings
from tests import world as w
from tests.conftest import app_for, graphql
from tests.server import running_gateway


def fragment_bomb(levels: int) -> str:
    """1 KB at 30 levels: each fragment spreads the next twice, 2^30 selections once expanded."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"{{ ...F0 }} {chain} fragment F{levels} on Query {{ __typename }}"


CATALOGUE = "catalogue { code name basis category family visibility severity subjectKinds deadlineWorkingDays }"

HOSTILE = {
    "fragment bomb (20 levels)": (fragment_bomb(20), "spreads"),
    "aliases through a fragment": (
        "{ ...A ...A2 } fragment A on Query { " + " ".join(f"a{i}: __typename" for i in range(20)) + " } "
        "fragment A2 on Query { ...A }", "aliases"),
    "depth through fragments": (  # fields need not exist: the depth is refused before validation
        "{ ...D0 } " + " ".join(f"fragment D{i} on Query {{ a {{ b {{ c {{ ...D{i + 1} }} }} }} }}" for i in range(5))
        + " fragment D5 on Query { __typename }", "depth"),
    "fragment cycle": ("{ ...A } fragment A on Query { ...B } fragment B on Query { __typename ...A }",
                       "fragmentCycle"),
    "same field repeated at one level": ("{ " + "departments { code } " * 40 + "}", "mergePairs"),
    "same field nested in same fields": ("{ " + ("departments { " + "code " * 20 + "} ") * 20 + "}", "mergePairs"),
    "same-named aliases with different arguments": (
        "{ " + " ".join(f's: subject(code: "{i}") {{ code }}' for i in range(40)) + " }", "mergePairs"),
    "many fragments spread at one level": (
        " ".join(f"fragment G{i} on Query {{ __typename }}" for i in range(40))
        + " { " + " ".join(f"...G{i}" for i in range(40)) + " }", "mergePairs"),
    "directive flood": ("{ __typename " + "@include(if: true) " * 120 + "}", "directives"),
    "many operations": (" ".join(f"query Q{i} {{ __typename }}" for i in range(30)), "operations"),
    "many fragments": ("{ ...G0 } " + " ".join(f"fragment G{i} on Query {{ __typename }}" for i in range(110)),
                       "fragments"),
    "deep introspection": ("{ __schema { types { " + "fields { type { " * 30 + "name" + " } }" * 30 + " } } }",
                           "nesting"),
    "fragments that repeat the same fields side by side": (
        " ".join(f"fragment G{i} on Query {{ {CATALOGUE} departments {{ code name kind }} }}" for i in range(30))
        + " { " + " ".join(f"...G{i}" for i in range(30)) + " }", "mergePairs"),
}


def assert_refused(body: dict, measure: str | None) -> dict:
    assert body.get("data") is None, body
    error = body["errors"][0]
    extensions = error["extensions"]
    assert extensions["code"] == "QUERY_TOO_COMPLEX", body
    if measure is not None:
        assert extensions["measure"] == measure, body
    if measure not in ("fragmentCycle", "validation"):
        assert extensions["measured"] > extensions["limit"], body
    return error


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_documents_are_refused_with_a_code_and_no_data(client, name):
    document, measure = HOSTILE[name]
    started = time.perf_counter()
    body = await graphql(client, document)
    elapsed = time.perf_counter() - started
    assert_refused(body, measure)
    assert elapsed < 1.0  # loose: the old limiters took seconds to minutes on the bombs


async def test_the_thirty_level_fragment_bomb_is_refused_at_once(client):
    started = time.perf_counter()
    body = await graphql(client, fragment_bomb(30))
    assert time.perf_counter() - started < 1.0
    error = assert_refused(body, None)
    assert error["extensions"]["limit"] == 200 and "spreads fragments" in error["message"]


async def test_refusals_name_the_limit_and_the_measured_value(client):
    wide = "{ ...A } fragment A on Query { " + " ".join(f"a{i}: departments {{ code }}" for i in range(35)) + " }"
    error = assert_refused(await graphql(client, wide), "aliases")
    assert error["extensions"]["limit"] == 30 and error["extensions"]["measured"] == 35
    assert "35 aliases found. Allowed: 30" in error["message"]


async def test_graphiql_introspection_query_still_works(client):
    query = get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                                    schema_description=True, input_value_deprecation=True)
    body = await graphql(client, query)
    assert "errors" not in body, body
    assert any(t["name"] == "Subject" for t in body["data"]["__schema"]["types"])


async def test_good_queries_with_fragments_still_work(client):
    query = """
    query Good($c: ID!) { subject(code: $c) { ...Names ...Names ... on Subject { code } }
                          departments { ...Dept } d2: departments { ...Dept } }
    fragment Names on Subject { code name }
    fragment Dept on Department { code ...DeptName }
    fragment DeptName on Department { name }
    """
    body = await graphql(client, query, {"c": w.ORG_A})
    assert "errors" not in body, body
    assert body["data"]["subject"]["code"] == w.ORG_A
    assert body["data"]["departments"] == body["data"]["d2"] and body["data"]["departments"][0]["name"]


async def test_a_repeated_query_is_parsed_once_and_a_unique_one_is_not_kept(engine):
    """Documents clients repeat are cached (parse and validation cost more than a small query); texts seen
    once, hostile or not, are never kept: 512 of them in the cache made full GC pauses of 0.1-0.7 s."""
    app = app_for(engine)
    cache = app.state.schema.document_cache
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        query = "{ departments { code } catalogue { code } }"
        await graphql(client, query)
        assert len(cache) == 0  # seen once: remembered by its hash only
        await graphql(client, query)
        assert len(cache) == 1  # seen twice: kept
        hits = cache.hits
        body = await graphql(client, query)
        assert body["data"]["departments"] and cache.hits == hits + 1
        for i in range(20):  # unique texts, valid or hostile, each sent once
            await graphql(client, "{ departments { code } } # %d" % i)
            await graphql(client, fragment_bomb(30) + " # %d" % i)
        hostile = fragment_bomb(30)
        for _ in range(3):  # a refused text is never kept, however often it comes
            assert_refused(await graphql(client, hostile), None)
        assert len(cache) == 1


async def test_limits_are_settings(engine):
    settings = Settings.from_env({"MAX_QUERY_DEPTH": "3", "MAX_QUERY_ALIASES": "2", "MAX_QUERY_FIELDS": "5"})
    assert (settings.max_query_depth, settings.max_query_aliases, settings.max_query_fields) == (3, 2, 5)
    app = app_for(engine, max_query_aliases=2, max_query_fields=5)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        error = assert_refused(await graphql(client, "{ a: departments { code } b: departments { code } "
                                                     "c: departments { code } }"), "aliases")
        assert error["extensions"]["limit"] == 2
        error = assert_refused(await graphql(client, "{ departments { code name kind } catalogue { code name } }"),
                               "fields")
        assert (error["extensions"]["limit"], error["extensions"]["measured"]) == (5, 7)
        assert (await graphql(client, "{ departments { code name } }"))["data"]["departments"]


@pytest.mark.e2e
def test_a_served_gateway_stays_responsive_while_bombs_arrive(tmp_path):
    bomb = {"query": fragment_bomb(30)}
    with running_gateway(tmp_path) as base:
        def send_bombs() -> list[dict]:
            with httpx.Client(timeout=10) as http:
                return [http.post(f"{base}/graphql", json=bomb).json() for _ in range(10)]

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            senders = [pool.submit(send_bombs) for _ in range(4)]
            with httpx.Client(timeout=5) as http:
                while not all(s.done() for s in senders):
                    started = time.perf_counter()
                    assert http.get(f"{base}/healthz").status_code == 200
                    assert time.perf_counter() - started < 1.0
                    time.sleep(0.05)
            for sender in senders:
                for body in sender.result():
                    assert_refused(body, "spreads")
        started = time.perf_counter()
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        assert time.perf_counter() - started < 1.0


async def test_validation_that_runs_out_of_its_budget_is_refused_with_the_code(client, monkeypatch):
    """graphql-core's own meter of field-merging work is the last guard behind the cost check: when it runs
    out the refusal carries our code like every other, not a bare "Validation aborted."."""
    from graphql.validation.rules import overlapping_fields_can_be_merged

    monkeypatch.setattr(overlapping_fields_can_be_merged, "MAX_COMPLEXITY_BUDGET", 1)
    document = " ".join(f"fragment G{i} on Query {{ departments {{ code name kind }} }}" for i in range(4)) + \
        " { " + " ".join(f"...G{i}" for i in range(4)) + " }"
    error = assert_refused(await graphql(client, document), "validation")
    assert "too complex to validate" in error["message"]


LIMITED = {  # every limit a document can meet, with the measure its refusal names (issue 13: each with a code)
    "depth": ("{ " + "a { " * 13 + "b" + " }" * 14, "depth"),
    "aliases": ("{ " + " ".join(f"a{i}: departments {{ code }}" for i in range(31)) + " }", "aliases"),
    "tokens": ("{ " + " ".join("departments { code name kind }" for _ in range(1500)) + " }", "tokens"),
}


@pytest.mark.parametrize("limit", ["depth", "aliases", "tokens"])
@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_every_limit_refusal_carries_its_code_whichever_media_type(client, limit, accept):
    """Depth, aliases and the token count are refused as QUERY_TOO_COMPLEX naming the measure and the limit,
    never an uncoded error nor a syntax error (GRAPHQL_PARSE_FAILED) of a document that may be valid."""
    document, measure = LIMITED[limit]
    response = await client.post("/graphql", json={"query": document}, headers={"Accept": accept})
    assert response.status_code == (400 if accept != "application/json" else 200), response.text
    body = response.json()
    assert body.get("data") is None and len(body["errors"]) == 1, body
    extensions = body["errors"][0]["extensions"]
    assert extensions["code"] == "QUERY_TOO_COMPLEX" and extensions["measure"] == measure, body
    assert extensions["limit"] == {"depth": 12, "aliases": 30, "tokens": 4000}[limit], body
    if limit == "tokens":
        assert body["errors"][0]["message"].startswith("The document has more than 4000 tokens"), body
