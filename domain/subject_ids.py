"""Subjects' opaque ids: a stable key that never reveals, and is never confused with, a code (SPEC 3.1).

For the public a person's code is masked (`110105********002X`), and many persons share a masked
code, so a masked value is never a key: federation and cache keys use this id instead (SPEC 3.1,
last paragraph; SPEC 4, Federation). The id is the code encrypted with AES-SIV, a deterministic
authenticated encryption, under a key of the deployment:

- stable: the same code gives the same id on every worker and after restarts (same key);
- opaque: without the key an id tells nothing about the code (not even a shared prefix);
- unforgeable: an id not made with the key fails authentication, so resolving one needs no
  lookup table and no new column, and a made-up or altered id is refused, never "not found".

The key is 64 random bytes (AES-256-SIV): configured (`SUBJECT_ID_KEY`, 128 hex characters, the
same on every host of a deployment) or generated into the data folder on first start, like the
development token secret. Changing it changes every id (routers and caches must forget theirs).
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from domain.secret_files import create_once, warn_if_readable

log = logging.getLogger("gateway")

KEY_BYTES = 64
KEY_FILE = "subject-id-key"
PREFIX = "sj1_"  # "subject id, version 1": says what it is, and which scheme made it
# Binds each ciphertext to this use: the key could not turn another kind of value into a subject id.
_ASSOCIATED = [b"credit-gateway/subject-id/v1"]
_MAX_ID_LENGTH = 128  # a real id is ~50 characters; anything much longer is refused before decoding


class InvalidSubjectId(ValueError):
    """Not an id this deployment made: malformed, altered, forged, or made with another key."""


class SubjectIds:
    """Turns codes into ids and back, with one deployment key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a subject id key has {KEY_BYTES} bytes, got {len(key)}")
        self._siv = AESSIV(key)

    @classmethod
    def from_hex(cls, text: str) -> "SubjectIds":
        try:
            key = bytes.fromhex(text.strip())
        except ValueError:
            raise ValueError(f"a subject id key is {KEY_BYTES * 2} hex characters "
                             f"(e.g. `openssl rand -hex {KEY_BYTES}`)") from None
        return cls(key)

    def id_of(self, code: str) -> str:
        sealed = self._siv.encrypt(code.encode("utf-8"), _ASSOCIATED)
        return PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    def code_of(self, subject_id: str) -> str:
        """The code an id was made from; InvalidSubjectId (saying why) if this deployment did not make it."""
        if not isinstance(subject_id, str):
            raise InvalidSubjectId(f"a subject id is a string, got {type(subject_id).__name__}")
        if not subject_id.startswith(PREFIX) or len(subject_id) > _MAX_ID_LENGTH:
            raise InvalidSubjectId(f"a subject id starts with {PREFIX!r} and has at most {_MAX_ID_LENGTH} "
                                   "characters: use the `id` this gateway returned, unchanged")
        body = subject_id[len(PREFIX):]
        try:
            sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            if base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii") != body:
                raise binascii.Error("not canonical base64url")
            return self._siv.decrypt(sealed, _ASSOCIATED).decode("utf-8")
        except (binascii.Error, ValueError, InvalidTag):
            raise InvalidSubjectId("this subject id was not issued by this gateway (altered, made up, or from "
                                   "another deployment): use the `id` this gateway returned, unchanged") from None

    @classmethod
    def for_deployment(cls, configured: str | None, data_dir: Path) -> "SubjectIds":
        """The configured key (hex), or the one in the data folder, created on first start."""
        if configured:
            return cls.from_hex(configured)
        return cls(load_or_create_key(data_dir))


def load_or_create_key(data_dir: Path) -> bytes:
    """The key in `data_dir/subject-id-key`, created (0600, hex) on first start.

    Written to a temporary file and hard-linked into place, so workers starting together never
    see a half-written key and never replace each other's: they all end up with the same ids.
    """
    path = data_dir / KEY_FILE
    create_once(path, (secrets.token_bytes(KEY_BYTES).hex() + "\n").encode("ascii"))
    warn_if_readable(path, "anyone can turn subject ids back into codes")
    try:
        key = bytes.fromhex(path.read_text("ascii").strip())
    except ValueError as exc:
        raise ValueError(f"{path} does not hold a hex-encoded subject id key") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} holds {len(key)} bytes; a subject id key has {KEY_BYTES}")
    return key
