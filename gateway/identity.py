"""Turning an `Authorization: Bearer <JWT>` header into a `Principal` (SPEC §4).

Development signs tokens with HS256 and a per-installation secret kept in the data directory;
production verifies RS256 against a configured public key or a JWKS endpoint. Only the
configured algorithm is ever accepted, so `alg: none` and HS256-with-the-public-key
(algorithm confusion) are refused before any claim is read. Every refusal carries a short
machine `reason`, so operators can tell an expired token from a forged one in the logs.

A validly signed token is then checked against the deployment (SPEC 3.1): a lifetime of at most
`max_lifetime_seconds`, a valid subject code (normalised), the querier's name (HC-23) on every
token but a subject's own, and, once bound to the profile's `DepartmentRegistry`, a known
department and roles that fit its kind. These refusals are HTTP 401 too, not 403: such a token is
unusable for every request, even the public's, and the fix is a new token (RFC 6750
`invalid_token`), not a right this request lacks.
"""

from __future__ import annotations

import argparse
import logging
import math
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from domain.identifiers import InvalidIdentifier, validate_subject_code
from domain.principal import Principal
from domain.secret_files import create_once, warn_if_readable
from domain.roles import KNOWN_ROLES, DepartmentRegistry, IdentityRefused
from gateway.responses import error_response

log = logging.getLogger(__name__)

DEV_SECRET_FILE = "jwt-secret"
MIN_HS256_SECRET_BYTES = 32
MIN_RSA_KEY_BITS = 2048
MAX_TOKEN_CHARS = 8192  # far above any honest token; stops us parsing megabytes of junk

_ROLE = re.compile(r"[a-z][a-z0-9_-]{0,63}")
_DEPARTMENT = re.compile(r"[A-Z0-9_-]{1,32}")
_SUBJECT_CODE = re.compile(r"[0-9A-Za-z-]{1,64}")  # charset and length only; checksum is checked elsewhere
MAX_SUB_CHARS = 128
MAX_NAME_CHARS = 128
MAX_ROLES = 32
# A stolen token is worth what it has left to live: a working day and a half at most by default
# (MAX_TOKEN_LIFETIME_SECONDS); `exp - iat` (or `exp - now` without `iat`) must not exceed it.
DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 12 * 3600


@dataclass(frozen=True)
class IdentityConfig:
    """How tokens are verified. Checked on construction so a misconfiguration stops startup,
    not the first request."""

    mode: Literal["hs256", "rs256"]
    hs256_secret: bytes | None = None
    rs256_public_key_pem: bytes | None = None
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    leeway_seconds: int = 30
    max_lifetime_seconds: int = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS

    def __post_init__(self) -> None:
        if self.mode == "hs256":
            if not self.hs256_secret or len(self.hs256_secret) < MIN_HS256_SECRET_BYTES:
                raise ValueError(f"hs256 needs a secret of at least {MIN_HS256_SECRET_BYTES} bytes")
        elif self.mode == "rs256":
            if (self.rs256_public_key_pem is None) == (self.jwks_url is None):
                raise ValueError("rs256 needs exactly one of rs256_public_key_pem or jwks_url")
        else:
            raise ValueError(f"unknown identity mode {self.mode!r}; use 'hs256' or 'rs256'")
        if self.leeway_seconds < 0:
            raise ValueError("leeway_seconds must not be negative")
        if self.max_lifetime_seconds <= 0:
            raise ValueError("max_lifetime_seconds must be positive")

    @property
    def algorithm(self) -> str:
        return "HS256" if self.mode == "hs256" else "RS256"


class AuthenticationError(Exception):
    """A presented credential was refused. `reason` is a stable machine code for clients and
    logs; `message` is safe to show (it never echoes the token); `status` is the HTTP status.
    `principal` is who a validly signed token claimed to be when its claims were refused (so the
    query log can name who tried)."""

    def __init__(self, reason: str, message: str, status: int = 401, principal: Principal | None = None) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.status = status
        self.principal = principal


