"""Clients that go away mid-request (a closed browser tab, a load generator stopping, a timeout on
the caller's side): an ordinary event, logged as one line, never an error with a traceback.

Starlette raises `ClientDisconnect` when the body stops before its end (and when a streamed answer
meets a closed socket); uncaught, the server prints it as "Exception in ASGI application" with a
traceback, once per abandoned connection. `DisconnectsLogged` wraps the whole application so that
no route can let it through; the GraphQL endpoint also asks `client_gone` once the operation has
run, so that the query log says the answer was never delivered (the operation did run: what it
read is logged all the same).
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("gateway")


def log_gone(what: str, path: str, request_id: str | None = None) -> None:
    """The one line a disconnect is worth."""
    who = f"request {request_id}" if request_id else "a request"
    log.warning("%s to %s: the client went away %s", who, path, what)


async def client_gone(receive: Receive) -> bool:
    """Whether the client has disconnected, asked without waiting (the body must have been read:
    the next message the server has for us is then only ever `http.disconnect`)."""
    pending = asyncio.ensure_future(receive())
    await asyncio.sleep(0)  # a message already there is delivered now
    if pending.done():
        return not pending.cancelled() and pending.exception() is None and \
            pending.result().get("type") == "http.disconnect"
    pending.cancel()
    return False


class DisconnectsLogged:
    """ASGI middleware: a `ClientDisconnect` (or a broken socket) escaping a route is one log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except (ClientDisconnect, ConnectionError):
            log_gone("before it was answered", scope.get("path", "?"))
