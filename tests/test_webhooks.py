"""Webhooks through HTTP, delivered to a real local HTTP server (a thread): a department registers an
address and gets its secret once; each of its notifications arrives signed (HMAC-SHA256 of
`timestamp.body`), after the step's commit; a failing endpoint is retried with backoff, then given
up; every attempt is in webhookDeliveries; a removed webhook is sent nothing more."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from domain.enums import CaseParty
from gateway.webhooks import RetryPolicy, WebhookDeliverer
from store.notifications import notify
from tests.conftest import app_for, graphql, make_token
from tests.sweep_world import AS_OF, PROVIDER, fresh, org_code

OFFICER = make_token(user="scjg-1", department=PROVIDER, roles=["officer"])
OTHER_DEPARTMENT = make_token(user="swj-1", department="SWJ", roles=["officer"])
REGISTER = """mutation($url: String!) { registerWebhook(input: {url: $url}) {
  webhook { id url createdBy removedAt } secret errors { code field message } } }"""
REMOVE = """mutation($id: ID!) { removeWebhook(input: {id: $id}) { webhook { id removedAt } errors { code field } } }"""
DELIVERIES = """{ webhookDeliveries(first: 10) { totalCount edges { node {
  id state attempts lastStatus lastError deliveredAt nextAttemptAt webhook { url } notification { kind message } } } } }"""


@dataclass
class Receiver:
    """A local HTTP server that keeps what it receives and answers `status`."""

    status: int = 204
    received: list[dict] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/credit/notices"

    def __enter__(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def verified(secret: str, request: dict) -> dict:
    """What README, Webhooks, tells a receiver to do: recompute the signature, compare in constant time."""
    timestamp = request["headers"]["X-Credit-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"],
                                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, request["headers"]["X-Credit-Signature"])
    return json.loads(request["body"])


class Clock:
    """The worker's clock, moved by the test (notifications are due from the real instant they are written)."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(seconds=1)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def gateway(backend, tmp_path):
    engine = await fresh(backend, tmp_path, "webhooks")
    app = app_for(engine, today=AS_OF)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield engine, client
    await engine.dispose()


async def _notify(engine, message: str, department: str = PROVIDER) -> None:
    async with engine.begin() as connection:
        await notify(connection, party=CaseParty.PROVIDER, recipient=department, kind="REPAIR_CERTIFIED",
                     message=message)


async def _register(client, url: str, token: str = OFFICER) -> dict:
    return (await graphql(client, REGISTER, {"url": url}, token=token))["data"]["registerWebhook"]


async def _deliveries(client, token: str = OFFICER) -> list[dict]:
    body = await graphql(client, DELIVERIES, token=token)
    assert "errors" not in body, body
    return [e["node"] for e in body["data"]["webhookDeliveries"]["edges"]]


async def test_a_notification_arrives_signed_after_the_commit(gateway):
    engine, client = gateway
    with Receiver() as receiver:
        registered = await _register(client, receiver.url)
        assert registered["errors"] == [] and len(registered["secret"]) == 64
        assert registered["webhook"]["url"] == receiver.url and registered["webhook"]["createdBy"] == "scjg-1"
        listed = (await graphql(client, "{ webhooks { id url } }", token=OFFICER))["data"]["webhooks"]
        assert listed == [{"id": registered["webhook"]["id"], "url": receiver.url}]
        assert "secret" not in json.dumps(listed)

        await _notify(engine, "记录已修复")
        await _notify(engine, "not theirs", department="SWJ")  # another department's: not sent here
        assert receiver.received == []  # the step only wrote it; sending is the worker's, after the commit
        [pending] = await _deliveries(client)
        assert (pending["state"], pending["attempts"]) == ("PENDING", 0)

        deliverer = WebhookDeliverer(engine)
        try:
            assert await deliverer.run_once() == 1
            assert await deliverer.run_once() == 0  # delivered: not sent again
        finally:
            await deliverer.close()
    [request] = receiver.received
    assert request["path"] == "/credit/notices"
    assert request["headers"]["Content-Type"].startswith("application/json")
    payload = verified(registered["secret"], request)
    assert (payload["kind"], payload["message"], payload["recipient"]) == ("REPAIR_CERTIFIED", "记录已修复", PROVIDER)
    assert request["headers"]["X-Credit-Delivery"] == payload["delivery"]
    with pytest.raises(AssertionError):  # a body changed on the way does not verify
        verified(registered["secret"], {**request, "body": request["body"].replace(b"REPAIR", b"REPAID")})

    [delivered] = await _deliveries(client)
    assert (delivered["state"], delivered["attempts"], delivered["lastStatus"]) == ("DELIVERED", 1, 204)
    assert delivered["deliveredAt"] and delivered["nextAttemptAt"] is None
    assert delivered["notification"] == {"kind": "REPAIR_CERTIFIED", "message": "记录已修复"}
    assert delivered["webhook"] == {"url": receiver.url}
    assert delivered["id"] == payload["delivery"]
    assert await _deliveries(client, OTHER_DEPARTMENT) == []  # another department sees none of it