def load_or_create_dev_secret(data_dir: Path) -> bytes:
    """Return the development HS256 secret, creating `data_dir/jwt-secret` on first start.

    The secret is random per installation (never a constant in the code, so tokens minted on
    one machine are worthless on another) and the file is 0600 because it can mint any
    identity. It is written to a temporary file and hard-linked into place, so two processes
    starting together never see a half-written secret and never overwrite each other's.
    """
    path = data_dir / DEV_SECRET_FILE
    create_once(path, (secrets.token_bytes(32).hex() + "\n").encode("ascii"))
    warn_if_readable(path, "anyone can mint any identity")
    try:
        secret = bytes.fromhex(path.read_text("ascii").strip())
    except ValueError as exc:
        raise ValueError(f"{path} does not hold a hex-encoded secret") from exc
    if len(secret) < MIN_HS256_SECRET_BYTES:
        raise ValueError(f"{path} holds a secret shorter than {MIN_HS256_SECRET_BYTES} bytes")
    return secret


NAME_REQUIRED = ("the token lacks the required 'name' claim: the querier's name is logged with every query "
                 "(HC-23 查询人员姓名); only a subject's own token (a 'subject' claim and no 'dept') may omit it")


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Build a `Principal` from verified claims, refusing anything of the wrong type or size.

    A validly signed token is still input: a huge or oddly typed claim must not reach the
    policies, the query log or a SQL parameter. The `subject` claim is normalised like any
    subject code (a resident ID's check character `x` upper-cased), so it names the subject as
    stored; a code that is not a valid resident ID or credit code is refused. Every token but a
    subject's own carries the querier's name (HC-23).
    """
    sub = claims.get("sub")
    if not isinstance(sub, str) or not 0 < len(sub) <= MAX_SUB_CHARS:
        raise _invalid_claim("sub", f"a non-empty string of at most {MAX_SUB_CHARS} characters")
    name = _optional_str(claims, "name", lambda v: 0 < len(v.strip()) and len(v) <= MAX_NAME_CHARS,
                         f"a non-empty string of at most {MAX_NAME_CHARS} characters")
    dept = _optional_str(claims, "dept", _DEPARTMENT.fullmatch,
                         "a department code of 1-32 characters A-Z 0-9 _ -")
    subject = _optional_str(claims, "subject", _SUBJECT_CODE.fullmatch,
                            "a code of 1-64 characters 0-9 A-Z a-z -")
    if subject is not None:
        try:
            subject, _kind = validate_subject_code(subject)
        except InvalidIdentifier as exc:
            raise _invalid_claim("subject", f"a valid resident ID number or unified social credit code "
                                            f"({exc.masked_message})") from None
    roles = claims.get("roles")
    if roles is None:
        roles = []
    if (not isinstance(roles, list) or len(roles) > MAX_ROLES
            or not all(isinstance(r, str) and _ROLE.fullmatch(r) for r in roles)):
        raise _invalid_claim("roles", f"a list of at most {MAX_ROLES} role names matching "
                                      "[a-z][a-z0-9_-]*, each at most 64 characters")
    if name is None and (subject is None or dept is not None):
        raise AuthenticationError("missing_claim", NAME_REQUIRED)
    return Principal(user=sub, name=name, department=dept, roles=frozenset(roles),
                     subject_code=subject)


def lifetime_problem(lifetime: float, maximum: int) -> str | None:
    """Why a token living `lifetime` seconds is refused, or None: the same words for the gateway
    and for `credit-gateway token`."""
    if lifetime <= maximum:
        return None
    return (f"the token would live {int(lifetime)} seconds, more than the maximum of {maximum} "
            f"(MAX_TOKEN_LIFETIME_SECONDS): ask for a token that expires sooner")


def _is_number(value: Any) -> bool:
    """PyJWT accepts any exp/iat that int() takes (a numeric string too); the lifetime needs numbers."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _optional_str(claims: dict[str, Any], claim: str, ok: Callable[[str], Any], expected: str) -> str | None:
    value = claims.get(claim)
    if value is None:
        return None
    if not isinstance(value, str) or not ok(value):
        raise _invalid_claim(claim, expected)
    return value


def _invalid_claim(claim: str, expected: str) -> AuthenticationError:
    return AuthenticationError("invalid_claim", f"the '{claim}' claim must be {expected}")


class TokenVerifier:
    """Verifies bearer tokens according to an `IdentityConfig`, and, once bound to a profile's
    `DepartmentRegistry` (`bound_to`; the application always binds it), checks the token's
    department and roles against it (SPEC 3.1).

    `verify` is synchronous; with a JWKS URL the first call (and one every five minutes) does
    a blocking HTTP fetch, so async callers should run it in a thread.
    """

    def __init__(self, config: IdentityConfig, departments: DepartmentRegistry | None = None) -> None:
        self.config = config
        self.departments = departments
        self._jwks: jwt.PyJWKClient | None = None
        self._key: bytes | RSAPublicKey | None = None
        if config.mode == "hs256":
            self._key = config.hs256_secret
        elif config.rs256_public_key_pem is not None:
            key = load_pem_public_key(config.rs256_public_key_pem)
            if not isinstance(key, RSAPublicKey) or key.key_size < MIN_RSA_KEY_BITS:
                raise ValueError(f"rs256_public_key_pem must be an RSA public key of at least {MIN_RSA_KEY_BITS} bits")
            self._key = key
        else:
            # The key set is cached for five minutes, and each token's key looked up in it: a key
            # the provider retires is refused once the set is refetched. (PyJWT's per-key cache,
            # `cache_keys`, keeps a key it once found for the life of the process: never use it.)
            self._jwks = jwt.PyJWKClient(config.jwks_url, cache_keys=False, lifespan=300, timeout=5)

    def bound_to(self, departments: DepartmentRegistry) -> "TokenVerifier":
        """This verifier (same keys, same JWKS cache) checking tokens against `departments`."""
        bound = object.__new__(TokenVerifier)
        bound.__dict__.update(self.__dict__)
        bound.departments = departments
        return bound

    def verify(self, authorization_header: str | None) -> Principal:
        """No header means the anonymous public; a header that fails any check is an error,
        never a silent downgrade to anonymous (the caller meant to be someone)."""
        if authorization_header is None:
            return Principal.anonymous()
        scheme, _, token = authorization_header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise AuthenticationError("invalid_header", "the Authorization header must be 'Bearer <token>'")
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthenticationError("malformed", "the token is too long")
        claims = self._decode(token)
        principal = principal_from_claims(claims)
        expires, issued = claims["exp"], claims.get("iat")
        if not _is_number(expires):
            raise _invalid_claim("exp", "a number")
        if issued is not None and not _is_number(issued):
            raise _invalid_claim("iat", "a number")
        lifetime = expires - (time.time() if issued is None else issued)
        problem = lifetime_problem(lifetime, self.config.max_lifetime_seconds)
        if problem:
            raise AuthenticationError("lifetime_too_long", problem, principal=principal)
        if self.departments is not None:
            try:
                self.departments.check(principal.department, principal.roles)
            except IdentityRefused as exc:
                raise AuthenticationError(exc.reason, exc.message, principal=principal) from None
        return principal

    def _decode(self, token: str) -> dict[str, Any]:
        cfg = self.config
        require = ["exp", "sub"] + (["iss"] if cfg.issuer else []) + (["aud"] if cfg.audience else [])
        try:
            key = self._jwks.get_signing_key_from_jwt(token) if self._jwks else self._key
            return jwt.decode(
                token, key, algorithms=[cfg.algorithm], issuer=cfg.issuer, audience=cfg.audience,
                leeway=cfg.leeway_seconds,
                options={"require": require, "enforce_minimum_key_length": True},
            )
        except jwt.PyJWTError as exc:
            raise _refusal(exc) from None


_CLAIM_TYPE_ERRORS = (("InvalidIssuedAtError", "iat", "a number"),
                      ("InvalidSubjectError", "sub", "a string"),
                      ("InvalidJTIError", "jti", "a string"))


def _refusal(exc: jwt.PyJWTError) -> AuthenticationError:
    """Map PyJWT's exceptions to our reasons. Order matters: several are subclasses of
    `DecodeError`. Messages are ours, not PyJWT's, so they stay stable and never echo input."""
    E = AuthenticationError
    if isinstance(exc, jwt.PyJWKClientConnectionError):
        return E("jwks_unavailable", "the identity provider's key set cannot be fetched", 503)
    if isinstance(exc, jwt.PyJWKClientError):
        if "Unable to find a signing key" in str(exc):
            return E("unknown_key", "the token's key id is not in the identity provider's key set")
        return E("jwks_unavailable", "the identity provider's key set is unusable", 503)
    if isinstance(exc, jwt.PyJWKSetError):
        return E("jwks_unavailable", "the identity provider's key set is unusable", 503)
    if isinstance(exc, jwt.InvalidSignatureError):
        return E("bad_signature", "the token's signature does not verify")
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return E("unsupported_algorithm", "the token is not signed with the accepted algorithm")
    if isinstance(exc, jwt.InvalidKeyError):
        return E("bad_signature", "the token's signing key is not acceptable")
    if isinstance(exc, jwt.ExpiredSignatureError):
        return E("expired", "the token has expired")
    if isinstance(exc, jwt.ImmatureSignatureError):
        return E("not_yet_valid", "the token is not valid yet (nbf or iat is in the future)")
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return E("missing_claim", f"the token lacks the required '{exc.claim}' claim")
    if isinstance(exc, jwt.InvalidIssuerError):
        return E("invalid_issuer", "the token was not issued by the accepted issuer")
    if isinstance(exc, jwt.InvalidAudienceError):
        return E("invalid_audience", "the token is not meant for this service")
    for error_name, claim, expected in _CLAIM_TYPE_ERRORS:
        if isinstance(exc, getattr(jwt.exceptions, error_name, ())):  # absent before PyJWT 2.10
            return _invalid_claim(claim, expected)
    # PyJWT reports a non-numeric exp/nbf as a DecodeError naming the claim in parentheses.
    claim = re.search(r"\((exp|nbf)\)", str(exc))
    if claim:
        return _invalid_claim(claim.group(1), "a number")
    return E("malformed", "the token is not a well-formed JWT")


def mint_token(secret: bytes, *, user: str, department: str | None, roles: list[str] | tuple[str, ...],
               subject: str | None = None, name: str | None = None, expires_in: int = 3600,
               now: float | None = None, departments: DepartmentRegistry | None = None,
               max_lifetime_seconds: int = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS) -> str:
    """Sign a development HS256 token. The claims go through the same checks as verification
    (with `departments`, the profile's registry too), with the same messages, so a token this
    mints is one the gateway accepts (and a typo fails here, not at request time). The subject
    code is signed in its normalised form."""
    if expires_in <= 0:
        raise ValueError("expires_in must be positive")
    problem = lifetime_problem(expires_in, max_lifetime_seconds)
    if problem:
        raise ValueError(problem)
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"sub": user, "roles": list(roles), "iat": issued, "exp": issued + expires_in}
    for claim, value in (("name", name), ("dept", department), ("subject", subject)):
        if value is not None:
            claims[claim] = value
    try:
        principal = principal_from_claims(claims)
        if departments is not None:
            departments.check(principal.department, principal.roles)
    except (AuthenticationError, IdentityRefused) as exc:
        raise ValueError(exc.message) from None
    if principal.subject_code is not None:
        claims["subject"] = principal.subject_code
    return jwt.encode(claims, secret, algorithm="HS256")


