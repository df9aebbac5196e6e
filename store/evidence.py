"""Evidence files of objections (证明材料; HC-29, XZ-22): their bytes on disk and their rows.

The bytes are kept in the evidence folder under their SHA-256 (`ab/abcdef…`), written to a
temporary file in that folder and renamed into place, so a reader never meets half a file and the
same content uploaded twice is kept once. The type is decided by the content (magic bytes), never
by the name or the declared type alone: PDF, JPEG, PNG, and OFD (GB/T 33190, a ZIP package whose
root holds OFD.xml). The rows say who uploaded what for whom and which objection case cites it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from store.models import EvidenceFile

EV = EvidenceFile.__table__

PDF, JPEG, PNG, OFD = "application/pdf", "image/jpeg", "image/png", "application/ofd"
MEDIA_TYPES = (PDF, JPEG, PNG, OFD)
SUFFIXES = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", OFD: ".ofd"}
_MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
_ZIP = b"PK\x03\x04"

_INSERT = insert(EV).returning(EV.c.id)
_BY_ID = select(EV).where(EV.c.id == bindparam("evidence_id"))
_BY_IDS = select(EV).where(EV.c.id.in_(bindparam("evidence_ids", expanding=True)))
_OF_CASES = select(EV).where(EV.c.case_id.in_(bindparam("case_ids", expanding=True))).order_by(EV.c.id)
_ATTACH = (update(EV).where(EV.c.id.in_(bindparam("evidence_ids", expanding=True)), EV.c.case_id.is_(None))
           .values(case_id=bindparam("case_id")))


def media_type_of(path: Path) -> str | None:
    """The allowed type the file's content is, or None (the declared type and the name are not trusted)."""
    with path.open("rb") as handle:
        head = handle.read(16)
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head.startswith(_ZIP):
        try:
            with zipfile.ZipFile(path) as package:
                names = {name.lower() for name in package.namelist()}
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        return OFD if "ofd.xml" in names else None
    return None


@dataclass(frozen=True)
class Spooled:
    """An upload written to a temporary file inside the evidence folder, hashed as it was written."""

    path: Path
    sha256: str
    size: int


class EvidenceFolder:
    """Where the bytes live: content-addressed, written atomically (temporary file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def spool_target(self) -> tuple[BinaryIO, Path]:
        """A new temporary file in the folder (same file system as the final place: the rename is atomic)."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=incoming, prefix="upload-", delete=False)
        return handle, Path(handle.name)

    def keep(self, spooled: Spooled) -> Path:
        """Move a checked upload into its place (the content already there stays: same hash, same bytes)."""
        target = self.path_of(spooled.sha256)
        if target.is_file():
            spooled.path.unlink(missing_ok=True)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with spooled.path.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(spooled.path, target)
        return target


class Hasher:
    """SHA-256 and size of what passes through `write`, into `handle`."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.digest, self.size = handle, hashlib.sha256(), 0

    def write(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self.size += len(chunk)
        self.handle.write(chunk)

    def flush(self) -> None:
        self.handle.flush()


async def insert_evidence(connection: AsyncConnection, **values) -> int:
    return (await connection.execute(_INSERT, values)).scalar_one()


async def evidence_row(connection: AsyncConnection, evidence_id: int) -> Row | None:
    return (await connection.execute(_BY_ID, {"evidence_id": evidence_id})).one_or_none()


async def evidence_rows(connection: AsyncConnection, evidence_ids: list[int]) -> list[Row]:
    if not evidence_ids:
        return []
    return list((await connection.execute(_BY_IDS, {"evidence_ids": sorted(set(evidence_ids))})).all())


async def evidence_of_cases(connection: AsyncConnection, case_ids: list[int]) -> dict[int, list[Row]]:
    found: dict[int, list[Row]] = {i: [] for i in case_ids}
    if case_ids:
        for row in (await connection.execute(_OF_CASES, {"case_ids": sorted(set(case_ids))})).all():
            found[row.case_id].append(row)
    return found


async def attach(connection: AsyncConnection, case_id: int, evidence_ids: list[int]) -> int:
    """Cite the files in the case; only files no case cites yet (the count says how many were)."""
    if not evidence_ids:
        return 0
    result = await connection.execute(_ATTACH, {"evidence_ids": sorted(set(evidence_ids)), "case_id": case_id})
    return result.rowcount
