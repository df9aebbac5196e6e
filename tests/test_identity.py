"""Bearer-token verification: every kind of bad token is refused with its own reason, and good
HS256, RS256 and JWKS tokens become the right Principal."""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import socket
import stat
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from domain.catalogue import load_profile
from domain.principal import Principal
from domain.roles import DepartmentRegistry
from gateway.identity import (
    AuthenticationError,
    IdentityConfig,
    TokenVerifier,
    add_token_command,
    authentication_error_response,
    load_or_create_dev_secret,
    mint_token,
)

SECRET = b"s" * 32
DEPARTMENTS = DepartmentRegistry.of(load_profile("huancui"))
GOOD = {"sub": "u-1001", "name": "张三", "dept": "SCJG", "roles": ["officer", "submitter"],
        "subject": "91350100M000100Y43"}


def b64(data: bytes | dict) -> str:
    if isinstance(data, dict):
        data = json.dumps(data).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**overrides) -> dict:
    base = {**GOOD, "exp": int(time.time()) + 600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


def hs_token(payload: dict, secret: bytes = SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def hand_signed(header: dict, payload: dict, hmac_key: bytes | None) -> str:
    """Build a token by hand: PyJWT rightly refuses to produce the attacks tested here."""
    signing_input = f"{b64(header)}.{b64(payload)}"
    sig = "" if hmac_key is None else b64(hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest())
    return f"{signing_input}.{sig}"


def refusal(verifier: TokenVerifier, header: str) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as info:
        verifier.verify(header)
    return info.value


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def public_pem(rsa_key) -> bytes:
    return rsa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture
def hs() -> TokenVerifier:
    return TokenVerifier(IdentityConfig(mode="hs256", hs256_secret=SECRET))


@pytest.fixture
def rs(public_pem) -> TokenVerifier:
    return TokenVerifier(IdentityConfig(mode="rs256", rs256_public_key_pem=public_pem))


# --- good tokens -------------------------------------------------------------------------------

EXPECTED = Principal(user="u-1001", name="张三", department="SCJG",
                     roles=frozenset({"officer", "submitter"}), subject_code="91350100M000100Y43")


def test_no_header_is_the_anonymous_public(hs):
    assert hs.verify(None) == Principal.anonymous()


def test_good_hs256_token(hs):
    assert hs.verify(f"Bearer {hs_token(claims())}") == EXPECTED


def test_scheme_is_case_insensitive_and_optional_claims_default(hs):
    principal = hs.verify(f"bearer {hs_token({'sub': 'u-2', 'name': '李四', 'exp': int(time.time()) + 60})}")
    assert principal == Principal(user="u-2", name="李四")


def test_good_rs256_token(rs, rsa_key):
    assert rs.verify("Bearer " + jwt.encode(claims(), rsa_key, algorithm="RS256")) == EXPECTED


def test_expiry_within_leeway_is_accepted(hs):
    assert hs.verify(f"Bearer {hs_token(claims(exp=int(time.time()) - 10))}").user == "u-1001"


def test_issuer_and_audience_when_configured():
    v = TokenVerifier(IdentityConfig(mode="hs256", hs256_secret=SECRET, issuer="idp", audience="credit"))
    assert v.verify(f"Bearer {hs_token(claims(iss='idp', aud='credit'))}").user == "u-1001"
    assert refusal(v, f"Bearer {hs_token(claims(iss='evil', aud='credit'))}").reason == "invalid_issuer"
    assert refusal(v, f"Bearer {hs_token(claims(iss='idp', aud='other'))}").reason == "invalid_audience"
    missing = refusal(v, f"Bearer {hs_token(claims(aud='credit'))}")
    assert (missing.reason, "'iss'" in missing.message) == ("missing_claim", True)


# --- bad tokens --------------------------------------------------------------------------------

@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "eyJhbGciOiJIUzI1NiJ9.e30.x", "Bearer",
                                    "Bearer ", "", "Bearer a b", "Token abc"])
def test_header_without_bearer_token(hs, header):
    err = refusal(hs, header)
    assert (err.reason, err.status) == ("invalid_header", 401)