async def test_a_failing_endpoint_is_retried_with_backoff_then_given_up(gateway):
    engine, client = gateway
    with Receiver(status=503) as receiver:
        await _register(client, receiver.url)
        await _notify(engine, "第一次")
        clock = Clock()
        deliverer = WebhookDeliverer(engine, now=clock, policy=RetryPolicy(
            max_attempts=3, base_delay=dt.timedelta(seconds=30)))
        try:
            assert await deliverer.run_once() == 1
            [failed] = await _deliveries(client)
            assert (failed["state"], failed["attempts"], failed["lastStatus"]) == ("PENDING", 1, 503)
            assert failed["lastError"] == "answered HTTP 503"
            start = clock.now
            assert dt.datetime.fromisoformat(failed["nextAttemptAt"]) == start + dt.timedelta(seconds=30)
            clock.now += dt.timedelta(seconds=29)
            assert await deliverer.run_once() == 0  # not due yet
            clock.now += dt.timedelta(seconds=1)
            assert await deliverer.run_once() == 1
            [second] = await _deliveries(client)
            assert second["attempts"] == 2  # then twice as long
            assert dt.datetime.fromisoformat(second["nextAttemptAt"]) == start + dt.timedelta(seconds=90)
            clock.now += dt.timedelta(seconds=60)
            assert await deliverer.run_once() == 1
            [given_up] = await _deliveries(client)
            assert (given_up["state"], given_up["attempts"], given_up["nextAttemptAt"]) == ("FAILED", 3, None)
            clock.now += dt.timedelta(days=1)
            assert await deliverer.run_once() == 0
        finally:
            await deliverer.close()
    assert len(receiver.received) == 3


async def test_a_dead_address_is_an_error_in_the_log_not_a_failure(gateway):
    engine, client = gateway
    with Receiver() as receiver:
        url = receiver.url
    await _register(client, url)  # nothing listens there any more
    await _notify(engine, "无人接收")
    deliverer = WebhookDeliverer(engine, policy=RetryPolicy(timeout_seconds=2))
    try:
        assert await deliverer.run_once() == 1
    finally:
        await deliverer.close()
    [failed] = await _deliveries(client)
    assert failed["state"] == "PENDING" and failed["lastStatus"] is None and "ConnectError" in failed["lastError"]


async def test_addresses_are_checked_and_only_departments_register(gateway):
    engine, client = gateway
    for url in ("ftp://example.org/x", "https://", "https://user:pw@example.org/x", "https://example.org/x#part",
                "https://example.org/" + "x" * 500, "https://exa mple.org/", "example.org/hook", "http://h:99999/"):
        refused = await _register(client, url)
        assert refused["webhook"] is None and refused["secret"] is None
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", "url")], url
    assert (await graphql(client, "{ webhooks { id } }", token=OFFICER))["data"]["webhooks"] == []
    subject = make_token(user="org", subject=org_code(400))
    for token in (subject, None):
        body = await graphql(client, REGISTER, {"url": "https://example.org/hook"}, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    first = await _register(client, "https://example.org/hook")
    assert first["errors"] == []
    again = await _register(client, "https://example.org/hook")
    assert [e["code"] for e in again["errors"]] == ["DUPLICATE"]


async def test_a_removed_webhook_is_sent_nothing_more(gateway):
    engine, client = gateway
    with Receiver() as receiver:
        registered = await _register(client, receiver.url)
        await _notify(engine, "移除前")
        ident = registered["webhook"]["id"]
        refused = (await graphql(client, REMOVE, {"id": ident}, token=OTHER_DEPARTMENT))["data"]["removeWebhook"]
        assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
        removed = (await graphql(client, REMOVE, {"id": ident}, token=OFFICER))["data"]["removeWebhook"]
        assert removed["errors"] == [] and removed["webhook"]["removedAt"]
        twice = (await graphql(client, REMOVE, {"id": ident}, token=OFFICER))["data"]["removeWebhook"]
        assert [e["code"] for e in twice["errors"]] == ["ALREADY_REVOKED"]
        await _notify(engine, "移除后")
        deliverer = WebhookDeliverer(engine)
        try:
            assert await deliverer.run_once() == 0
        finally:
            await deliverer.close()
    assert receiver.received == []
    [cancelled] = await _deliveries(client)  # owed before the removal, given up; none owed after it
    assert cancelled["state"] == "FAILED" and "removed" in cancelled["lastError"]


async def test_serve_delivers_in_the_background(backend, tmp_path):
    engine = await fresh(backend, tmp_path, "webhooks_serve")
    app = app_for(engine, today=AS_OF, webhook_delivery=True)
    try:
        with Receiver() as receiver:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
                registered = await _register(client, receiver.url)
                async with app.router.lifespan_context(app):
                    await _notify(engine, "后台发送")
                    for _ in range(100):
                        if receiver.received:
                            break
                        await asyncio.sleep(0.05)
        assert verified(registered["secret"], receiver.received[0])["message"] == "后台发送"
    finally:
        await engine.dispose()
