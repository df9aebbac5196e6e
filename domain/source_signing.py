"""Signing the calls between the gateway and federated sources (issue 18), both ways.

The gateway signs each `_entities` call it makes to an admitted source with that source's key, and
a router that composes this gateway's own subgraph signs its calls with the deployment's router
secret. A receiver recomputes the signature and refuses a call that is unsigned, wrongly signed or
stale. The signature is HMAC-SHA256 over one canonical text:

    v1 \\n timestamp \\n METHOD \\n path \\n sha256(body) \\n department \\n purpose \\n basis \\n request id

so that who asks and why (the X-Road-style headers the call carries) cannot be altered on the way
either; a header that is absent counts as empty. The timestamp is Unix seconds; a receiver accepts
it within a freshness window either side of its own clock (replays of an old call are refused).
Pure: no HTTP library, no clock of its own.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SCHEME = "v1"
# The headers a signed call carries (in the manner of X-Road's user and issue headers).
DEPARTMENT_HEADER = "X-Credit-Gateway-Department"
PURPOSE_HEADER = "X-Credit-Gateway-Purpose"
BASIS_HEADER = "X-Credit-Gateway-Basis"  # percent-encoded UTF-8: a basis is often Chinese
REQUEST_ID_HEADER = "X-Credit-Gateway-Request-Id"
TIMESTAMP_HEADER = "X-Credit-Gateway-Timestamp"
SIGNATURE_HEADER = "X-Credit-Gateway-Signature"
SIGNED_HEADERS = (DEPARTMENT_HEADER, PURPOSE_HEADER, BASIS_HEADER, REQUEST_ID_HEADER)
# How far a call's timestamp may be from the receiver's clock, in seconds, either way.
FRESHNESS_SECONDS = 60


class SignatureRefused(ValueError):
    """A call whose signature does not hold; the message says why (never the expected value)."""


def _canonical(timestamp: str, method: str, path: str, body: bytes, headers: Mapping[str, str]) -> bytes:
    lowered = {name.lower(): value for name, value in headers.items()}
    carried = "\n".join(lowered.get(name.lower(), "") for name in SIGNED_HEADERS)
    return "\n".join((SCHEME, timestamp, method.upper(), path, hashlib.sha256(body).hexdigest(), carried)).encode()


def signature(key: str, timestamp: str, method: str, path: str, body: bytes,
              headers: Mapping[str, str] | None = None) -> str:
    """The signature header's value for a call: `v1=<hex HMAC-SHA256>`."""
    digest = hmac.new(key.encode(), _canonical(timestamp, method, path, body, headers or {}), hashlib.sha256)
    return f"{SCHEME}={digest.hexdigest()}"


def signed_headers(key: str, now: float, method: str, path: str, body: bytes,
                   headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """`headers` plus the timestamp and signature headers that sign them with the body."""
    timestamp = str(int(now))
    carried = dict(headers or {})
    return {**carried, TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(key, timestamp, method, path, body, carried)}


def verify(key: str, now: float, method: str, path: str, body: bytes, headers: Mapping[str, str],
           freshness: float = FRESHNESS_SECONDS) -> None:
    """Raise SignatureRefused unless `headers` carry a fresh, valid signature of the call by `key`."""
    lowered = {name.lower(): value for name, value in headers.items()}
    given = lowered.get(SIGNATURE_HEADER.lower())
    timestamp = lowered.get(TIMESTAMP_HEADER.lower())
    if not given or not timestamp:
        raise SignatureRefused(f"the call is not signed: send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureRefused(f"{TIMESTAMP_HEADER} must be Unix seconds")
    if abs(now - int(timestamp)) > freshness:
        raise SignatureRefused(f"the call is stale: its timestamp is over {int(freshness)} s from this server's clock")
    expected = signature(key, timestamp, method, path, body, lowered)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise SignatureRefused("the signature does not match the call")
