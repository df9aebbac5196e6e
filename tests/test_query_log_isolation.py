"""No request can harm another's query-log entry (issue 10 item 2, HC-35).

One request whose content cannot be logged (a lone surrogate, `_entities` representations that
the resolver edits in place, an operationName that is an array or an object, an entry the
database refuses) used to fail its whole group commit: every request sharing it got 503. Now the
log keeps JSON-safe copies, a failed batch is written again entry by entry, and only the entry at
fault fails its own request; 503 only when the database cannot be written.
"""

from __future__ import annotations

import asyncio
import json
import math

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from gateway.query_log import QueryLogEntryRefused, QueryLogUnavailable, QueryLogWriter
from store.chain import QUERY_LOG
from store.engine import create_engine
from store.json_safe import MAX_DEPTH, json_safe
from store.log_archive import verify_stored
from store.models import QueryLogEntry, Subject
from tests import world as w
from tests.conftest import app_for

# ---- store.json_safe ----------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30)
ANYTHING = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(codec=None))
    | st.sampled_from([object(), b"bytes", 1j, math.nan, "\ud800", "a\udfffb", "\x00"]) | st.dates() | st.decimals(),
    lambda children: (st.lists(children, max_size=5) | st.tuples(children, children)
                      | st.dictionaries(st.text(st.characters(codec=None)) | st.integers() | st.none(), children,
                                        max_size=5)),
    max_leaves=30)


def encodes(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(ANYTHING)
def test_json_safe_always_encodes(value):
    encodes(json_safe(value))


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_json_safe_keeps_plain_json_unchanged(value):
    copied = json_safe(value)
    assert copied == value and encodes(copied) == encodes(value)


def test_json_safe_copies_escapes_and_bounds():
    original = {"n": "\ud800", "\udfffkey": [math.inf, object()], "list": [1, 2]}
    copied = json_safe(original)
    assert copied == {"n": "\\ud800", "\\udfffkey": ["Infinity", "<object>"], "list": [1, 2]}
    original["list"].append(3)  # a deep copy: later edits of the original do not reach it
    assert copied["list"] == [1, 2]
    deep: list = []
    deep.append(deep)  # even a cycle
    assert "nested deeper than %d" % MAX_DEPTH in json.dumps(json_safe(deep))
    assert json.dumps(json_safe(["x" * 50_000] + list(range(5000)))).count("[cut: ") == 2


# ---- through HTTP: bad requests among good ones sharing group commits ----------------------------

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Subject { code } } }"


def _raw(body: str) -> dict:
    return dict(content=body.encode(), headers={"content-type": "application/json"})