@pytest.mark.parametrize("token", [
    "not-a-jwt",
    "a.b.c",
    "eyJhbGciOiJIUzI1NiJ9.!!!.sig",
    f"{b64(b'[1,2]')}.{b64({'sub': 'x'})}.{b64(b'x')}",
    "x" * 10_000,
])
def test_malformed(hs, token):
    assert refusal(hs, f"Bearer {token}").reason == "malformed"


def test_validly_signed_payload_that_is_not_json(hs):
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(b'{not json')}"
    sig = b64(hmac.new(SECRET, signing_input.encode(), hashlib.sha256).digest())
    assert refusal(hs, f"Bearer {signing_input}.{sig}").reason == "malformed"


def test_random_string(hs):
    assert refusal(hs, "Bearer " + base64.urlsafe_b64encode(b"\x00\xff" * 40).decode()).reason == "malformed"


def test_forged_payload_keeps_old_signature(hs):
    header, _, signature = hs_token(claims()).split(".")
    forged = f"{header}.{b64(claims(roles=['admin']))}.{signature}"
    assert refusal(hs, f"Bearer {forged}").reason == "bad_signature"


def test_signed_with_another_secret(hs):
    assert refusal(hs, f"Bearer {hs_token(claims(), b'o' * 32)}").reason == "bad_signature"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none(hs, alg):
    token = hand_signed({"alg": alg, "typ": "JWT"}, claims(), None)
    assert refusal(hs, f"Bearer {token}").reason == "unsupported_algorithm"


def test_algorithm_confusion_hs256_signed_with_the_public_key(rs, public_pem):
    token = hand_signed({"alg": "HS256", "typ": "JWT"}, claims(), public_pem)
    assert refusal(rs, f"Bearer {token}").reason == "unsupported_algorithm"


def test_other_algorithms_refused(hs, rsa_key):
    assert refusal(hs, "Bearer " + jwt.encode(claims(), rsa_key, algorithm="RS256")).reason == "unsupported_algorithm"
    assert refusal(hs, "Bearer " + jwt.encode(claims(), SECRET * 2, algorithm="HS512")).reason == "unsupported_algorithm"


def test_expired(hs):
    assert refusal(hs, f"Bearer {hs_token(claims(exp=int(time.time()) - 120))}").reason == "expired"


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_not_yet_valid(hs, claim):
    token = hs_token(claims(**{claim: int(time.time()) + 600}))
    assert refusal(hs, f"Bearer {token}").reason == "not_yet_valid"


@pytest.mark.parametrize("claim", ["exp", "sub"])
def test_missing_required_claim(hs, claim):
    err = refusal(hs, f"Bearer {hs_token(claims(**{claim: ...}))}")
    assert err.reason == "missing_claim" and f"'{claim}'" in err.message


@pytest.mark.parametrize("claim,value", [
    ("roles", "officer"),
    ("roles", [1]),
    ("roles", ["Officer"]),
    ("roles", ["officer\n"]),
    ("roles", ["r" * 65]),
    ("roles", [f"r{i}" for i in range(33)]),
    ("sub", 42),
    ("sub", ""),
    ("sub", "u" * 129),
    ("name", 7),
    ("dept", "tax"),
    ("dept", "T" * 33),
    ("subject", "9135 0100"),
    ("subject", 91350100),
    ("exp", "tomorrow"),
    ("nbf", "soon"),
])
def test_invalid_claim(hs, claim, value):
    err = refusal(hs, f"Bearer {hs_token(claims(**{claim: value}))}")
    assert err.reason == "invalid_claim" and f"'{claim}'" in err.message


def test_audience_in_token_but_not_configured(hs):
    assert refusal(hs, f"Bearer {hs_token(claims(aud='someone-else'))}").reason == "invalid_audience"


# --- JWKS --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def jwks_url(rsa_key):
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()
    server.server_close()


def test_jwks_good_and_unknown_key(jwks_url, rsa_key):
    v = TokenVerifier(IdentityConfig(mode="rs256", jwks_url=jwks_url))
    good = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "k1"})
    assert v.verify(f"Bearer {good}") == EXPECTED
    stranger = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "k2"})
    assert refusal(v, f"Bearer {stranger}").reason == "unknown_key"


