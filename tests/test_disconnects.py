"""A client that goes away mid-request is one line in the server's log, never a traceback (issue 14:
every wrk disconnect left "Exception in ASGI application" and a `ClientDisconnect` traceback).
A real `credit-gateway serve` (uvicorn, uvloop, httptools), raw sockets that stop mid-body, and one
that sends a whole query and leaves before the answer: its query-log entry says so."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from sqlalchemy import select

from store.engine import create_engine
from store.models import QueryLogEntry
from tests.server import running_gateway, served_token

pytestmark = pytest.mark.e2e


def _send(base: str, raw: bytes, *, wait: float = 0.0) -> None:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(raw)
        time.sleep(wait)  # the server reads what was sent, then sees the connection close


def _post(path: str, body: bytes, *, declared: int, content_type: str, request_id: str, token: str = "") -> bytes:
    authorization = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: {content_type}\r\n{authorization}"
            f"Content-Length: {declared}\r\nX-Request-Id: {request_id}\r\n\r\n").encode() + body


def test_a_client_that_goes_away_is_one_log_line_and_the_log_entry_says_so(tmp_path):
    data = tmp_path / "data"
    output: list[str] = []
    query = json.dumps({"query": "{ departments { code name } catalogue { code name } }"}).encode()
    with running_gateway(data, env={"LOAD_DEMO_ON_EMPTY": "false"}, output=output) as base:
        # the body stops half-way: GraphQL, and an upload
        _send(base, _post("/graphql", query[:10], declared=len(query), content_type="application/json",
                          request_id="gone-mid-body"), wait=0.3)
        _send(base, _post("/import", b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n",
                          declared=100_000, content_type="multipart/form-data; boundary=b",
                          request_id="gone-mid-upload", token=served_token(data, user="clerk", department="SCJG",
                                                                           roles=("officer",))), wait=0.3)
        # the whole query, then gone before the answer (the socket closes right after it is sent)
        _send(base, _post("/graphql", query, declared=len(query), content_type="application/json",
                          request_id="gone-before-answer"))
        time.sleep(1.5)  # the server runs the query, logs it, and finds no one to answer
    printed = output[0]
    assert "Traceback" not in printed and "Exception in ASGI application" not in printed, printed
    assert "ClientDisconnect" not in printed, printed
    lines = printed.splitlines()
    for request_id, what in [("gone-mid-body", "before its request was read"),
                             ("gone-before-answer", "before the answer was sent")]:
        said = [line for line in lines if request_id in line]
        assert len(said) == 1 and what in said[0], printed
    assert sum("/import" in line and "went away" in line for line in lines) == 1, printed

    async def entries() -> dict[str, str]:
        engine = create_engine(f"sqlite+aiosqlite:///{data / 'credit-gateway.sqlite3'}")
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(select(QueryLogEntry.request_id, QueryLogEntry.outcome))
                return {r.request_id: r.outcome for r in rows}
        finally:
            await engine.dispose()

    logged = asyncio.run(entries())
    assert logged.get("gone-before-answer") == "DISCONNECTED", logged  # it ran: what it read is logged
    assert "gone-mid-body" not in logged  # nothing was executed, so nothing to log