BAD_REQUESTS = {
    # a lone surrogate in a variable's value, a variable's name and the document, sent as JSON text escapes
    "bad-surrogate-value": _raw('{"query": "query($n: String!) { __type(name: $n) { name } }", '
                                '"variables": {"n": "\\ud800"}}'),
    "bad-surrogate-key": _raw('{"query": "{ departments { code } }", "variables": {"\\ud800": 1}}'),
    "bad-surrogate-document": _raw('{"query": "{ departments { code } } # \\ud800"}'),
    "bad-entities": dict(json={"query": ENTITIES, "variables": {"r": [{"__typename": "Subject", "code": w.ORG_A}]}}),
    "bad-name-array": dict(json={"query": "query A { departments { code } }", "operationName": ["A"]}),
    "bad-name-object": dict(json={"query": "query A { departments { code } }", "operationName": {"a": 1}}),
    "bad-fragment-bomb": dict(json={"query": "{ ...F0 } " + " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30)) + " fragment F30 on Query { __typename }"}),
    "bad-invalid-utf8": dict(content=b'{"query": "{ departments { code } }", "variables": {"a": "\xff"}}',
                             headers={"content-type": "application/json"}),
    "bad-not-json": dict(content=b'{"query": ', headers={"content-type": "application/json"}),
    "poison": dict(json={"query": "query Poison { departments { code } }"}),
    "poison-too-long": dict(json={"query": "query PoisonLong { departments { code } }"}),
}


def _poisoned(build_entry):
    """build_entry, but two entries hold what json_safe would never let through: an object that
    cannot be encoded, and a basis longer than its column (PostgreSQL refuses it; SQLite keeps it)."""
    def build(**kwargs):
        entry = build_entry(**kwargs)
        if kwargs["request_id"].endswith("-poison"):
            entry["variables"] = {"x": object()}
        if kwargs["request_id"].endswith("-poison-too-long"):
            entry["basis"] = "x" * 500
        return entry

    return build


async def _entries(engine, request_ids) -> dict[str, object]:
    async with engine.connect() as connection:
        rows = (await connection.execute(select(QUERY_LOG).where(QUERY_LOG.c.request_id.in_(list(request_ids)))
                                         .order_by(QUERY_LOG.c.seq))).all()
    return {row.request_id: row for row in rows}


async def test_bad_requests_do_not_fail_the_good_ones_sharing_their_commit(engine, backend, monkeypatch):
    import gateway.app

    monkeypatch.setattr(gateway.app, "build_entry", _poisoned(gateway.app.build_entry))
    app = app_for(engine)
    prefix = f"iso-{backend}-"
    requests: dict[str, dict] = {}
    bad = list(BAD_REQUESTS.items())
    for i in range(40):  # good requests, with a bad one every three
        requests[f"{prefix}good-{i}"] = dict(json={"query": "query Good { departments { code } }"})
        if i % 3 == 2 and bad:
            name, kwargs = bad.pop(0)
            requests[prefix + name] = kwargs
    assert not bad
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # a crash is a 500, not a test error
    async with httpx.AsyncClient(transport=transport, base_url="http://g") as client:
        async def send(request_id: str, kwargs: dict) -> httpx.Response:
            headers = {**kwargs.get("headers", {}), "X-Request-Id": request_id}
            return await client.post("/graphql", **{**kwargs, "headers": headers})

        responses = dict(zip(requests, await asyncio.gather(*[send(r, k) for r, k in requests.items()])))

    good = {r: resp for r, resp in responses.items() if "-good-" in r}
    assert {r: resp.status_code for r, resp in good.items()} == {r: 200 for r in good}
    assert all(resp.json()["data"]["departments"] for resp in good.values())
    for request_id, response in responses.items():  # none a crash
        assert response.status_code < 500, (request_id, response.status_code, response.text)
    assert responses[prefix + "bad-entities"].json()["data"]["_entities"] == [{"code": w.ORG_A}]
    for name in ("bad-surrogate-value", "bad-surrogate-key", "bad-surrogate-document"):  # not characters: refused
        assert responses[prefix + name].status_code == 400
        assert responses[prefix + name].json()["errors"][0]["extensions"]["code"] == "INVALID_UTF8"
    poison = responses[prefix + "poison"]
    assert poison.status_code == 400 and "data" not in poison.json()
    assert poison.json()["errors"][0]["extensions"]["code"] == "UNLOGGABLE_REQUEST"
    too_long = responses[prefix + "poison-too-long"]
    if backend == "postgresql":  # varchar(128): refused by the database, logged minimally
        assert too_long.status_code == 400, too_long.text
        assert too_long.json()["errors"][0]["extensions"]["code"] == "UNLOGGABLE_REQUEST"
        assert "INSERT" not in too_long.text and "x" * 129 not in too_long.text  # no SQL, no values
    else:
        assert too_long.status_code == 200 and "errors" not in too_long.json(), too_long.text
        assert too_long.json()["data"]["departments"]

    entries = await _entries(engine, responses)
    assert set(entries) == set(responses)  # every request answered has its entry
    assert entries[prefix + "bad-surrogate-value"].variables == {"n": "\\ud800"}
    assert entries[prefix + "bad-surrogate-key"].variables == {"\\ud800": 1}
    assert entries[prefix + "bad-entities"].variables == {"r": [{"__typename": "Subject", "code": w.ORG_A}]}
    assert responses[prefix + "bad-fragment-bomb"].json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert responses[prefix + "bad-invalid-utf8"].json()["errors"][0]["extensions"]["code"] == "INVALID_UTF8"
    assert responses[prefix + "bad-not-json"].json()["errors"][0]["extensions"]["code"] == "BAD_JSON"
    for name in ("bad-name-array", "bad-name-object"):  # the request's shape is wrong: refused, naming it
        assert responses[prefix + name].status_code == 400
        assert '"operationName"' in responses[prefix + name].json()["errors"][0]["message"]
        assert entries[prefix + name].outcome == "BAD_REQUEST"
    assert "could not be logged" in entries[prefix + "poison"].variables["unloggable"]
    assert entries[prefix + "poison"].operation_name == "Poison" and entries[prefix + "poison"].outcome == "OK"
    result = await verify_stored(engine, QUERY_LOG)
    assert result.fault is None, result.fault


# ---- the writer: one bad entry in a batch, a database that cannot be written --------------------

def _entry(request_id: str, **extra) -> dict:
    return dict(request_id=request_id, user="u-writer", department="SCJG", roles=["officer"], client="10.0.0.1",
                operation_name="W", operation_type="query", document_hash=None, variables={"i": request_id},
                purpose=None, basis=None, authorization_id=None, subjects=[], record_ids=[], refused=[],
                outcome="OK", duration_ms=1.0, **extra)


async def test_one_bad_entry_fails_only_itself_and_is_logged_minimally(engine, backend):
    writer = QueryLogWriter(engine)
    ids = [f"batch-{backend}-{i}" for i in range(8)]
    bad = ids[3]
    entries = [_entry(r) for r in ids]
    entries[3]["variables"] = {"x": object()}  # cannot be encoded
    entries[5]["operation_name"] = ["W"]  # the driver refuses to bind it (not JSON-safe text)
    try:
        results = await asyncio.gather(*[writer.append(e, None, []) for e in entries], return_exceptions=True)
    finally:
        await writer.close()
    assert [type(r).__name__ for r in results] == (["NoneType"] * 3 + ["QueryLogEntryRefused", "NoneType"]
                                                   + ["QueryLogEntryRefused"] + ["NoneType"] * 2)
    assert isinstance(results[3], QueryLogEntryRefused) and "TypeError" in str(results[3])
    stored = await _entries(engine, ids)
    assert list(stored) == ids  # all there, in the order they were appended
    assert stored[ids[0]].variables == {"i": ids[0]}
    assert stored[bad].user == "u-writer" and stored[bad].outcome == "OK"
    assert "could not be logged (TypeError" in stored[bad].variables["unloggable"]
    assert stored[ids[5]].operation_name == '["W"]' and "could not be logged" in stored[ids[5]].variables["unloggable"]
    result = await verify_stored(engine, QUERY_LOG)
    assert result.fault is None, result.fault


def _read_only(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    if "sqlite" in type(dbapi_connection).__module__:
        cursor.execute("PRAGMA query_only = ON")
    else:
        cursor.execute("SET default_transaction_read_only = on")
    cursor.close()
    dbapi_connection.commit()  # a SET in a transaction rolled back would be undone


async def test_a_database_that_cannot_be_written_fails_every_entry_of_the_batch(engine, backend):
    own = create_engine(engine.url.render_as_string(hide_password=False))  # its own pool, made read-only
    writer = QueryLogWriter(own)
    event.listen(writer.writes_through, "connect", _read_only)
    async with engine.connect() as connection:
        before = (await connection.execute(select(func.count()).select_from(QueryLogEntry.__table__))).scalar()
    entries = [_entry(f"ro-{backend}-{i}") for i in range(5)]
    entries[2]["variables"] = {"x": object()}  # even the one with bad content: the database is at fault
    try:
        results = await asyncio.gather(*[writer.append(e, None, []) for e in entries], return_exceptions=True)
    finally:
        await writer.close()
        await own.dispose()
    assert [type(r) for r in results] == [QueryLogUnavailable] * 5, results
    async with engine.connect() as connection:
        after = (await connection.execute(select(func.count()).select_from(QueryLogEntry.__table__))).scalar()
    assert after == before


async def test_an_unwritable_log_is_still_a_503_for_every_request(engine, backend):
    """The rule's other side through HTTP: the database's fault is never taken for the content's."""
    app = app_for(engine)
    own = create_engine(engine.url.render_as_string(hide_password=False))
    writer = app.state.gateway.query_log = QueryLogWriter(own)
    event.listen(writer.writes_through, "connect", _read_only)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
            responses = await asyncio.gather(*[client.post("/graphql", json={"query": "{ departments { code } }"})
                                               for _ in range(10)],
                                             client.post("/graphql", json={"query": ENTITIES, "variables": {
                                                 "r": [{"__typename": "Subject", "code": w.ORG_A}]}}))
    finally:
        await writer.close()
        await own.dispose()
    assert {r.status_code for r in responses} == {503}
    assert {r.json()["errors"][0]["extensions"]["code"] for r in responses} == {"QUERY_LOG_UNAVAILABLE"}


@pytest.mark.parametrize("label, name", [("list", ["A"]), ("object", {"a": 1}), ("number", 7)])
async def test_an_operation_name_of_any_json_type_is_answered_and_logged(engine, backend, label, name):
    app = app_for(engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://g") as client:
        response = await client.post("/graphql", json={"query": "query A { departments { code } }",
                                                       "operationName": name},
                                     headers={"X-Request-Id": f"opname-{backend}-{label}"})
    assert response.status_code < 500, response.text
    assert len(await _entries(engine, [f"opname-{backend}-{label}"])) == 1


async def test_a_submission_with_a_lone_surrogate_is_refused_whole_and_logged(engine, backend):
    """A submission and its query-log entry agree: never stored, then 503 with no entry. Half a UTF-16 pair is
    no character (PostgreSQL cannot store it), so the whole request is refused before any work, and logged."""
    from tests.conftest import make_token

    code = w.org_code(1, series="QL")
    variables = json.dumps({"input": [{
        "subjectCode": code, "subjectName": "威海市环翠区日志测试有限公司", "catalogueItem": "HC-13-6-PENALTY",
        "documentNumber": f"威环市监罚〔2026〕QL-{backend}号", "issuingAuthority": "环翠区市场监督管理局",
        "decidedOn": "2026-09-30", "content": {"violation": "SURROGATE", "legalBasis": "《食品安全法》第一百二十四条",
                                               "penaltyKind": "罚款", "fineAmount": "1200.50"}}]})
    body = ('{"query": "mutation($input: [RecordInput!]!) { submitRecords(input: {records: $input}) '
            '{ result { stored rejected outcomes { status errors { field message } } } } }", "variables": %s}'
            % variables.replace("SURROGATE", "销售\\ud800食品"))  # a JSON escape: the server decodes it
    app = app_for(engine)
    headers = {"content-type": "application/json", "X-Request-Id": f"surrogate-submission-{backend}",
               "Authorization": "Bearer " + make_token(user="ql-scjg", department="SCJG", roles=["officer"])}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://g") as client:
        response = await client.post("/graphql", content=body.encode(), headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_UTF8"
    assert "variables.input[0].content.violation" in response.json()["errors"][0]["message"]
    async with engine.connect() as connection:
        stored = (await connection.execute(select(Subject.__table__.c.code).where(Subject.code == code))).all()
    assert stored == []  # nothing stored
    entry = (await _entries(engine, [f"surrogate-submission-{backend}"]))[f"surrogate-submission-{backend}"]
    assert entry.outcome == "BAD_REQUEST"
    assert entry.variables["input"][0]["content"]["violation"] == "销售\\ud800食品"