def test_jwks_unreachable_is_503(rsa_key):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: connection refused
    v = TokenVerifier(IdentityConfig(mode="rs256", jwks_url=f"http://127.0.0.1:{port}/jwks.json"))
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "k1"})
    err = refusal(v, f"Bearer {token}")
    assert (err.reason, err.status) == ("jwks_unavailable", 503)


# --- configuration -----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"mode": "hs256"},
    {"mode": "hs256", "hs256_secret": b"short"},
    {"mode": "rs256"},
    {"mode": "rs256", "rs256_public_key_pem": b"x", "jwks_url": "http://x"},
    {"mode": "es256", "hs256_secret": SECRET},
])
def test_bad_config_refused(kwargs):
    with pytest.raises(ValueError):
        IdentityConfig(**kwargs)


def test_weak_or_wrong_public_key_refused():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    pem = small.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ValueError):
        TokenVerifier(IdentityConfig(mode="rs256", rs256_public_key_pem=pem))


# --- development secret, minting, CLI ----------------------------------------------------------

def test_dev_secret_created_once_reused_and_private(tmp_path: Path):
    data_dir = tmp_path / "data"
    first = load_or_create_dev_secret(data_dir)
    path = data_dir / "jwt-secret"
    assert len(first) == 32
    assert path.read_text().strip() == first.hex()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_dev_secret(data_dir) == first
    assert load_or_create_dev_secret(tmp_path / "other") != first
    assert [p.name for p in data_dir.iterdir()] == ["jwt-secret"]  # no temporary file left behind


def test_corrupt_dev_secret_is_an_error_not_silently_replaced(tmp_path: Path):
    (tmp_path / "jwt-secret").write_text("not hex")
    with pytest.raises(ValueError):
        load_or_create_dev_secret(tmp_path)


def test_mint_token_round_trips(hs):
    token = mint_token(SECRET, user="u-1001", name="张三", department="SCJG", roles=["officer", "submitter"],
                       subject="91350100M000100Y43")
    assert hs.verify(f"Bearer {token}") == EXPECTED
    payload = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert payload["exp"] - payload["iat"] == 3600


def test_mint_token_with_past_now_is_expired(hs):
    token = mint_token(SECRET, user="u", name="王五", department=None, roles=[], expires_in=60,
                       now=time.time() - 3600)
    assert refusal(hs, f"Bearer {token}").reason == "expired"


def test_mint_token_refuses_claims_verification_would_refuse():
    with pytest.raises(ValueError, match="roles"):
        mint_token(SECRET, user="u", department="SCJG", roles=["Bad Role"])


def test_token_command(tmp_path: Path, capsys, hs):
    parser = argparse.ArgumentParser(prog="credit-gateway")
    add_token_command(parser.add_subparsers(dest="command"), lambda: tmp_path, DEPARTMENTS)
    args = parser.parse_args(["token", "--user", "u-1001", "--name", "张三", "--department", "SCJG",
                              "--role", "officer", "--role", "submitter", "--subject", "91350100M000100Y43",
                              "--expires-in", "60"])
    assert args.func(args) == 0
    token = capsys.readouterr().out.strip()
    verifier = TokenVerifier(IdentityConfig(mode="hs256", hs256_secret=load_or_create_dev_secret(tmp_path)))
    assert verifier.verify(f"Bearer {token}") == Principal(
        user="u-1001", name="张三", department="SCJG", roles=frozenset({"officer", "submitter"}),
        subject_code="91350100M000100Y43")
    with pytest.raises(SystemExit):
        parser.parse_args(["token", "--help"])
    assert "--expires-in" in capsys.readouterr().out


# --- HTTP response -----------------------------------------------------------------------------

def test_error_response_401():
    response = authentication_error_response(AuthenticationError("expired", "the token has expired"))
    assert response.status_code == 401
    assert json.loads(response.body) == {"errors": [{"message": "the token has expired",
                                                     "extensions": {"code": "UNAUTHENTICATED", "reason": "expired"}}]}
    assert response.headers["www-authenticate"] == \
        'Bearer error="invalid_token", error_description="the token has expired"'


def test_error_response_503_has_no_challenge():
    response = authentication_error_response(AuthenticationError("jwks_unavailable", "down", 503))
    assert response.status_code == 503 and "www-authenticate" not in response.headers
