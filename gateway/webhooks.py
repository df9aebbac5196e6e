"""Delivering departments' notifications to their webhooks (issue 15): the background worker.

A notification to a department owes one delivery per webhook the department registered
(store/notifications.py writes the PENDING rows with the notification, in the step's transaction).
This worker, a task of the serving process, sends what is due after the commit, so a dead endpoint
never fails or slows a step or a request:

- The body is JSON (`body_of`); the headers say which delivery it is and sign it:
  `X-Credit-Timestamp: <unix seconds>` and `X-Credit-Signature: sha256=<hex>`, the hex being
  HMAC-SHA256 under the webhook's secret of `<timestamp>.<body>` (README, "Webhooks", says how
  to verify it and to refuse a replay).
- A 2xx answer delivers it; anything else (a status, a timeout, a refused connection) is retried
  with exponential backoff, `base_delay * 2^(attempts-1)`, and given up (FAILED) after
  `max_attempts`. Every attempt updates the delivery's row: attempts, last status, last error.
- Several serving processes share the work: a delivery is claimed by moving its next attempt a
  lease ahead with a conditional UPDATE, so only one process sends it at a time; a process killed
  mid-send leaves it to be sent again when the lease ends (a receiver ignores a repeated
  X-Credit-Delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass

import httpx
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import Clock, utc_now
from resolvers.node_ids import NodeKind, global_id
from store.models import Notification, WebhookDelivery, WebhookSubscription
from store.notifications import PENDING

log = logging.getLogger("gateway.webhooks")

N, WS, WD = Notification.__table__, WebhookSubscription.__table__, WebhookDelivery.__table__
SIGNATURE_HEADER = "X-Credit-Signature"
TIMESTAMP_HEADER = "X-Credit-Timestamp"
DELIVERY_HEADER = "X-Credit-Delivery"
BATCH = 50  # deliveries claimed per round
LEASE = dt.timedelta(seconds=60)  # a claimed delivery is another process's again after this

_DUE = (select(WD.c.id, WD.c.attempts, WS.c.url, WS.c.secret, *[c.label(f"n_{c.name}") for c in N.c])
        .join(WS, WS.c.id == WD.c.subscription_id).join(N, N.c.id == WD.c.notification_id)
        .where(WD.c.state == PENDING, WD.c.next_attempt_at <= bindparam("now"), WS.c.disabled_at.is_(None))
        .order_by(WD.c.next_attempt_at, WD.c.id).limit(BATCH))
# Due still (nobody moved it a lease ahead meanwhile): then it is ours until the lease ends.
_CLAIM = (update(WD).where(WD.c.id == bindparam("delivery"), WD.c.state == PENDING,
                           WD.c.next_attempt_at <= bindparam("now"))
          .values(next_attempt_at=bindparam("lease")))
_RESULT = update(WD).where(WD.c.id == bindparam("delivery"))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Credit-Signature value of `body` sent at `timestamp` (unix seconds, as sent)."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def body_of(row) -> bytes:
    """The JSON a webhook receives: the notification as myNotifications shows it, ids global."""
    payload = {
        "delivery": global_id(NodeKind.WEBHOOK_DELIVERY, row.id),
        "notification": global_id(NodeKind.NOTIFICATION, row.n_id),
        "kind": row.n_kind, "message": row.n_message, "recipient": row.n_recipient,
        "recipientParty": row.n_recipient_party, "subjectCode": row.n_subject_code,
        "record": global_id(NodeKind.RECORD, row.n_record_id) if row.n_record_id is not None else None,
        "case": row.n_case_id, "createdAt": row.n_created_at.astimezone(dt.timezone.utc).isoformat(),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: dt.timedelta = dt.timedelta(seconds=30)  # 30 s, 1, 2, 4, 8, 16, 32 min: about an hour in all
    timeout_seconds: float = 5.0

    def next_attempt(self, attempts: int, now: dt.datetime) -> dt.datetime | None:
        """When to try again after `attempts` failed ones; None: give up."""
        if attempts >= self.max_attempts:
            return None
        return now + self.base_delay * (2 ** (attempts - 1))


class WebhookDeliverer:
    """Sends due deliveries; `run_once` for one round (tests), `start`/`close` for the serving loop."""

    def __init__(self, engine: AsyncEngine, *, now: Clock = utc_now, policy: RetryPolicy = RetryPolicy(),
                 poll_seconds: float = 1.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.engine, self.now, self.policy, self.poll_seconds = engine, now, policy, poll_seconds
        self._transport = transport
        self._client: httpx.AsyncClient | None = None  # made on first use, in the serving loop
        self._task: asyncio.Task | None = None

    async def run_once(self) -> int:
        """Send every delivery due now (claimed first); returns how many were attempted."""
        now = self.now()
        async with self.engine.begin() as connection:
            due = (await connection.execute(_DUE, {"now": now})).all()
        claimed = []
        for row in due:
            async with self.engine.begin() as connection:
                result = await connection.execute(_CLAIM, {"delivery": row.id, "now": now, "lease": now + LEASE})
            if result.rowcount == 1:
                claimed.append(row)
        outcomes = await asyncio.gather(*(self._attempt(row) for row in claimed), return_exceptions=True)
        for outcome in outcomes:  # an attempt whose result could not be written is sent again after its lease
            if isinstance(outcome, Exception):
                log.error("webhook delivery: the attempt's result was not stored: %s", outcome)
        return len(claimed)

    async def _attempt(self, row) -> None:
        body = body_of(row)
        timestamp = str(int(self.now().timestamp()))
        headers = {"Content-Type": "application/json; charset=utf-8", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(row.secret, timestamp, body),
                   DELIVERY_HEADER: global_id(NodeKind.WEBHOOK_DELIVERY, row.id)}
        status, error = None, None
        try:
            # the answer's status only: its body is never read (a receiver cannot make the worker hold one)
            async with self._http().stream("POST", row.url, content=body, headers=headers) as response:
                status = response.status_code
            if not 200 <= status < 300:
                error = f"answered HTTP {status}"
        except httpx.TimeoutException:
            error = f"no answer within {self.policy.timeout_seconds:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {str(exc)[:300] or 'the connection failed'}"
        attempts, now = row.attempts + 1, self.now()
        values = {"attempts": attempts, "last_status": status, "last_error": error}
        if error is None:
            values |= {"state": "DELIVERED", "delivered_at": now, "next_attempt_at": None}
        else:
            retry = self.policy.next_attempt(attempts, now)
            values |= {"state": PENDING if retry else "FAILED", "next_attempt_at": retry}
            log.info("webhook delivery %s to %s failed (attempt %s): %s", row.id, row.url, attempts, error)
        async with self.engine.begin() as connection:
            await connection.execute(_RESULT.values(**values), {"delivery": row.id})

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.policy.timeout_seconds, follow_redirects=False,
                                             transport=self._transport,
                                             headers={"User-Agent": "credit-gateway-webhooks"})
        return self._client

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="webhook-deliveries")

    async def _loop(self) -> None:
        while True:
            try:
                sent = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away, say: try again next round, never stop serving
                log.exception("webhook deliveries: this round failed; trying again")
                sent = 0
            if sent < BATCH:
                await asyncio.sleep(self.poll_seconds)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()
