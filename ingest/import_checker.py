"""Reading and checking an import's rows: in the importing process, or in a second one for a large file.

Checking a row (`domain.submissions`) is pure Python and costs more than writing it with COPY.
For a large file a child process reads and checks the rows chunk by chunk while the importing
process stores the chunks before them, so the two overlap on two cores. A small file (or the
HTTP upload) is read in the importing process: the same chunks, the same results.

The child is a fresh interpreter (`python -m ingest.import_checker`: forking a process that
runs an event loop and database threads is unsafe) importing only the reading and checking
modules. It sends pickled chunks through its standard output; a full pipe makes it wait, so it
runs at most a chunk or two ahead, and it ends when the pipe closes: a killed import leaves no
process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Iterator

from domain.catalogue import JurisdictionProfile, load_profile
from domain.enums import SubmissionChannel
from domain.problems import Problem
from domain.submissions import CheckedSubmission, RecordSubmission, check_batch, validate
from ingest.spreadsheets import Column, SheetRow, SpreadsheetError, layout, read_rows

CHANNEL = SubmissionChannel.BATCH
SOURCE_ROOT = str(Path(__file__).resolve().parent.parent)  # where `gateway` is found, installed or not
FRAME_LIMIT = 1 << 20  # the pipe's read buffer: a chunk or two ahead, so the child checks while we write

Located = tuple[str, str, Problem]  # (column label, column key, problem)


@dataclass
class CheckedChunk:
    """One chunk of rows, checked: the writer stores `checked` and reports `refused` as they are."""

    numbers: list[int]  # every row of the chunk, in file order
    refused: dict[int, list[Located]]  # rows with unreadable cells (never sent on), with every fault in them
    checked: list[CheckedSubmission]  # the other rows, checked as one call (`check_batch`)

    def packed(self) -> tuple:
        return self.numbers, self.refused, [c.packed() for c in self.checked]

    @classmethod
    def unpacked(cls, values: tuple) -> "CheckedChunk":
        numbers, refused, checked = values
        return cls(numbers, refused, [CheckedSubmission.unpacked(c) for c in checked])


@dataclass(frozen=True)
class Checking:
    """What checking an import's rows depends on: the same for every chunk of the file."""

    path: Path
    profile: JurisdictionProfile
    item_code: str
    department: str
    today: dt.date
    chunk_size: int

    def chunks(self) -> Iterator[CheckedChunk]:
        """Read and check the file here, chunk by chunk (raises SpreadsheetError)."""
        item = self.profile.items[self.item_code]
        columns = layout(item)
        by_key, by_field = {c.key: c for c in columns}, fields_of(columns)
        chunk: list[SheetRow] = []
        for row in read_rows(self.path, item):
            chunk.append(row)
            if len(chunk) >= self.chunk_size:
                yield self._check(chunk, by_key, by_field)
                chunk = []
        if chunk:
            yield self._check(chunk, by_key, by_field)

    def _check(self, rows: list[SheetRow], by_key: dict[str, Column], by_field: dict[str, Column]) -> CheckedChunk:
        """Rows with unreadable cells are not sent on: they are refused here with whatever else
        `validate` finds in them; the others are checked together, as one call."""
        refused, sent = {}, []
        for row in rows:
            submission = _submission(row, self.item_code, by_key)
            if row.problems:
                flagged = {p.field for _, _, p in row.problems}
                found = validate(submission, profile=self.profile, department=self.department, today=self.today,
                                 channel=CHANNEL)
                refused[row.number] = row.problems + [(*locate(p, by_field), p) for p in found
                                                      if p.field not in flagged]
            else:
                sent.append(submission)
        checked = check_batch(sent, profile=self.profile, department=self.department, channel=CHANNEL,
                              today=self.today)
        return CheckedChunk([r.number for r in rows], refused, checked)

    def can_check_in_child(self) -> bool:
        """Whether the profile can be loaded again by name in a child (a shipped or cached profile)."""
        try:
            return load_profile(self.profile.code) is self.profile
        except Exception:  # a profile built in memory (tests): check here
            return False


