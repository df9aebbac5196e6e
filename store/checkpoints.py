"""Signed checkpoints of the log chains, kept outside the database (SPEC 3.6, HC-35, XZ-19).

A hash chain shows an edit, but not a chain that was cut short (the newest entries deleted) or
rewritten from some entry on with every later hash recomputed: someone with database access can
do both and leave a chain that links. A checkpoint is the chain's head — table, sequence number,
entry hash, time — signed with an Ed25519 key that lives in a file, not in the database, and
appended to a JSON Lines file per chain in a directory outside the database. `verify-log` then
requires every checkpoint's entry to be in the chain with exactly that hash: an entry beyond the
stored head is a truncation, a different hash is a rewrite. `export-log` signs the anchor it
leaves (kind "anchor"), so an anchor set by hand is caught too.

Files, in the checkpoint directory (default: DATA_DIR/log-checkpoints):
  query_log.jsonl, submission_log.jsonl   one signed checkpoint per line, only ever appended
The key (default: DATA_DIR/log-checkpoint-key, 0600, PEM) and its public half beside it
(log-checkpoint-key.pub, PEM), which verifiers need and nothing else.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.secret_files import create_once, warn_if_readable

_CONTEXT = b"credit-gateway log checkpoint v1\n"  # what is signed starts with this: no other use of the key matches
KINDS = ("head", "anchor")


def public_key_path(key_path: Path) -> Path:
    return key_path.with_name(key_path.name + ".pub")


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_or_create_key(key_path: Path) -> Ed25519PrivateKey:
    """The signing key in `key_path`, created (PEM, 0600) with its public half beside it on first use.

    Written to a temporary file and hard-linked into place, like the development JWT secret, so
    workers starting together end up with the same key.
    """
    key_path.parent.mkdir(parents=True, exist_ok=True)
    if not key_path.exists():
        create_once(key_path, Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    warn_if_readable(key_path, "anyone can sign log checkpoints")
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{key_path} does not hold an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{key_path} holds a {type(key).__name__}; log checkpoints are signed with Ed25519")
    public = public_key_path(key_path)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    if not public.exists() or public.read_bytes() != pem:
        tmp = public.with_name(f".{public.name}.{os.getpid()}.{secrets.token_hex(4)}")
        tmp.write_bytes(pem)
        os.chmod(tmp, 0o644)
        os.replace(tmp, public)
    return key


def load_public_keys(paths: Iterable[Path]) -> dict[str, Ed25519PublicKey]:
    """Verifiers' keys by key id (several: keys rotated, or one per host)."""
    keys = {}
    for path in paths:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{path} is not an Ed25519 public key")
        keys[key_id(key)] = key
    return keys


@dataclass(frozen=True)
class Checkpoint:
    table: str
    kind: str  # "head": the chain reached this entry; "anchor": entries up to it were exported and purged
    seq: int
    hash: str
    at: str  # when it was signed, UTC ISO 8601
    key: str = ""
    line: int = 0  # where it was read (for messages)

    def signed_bytes(self) -> bytes:
        body = {"table": self.table, "kind": self.kind, "seq": self.seq, "hash": self.hash, "at": self.at,
                "key": self.key}
        return _CONTEXT + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


class CheckpointSink:
    """Appends signed checkpoints to DIR/<table>.jsonl: one write per line (O_APPEND, so workers
    sharing the directory never interleave within a line), flushed to disk before returning."""

    def __init__(self, directory: Path, key: Ed25519PrivateKey) -> None:
        self.directory = directory
        self.key = key
        self.key_id = key_id(key.public_key())
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_paths(cls, directory: Path, key_path: Path) -> "CheckpointSink":
        return cls(directory, load_or_create_key(key_path))

    def write(self, table: str, seq: int, entry_hash: str, kind: str = "head",
              now: dt.datetime | None = None) -> Checkpoint:
        moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        checkpoint = Checkpoint(table, kind, int(seq), entry_hash, moment.isoformat(timespec="microseconds"),
                                self.key_id)
        signature = base64.b64encode(self.key.sign(checkpoint.signed_bytes())).decode("ascii")
        line = json.dumps({"table": table, "kind": kind, "seq": checkpoint.seq, "hash": entry_hash,
                           "at": checkpoint.at, "key": self.key_id, "signature": signature},
                          sort_keys=True, separators=(",", ":")) + "\n"
        with self._lock:
            fd = os.open(self.directory / f"{table}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
        return checkpoint


@dataclass(frozen=True)
class BadCheckpoint:
    line: int
    message: str


def read_checkpoints(directory: Path, table: str,
                     keys: dict[str, Ed25519PublicKey]) -> tuple[list[Checkpoint], list[BadCheckpoint]]:
    """Every checkpoint of `table` in `directory` whose signature verifies, and the lines that do not."""
    path = directory / f"{table}.jsonl"
    good: list[Checkpoint] = []
    bad: list[BadCheckpoint] = []
    if not path.exists():
        return good, bad
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, 1):
            if not text.strip():
                continue
            try:
                raw = json.loads(text)
                checkpoint = Checkpoint(str(raw["table"]), str(raw["kind"]), int(raw["seq"]), str(raw["hash"]),
                                        str(raw["at"]), str(raw["key"]), number)
                signature = base64.b64decode(raw["signature"], validate=True)
            except (ValueError, KeyError, TypeError):
                bad.append(BadCheckpoint(number, f"{path}:{number} is not a checkpoint line"))
                continue
            key = keys.get(checkpoint.key)
            if key is None:
                bad.append(BadCheckpoint(number, f"{path}:{number} is signed by key {checkpoint.key}, which is not "
                                                 "among the public keys given (--checkpoint-key)"))
                continue
            try:
                key.verify(signature, checkpoint.signed_bytes())
            except InvalidSignature:
                bad.append(BadCheckpoint(number, f"{path}:{number}: the signature does not verify: the line was "
                                                 "forged or altered"))
                continue
            if checkpoint.table != table or checkpoint.kind not in KINDS:
                bad.append(BadCheckpoint(number, f"{path}:{number} is a checkpoint of {checkpoint.table} "
                                                 f"({checkpoint.kind}), not of {table}"))
                continue
            good.append(checkpoint)
    return good, bad
