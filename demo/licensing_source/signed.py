"""The check a department source makes before answering: the call is signed by the gateway (issue 18).

An ASGI wrapper: it reads the body, verifies the HMAC signature of domain/source_signing.py with the
source's key (the one given at admission), and answers an unsigned, stale or wrongly signed call with
a 401 JSON error, without running it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from domain.source_signing import SignatureRefused, verify


def signed_only(app, key: str, *, clock: Callable[[], float] = time.time):
    """`app`, answering only POSTs signed with `key` (GET, the page of a GraphQL IDE, is refused too)."""

    async def checked(scope, receive, send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        path = scope["path"]
        if scope.get("query_string"):
            path += "?" + scope["query_string"].decode("latin-1")
        try:
            verify(key, clock(), scope["method"], path, body, headers)
        except SignatureRefused as refused:
            payload = json.dumps({"errors": [{"message": str(refused), "extensions": {"code": "UNAUTHENTICATED"}}]})
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": payload.encode()})
            return
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await app(scope, replay, send)

    return checked
