"""Secrets a deployment generates for itself on first start (the development JWT secret, the key of
subjects' ids, the key that signs the logs' checkpoints), kept in files only their owner may read."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)


def create_once(path: Path, content: bytes) -> None:
    """Write `content` to `path` (mode 0600) unless it exists.

    Written to a temporary file and hard-linked into place, so processes starting together never
    see a half-written secret and never replace each other's: they all end up with the same one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask could only narrow it, but be explicit
        os.write(fd, content)
        os.fsync(fd)
        os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race: use its secret
    finally:
        tmp.unlink(missing_ok=True)


def warn_if_readable(path: Path, what_it_allows: str) -> None:
    """Log a warning when others than the owner may read the secret at `path`."""
    if path.stat().st_mode & 0o077:
        log.warning("%s is readable by other users; with it %s (chmod 600 it)", path, what_it_allows)