def _submission(row: SheetRow, item_code: str, by_key: dict[str, Column]) -> RecordSubmission:
    common: dict[str, object] = {}
    content: dict[str, object] = {}
    for key, value in row.values.items():
        column = by_key.get(key)
        if column is None:
            content[key] = value  # a column the template does not have: refused by the pipeline
        elif column.content_field:
            content[column.content_field] = value
        else:
            common[column.target] = value
    return RecordSubmission(
        subject_code=common.get("subject_code"), catalogue_item=item_code,
        document_number=common.get("document_number"), issuing_authority=common.get("issuing_authority"),
        decided_on=common.get("decided_on"), subject_name=common.get("subject_name"),
        act_ended_on=common.get("act_ended_on"), valid_from=common.get("valid_from"),
        valid_until=common.get("valid_until"), content=content, consent_ref=common.get("consent_ref"),
        row=row.number)


def fields_of(columns: tuple[Column, ...]) -> dict[str, Column]:
    """Columns by the field names problems use: `subjectCode`, and `content.fineAmount` too."""
    return {**{c.key: c for c in columns}, **{f"content.{c.content_field}": c for c in columns if c.content_field}}


def locate(problem: Problem, by_field: dict[str, Column]) -> tuple[str, str]:
    """(column label, column key) of a pipeline problem; a column the template lacks is named by
    its header, which is the content key the reader gave it."""
    name = problem.field or ""
    column = by_field.get(name)
    if column is not None:
        return column.label, column.key
    if name.startswith("content.") and len(name) > len("content."):
        return name[len("content."):], name
    return "", name


# ---------------------------------------------------------------------------------- child process


async def checked_chunks(checking: Checking, *, child: bool) -> AsyncIterator[CheckedChunk]:
    """The file's checked chunks, in order: read and checked in a child process (`child`), else here."""
    if not child:
        for chunk in checking.chunks():
            yield chunk
        return
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ingest.import_checker", str(checking.path), checking.profile.code,
        checking.item_code, checking.department, checking.today.isoformat(), str(checking.chunk_size),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, limit=FRAME_LIMIT, env={
            **os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (SOURCE_ROOT, os.environ.get("PYTHONPATH"))))})
    try:
        while True:
            try:
                size = int.from_bytes(await process.stdout.readexactly(8), "big")
                kind, payload = pickle.loads(await process.stdout.readexactly(size))
            except asyncio.IncompleteReadError:
                code = await process.wait()
                raise RuntimeError(f"the process checking the rows ended unexpectedly (exit code {code})") from None
            if kind == "chunk":
                yield CheckedChunk.unpacked(payload)
            elif kind == "end":
                return
            elif kind == "unreadable":
                raise SpreadsheetError(payload)
            else:
                raise RuntimeError(f"checking the rows failed in the child process: {payload}")
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await process.wait()


def _send(out, kind: str, payload: object) -> None:
    """One frame: its length, then the pickled (kind, payload). A full pipe blocks: the writer
    is behind, and the child waits; a closed one (the importing process died) ends the child."""
    frame = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(frame).to_bytes(8, "big"))
    out.write(frame)
    out.flush()


def main(argv: list[str]) -> int:
    """The child: `python -m ingest.import_checker PATH PROFILE ITEM DEPARTMENT TODAY CHUNK_SIZE`."""
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the frames
    path, profile_code, item_code, department, today, chunk_size = argv
    try:
        checking = Checking(Path(path), load_profile(profile_code), item_code, department,
                            dt.date.fromisoformat(today), int(chunk_size))
        for chunk in checking.chunks():
            _send(out, "chunk", chunk.packed())
        _send(out, "end", None)
    except BrokenPipeError:  # the importing process is gone, and with it the import
        return 1
    except SpreadsheetError as exc:
        _send(out, "unreadable", str(exc))
    except Exception as exc:  # reported by the importing process, which decides what to do
        _send(out, "failed", f"{type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
