"""Every bad token gets HTTP 401 with a JSON error saying which, and no data (SPEC 3.6)."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from tests.conftest import TEST_SECRET, make_token

QUERY = {"query": "{ departments { code } }"}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**extra):
    now = int(time.time())
    return {"sub": "u1", "name": "测试员", "dept": "SCJG", "roles": ["officer"], "iat": now, "exp": now + 600, **extra}


def _forged() -> str:
    header, payload, signature = make_token(user="u1").split(".")
    evil = _b64({**json.loads(base64.urlsafe_b64decode(payload + "==")), "roles": ["auditor"], "dept": "FGJ"})
    return f"{header}.{evil}.{signature}"


BAD_TOKENS = {
    "malformed": ("Bearer not.a.jwt", "malformed"),
    "random string": ("Bearer " + "x" * 40, "malformed"),
    "forged claims": (lambda: "Bearer " + _forged(), "bad_signature"),
    "wrong secret": (lambda: "Bearer " + jwt.encode(_claims(), "another-secret-of-32-bytes-or-more!!", "HS256"),
                     "bad_signature"),
    "alg none": (lambda: "Bearer " + _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims()) + ".",
                 "unsupported_algorithm"),
    "expired": (lambda: "Bearer " + jwt.encode(_claims(exp=int(time.time()) - 120), TEST_SECRET, "HS256"), "expired"),
    "not yet valid": (lambda: "Bearer " + jwt.encode(_claims(nbf=int(time.time()) + 3600), TEST_SECRET, "HS256"),
                      "not_yet_valid"),
    "no exp": (lambda: "Bearer " + jwt.encode({"sub": "u1"}, TEST_SECRET, "HS256"), "missing_claim"),
    "not bearer": ("Basic dXNlcjpwYXNz", "invalid_header"),
}


@pytest.mark.parametrize("name", BAD_TOKENS)
async def test_bad_token_is_401_and_no_data(client, name):
    header, reason = BAD_TOKENS[name]
    header = header() if callable(header) else header
    response = await client.post("/graphql", json=QUERY, headers={"Authorization": header})
    assert response.status_code == 401
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_good_token_and_no_token_both_answer(client):
    anonymous = await client.post("/graphql", json=QUERY)
    assert anonymous.status_code == 200 and "errors" not in anonymous.json(), anonymous.text
    assert "XYZX" in {d["code"] for d in anonymous.json()["data"]["departments"]}
    response = await client.post("/graphql", json=QUERY, headers={"Authorization": "Bearer " + make_token()})
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    assert response.json()["data"] == anonymous.json()["data"]  # departments are public: same answer
