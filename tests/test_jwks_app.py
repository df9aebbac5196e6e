"""RS256 tokens verified through a JWKS endpoint, end to end through the application (SPEC 3.1,
README "Identity"): the gateway fetches the identity provider's key set over HTTP (here a local
server on 127.0.0.1), accepts tokens signed by a key in it, and refuses a key id it does not
know, a key the provider has retired, a token signed by another key under a known id, another
issuer or audience, and an HS256 token; a key set that cannot be fetched is a 503.

The JWKS client's clock (the key set's cache lifespan, the cool-down between forced refreshes) is
a clock of the test's own, moved forward instead of waited for.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import TEST_SECRET, TEST_SUBJECT_ID_KEY, TODAY, make_token

ISSUER, AUDIENCE = "https://idp.example.gov.cn", "credit-gateway"
AUDIT = "{ queryLog(first: 1) { totalCount } }"  # auditors only: an answer proves who the token named


class KeySet:
    """The identity provider's published keys (kid -> private key kept to sign tokens), served as a
    JWKS document; counts the fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0

    def document(self) -> bytes:
        return json.dumps({"keys": [
            {**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "alg": "RS256",
             "use": "sig"} for kid, key in self.keys.items()]}).encode()


@pytest.fixture(scope="module")
def rsa_keys() -> dict[str, rsa.RSAPrivateKey]:
    return {name: rsa.generate_private_key(public_exponent=65537, key_size=2048) for name in ("k1", "k2", "rogue")}


@pytest.fixture
def key_set(rsa_keys):
    """A JWKS server on 127.0.0.1 publishing k1, for one test (its keys change as the test rotates them)."""
    published = KeySet()
    published.keys["k1"] = rsa_keys["k1"]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            published.fetches += 1
            body = published.document()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    published.url = f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    yield published
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class Clock:
    """time.monotonic as the JWKS client and its cache read it: the real one, plus what the test adds."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def jwks_clock(monkeypatch) -> Clock:
    import jwt.api_jwk
    import jwt.jwk_set_cache
    import jwt.jwks_client

    clock = Clock()
    for module in (jwt.jwks_client, jwt.jwk_set_cache, jwt.api_jwk):
        monkeypatch.setattr(module, "time", clock)
    return clock


def rs256_app(engine, jwks_url: str):
    settings = Settings(data_dir=Path("/nonexistent"), database_url="unused", load_demo_on_empty=False,
                        subject_id_key=TEST_SUBJECT_ID_KEY, jwt_mode="rs256", jwks_url=jwks_url, jwt_issuer=ISSUER,
                        jwt_audience=AUDIENCE)
    return create_app(settings, engine=engine, today=lambda: TODAY)  # the verifier from the settings, as served


@pytest.fixture
async def gateway(engine, key_set, jwks_clock):
    app = rs256_app(engine, key_set.url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


def token(key: rsa.RSAPrivateKey, kid: str | None, **overrides) -> str:
    now = int(time.time())
    claims = {"sub": "aud-jwks", "name": "审计员甲", "dept": "FGJ", "roles": ["auditor"], "iss": ISSUER,
              "aud": AUDIENCE, "iat": now, "exp": now + 600, **overrides}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid} if kid else None)


async def ask(client, bearer: str) -> httpx.Response:
    return await client.post("/graphql", json={"query": AUDIT}, headers={"Authorization": f"Bearer {bearer}"})


def accepted(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body and body["data"]["queryLog"]["totalCount"] >= 0, body


def refused(response: httpx.Response, reason: str, status: int = 401) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}, error
    assert error["message"] and "eyJ" not in error["message"]  # it never echoes the token
    return error


async def test_a_token_signed_by_a_published_key_is_who_it_says(gateway, key_set, rsa_keys):
    accepted(await ask(gateway, token(rsa_keys["k1"], "k1")))
    # the same claims without a token: the public may not read the log; the token did name an auditor
    anonymous = await gateway.post("/graphql", json={"query": AUDIT})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    fetched = key_set.fetches
    for _ in range(3):
        accepted(await ask(gateway, token(rsa_keys["k1"], "k1")))
    assert key_set.fetches == fetched, "the key set is cached, not fetched for every request"


@pytest.mark.parametrize("case, reason", [
    ("unknown key id", "unknown_key"),
    ("no key id", "unknown_key"),
    ("another key under a published id", "bad_signature"),
    ("another issuer", "invalid_issuer"),
    ("another audience", "invalid_audience"),
    ("HS256 with the development secret", "unknown_key"),  # it names no published key
])
async def test_a_token_the_key_set_does_not_vouch_for_is_refused(gateway, rsa_keys, case, reason):
    bearer = {
        "unknown key id": lambda: token(rsa_keys["k1"], "k9"),
        "no key id": lambda: token(rsa_keys["k1"], None),
        "another key under a published id": lambda: token(rsa_keys["rogue"], "k1"),
        "another issuer": lambda: token(rsa_keys["k1"], "k1", iss="https://elsewhere.example"),
        "another audience": lambda: token(rsa_keys["k1"], "k1", aud="another-service"),
        "HS256 with the development secret": lambda: make_token(user="aud-hs", department="FGJ", roles=["auditor"]),
    }[case]()
    response = await ask(gateway, bearer)
    refused(response, reason)
    assert response.headers["www-authenticate"].startswith("Bearer"), response.headers
    assert TEST_SECRET  # the HS256 case is signed with the suite's secret, which an RS256 gateway ignores


async def test_keys_rotate_without_a_restart(gateway, key_set, rsa_keys, jwks_clock):
    """The provider publishes k2 beside k1, then retires k1: k2 is accepted once the gateway may
    fetch the set again (a forced fetch for an unknown key id at most every 30 s), and k1 is refused
    once the set the gateway holds is older than its lifespan (5 minutes)."""
    accepted(await ask(gateway, token(rsa_keys["k1"], "k1")))
    key_set.keys["k2"] = rsa_keys["k2"]
    jwks_clock.offset += 31  # past the cool-down between forced fetches
    accepted(await ask(gateway, token(rsa_keys["k2"], "k2")))
    del key_set.keys["k1"]  # retired (say, compromised)
    jwks_clock.offset += 301  # past the lifespan of the set the gateway holds
    refused(await ask(gateway, token(rsa_keys["k1"], "k1")), "unknown_key")
    accepted(await ask(gateway, token(rsa_keys["k2"], "k2")))


async def test_an_unreachable_key_set_is_a_503_not_a_401(engine, rsa_keys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: connection refused
    app = rs256_app(engine, f"http://127.0.0.1:{port}/jwks.json")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        response = await ask(client, token(rsa_keys["k1"], "k1"))
        error = refused(response, "jwks_unavailable", status=503)
        assert "key set cannot be fetched" in error["message"]
        assert "www-authenticate" not in response.headers  # not the caller's fault: nothing to re-authenticate
        public = await client.post("/graphql", json={"query": "{ departments { code } }"})
        assert public.status_code == 200 and "errors" not in public.json()  # the public needs no key