def add_token_command(subparsers: argparse._SubParsersAction, get_data_dir: Callable[[], Path],
                      departments: DepartmentRegistry | None = None,
                      get_max_lifetime: Callable[[], int] = lambda: DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
                      *, unavailable: str | None = None) -> argparse.ArgumentParser:
    """Add `token`: mint a development token with the data directory's secret.

    The handler is stored as `func` (call `args.func(args)`, it returns an exit code).
    `get_data_dir` is a callable so the data directory is resolved only when the command runs.
    With `departments` (the profile's registry) the command refuses what the gateway would
    refuse, and its help lists the real department codes. `unavailable`: why no token can be
    minted (the profile does not load); the command then says so and mints nothing.
    """
    if departments is not None:
        department_help = (f"department code (the 'dept' claim), one of the {departments.profile} profile's: "
                           f"{departments.describe()}")
    else:
        department_help = "department code (the 'dept' claim)"
    parser = subparsers.add_parser(
        "token", help="mint a development (HS256) bearer token",
        description="Mint a development HS256 token signed with DATA_DIR/jwt-secret (created on "
                    "first use) and print it to stdout. The gateway refuses a token whose department "
                    "is not in the profile, whose role does not fit its department, that lacks a name "
                    "(every token but a subject's own) or that lives longer than MAX_TOKEN_LIFETIME_SECONDS; "
                    "so does this command. Production verifies RS256 tokens from the identity provider "
                    "instead; these tokens are refused there.")
    parser.add_argument("--user", required=True, help="user id (the 'sub' claim)")
    parser.add_argument("--name", help="the querier's name, logged with every query (HC-23); required "
                                       "unless the token is a subject's own (--subject without --department)")
    parser.add_argument("--department", help=department_help)
    parser.add_argument("--role", dest="roles", action="append", default=[], metavar="ROLE",
                        help=f"role name, one of {', '.join(sorted(KNOWN_ROLES))}; repeat for several")
    parser.add_argument("--subject", metavar="CODE",
                        help="the caller's own verified subject code, when a person or organisation acts for itself")
    parser.add_argument("--expires-in", type=int, default=3600, metavar="SECONDS",
                        help="lifetime in seconds (default 3600; at most MAX_TOKEN_LIFETIME_SECONDS, "
                             f"default {DEFAULT_MAX_TOKEN_LIFETIME_SECONDS})")

    def run(args: argparse.Namespace) -> int:
        if unavailable:
            parser.error(unavailable)
        unknown = sorted(set(args.roles) - KNOWN_ROLES)
        if unknown:
            parser.error(f"unknown role(s) {', '.join(unknown)}: the gateway's roles are "
                         f"{', '.join(sorted(KNOWN_ROLES))}")
        try:
            max_lifetime = get_max_lifetime()
            problem = lifetime_problem(args.expires_in, max_lifetime)
            if problem:
                raise ValueError(problem)
            secret = load_or_create_dev_secret(get_data_dir())
            token = mint_token(secret, user=args.user, department=args.department, roles=args.roles,
                               subject=args.subject, name=args.name, expires_in=args.expires_in,
                               departments=departments, max_lifetime_seconds=max_lifetime)
        except ValueError as exc:
            parser.error(str(exc))
        print(token)
        return 0

    parser.set_defaults(func=run)
    return parser


async def bearer_principal(verifier, header: str | None, missing: str) -> Principal:
    """Who a REST route's `Authorization` header names. AuthenticationError when there is none
    (`missing` says which token the route needs) or it does not verify; verified off the event loop,
    as with JWKS the verifier may fetch keys."""
    if header is None:
        raise AuthenticationError("missing", missing)
    return await run_in_threadpool(verifier.verify, header)


def authentication_error_response(err: AuthenticationError) -> JSONResponse:
    """A GraphQL-shaped error so clients handle it like any other error, plus the RFC 6750
    challenge on 401 so generic HTTP clients know to fetch a new token."""
    headers = {}
    if err.status == 401:
        error = "invalid_request" if err.reason == "invalid_header" else "invalid_token"
        description = re.sub(r'[^\x20-\x7e]|["\\]', "", err.message)
        headers["WWW-Authenticate"] = f'Bearer error="{error}", error_description="{description}"'
    return error_response(err.status, err.message, "UNAUTHENTICATED", headers=headers, reason=err.reason)
