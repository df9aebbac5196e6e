"""`POST /import`: a department application uploads a spreadsheet over HTTP (批量上传, XZ-12).

The same import as `credit-gateway import`, for systems that cannot reach the operators' shell.
The caller is authenticated like `/graphql` and must be a department's officer or submitter; its
department is the provider. The body is streamed to a temporary file and refused with 413 as
soon as it passes the limit, so an oversized or endless upload never fills memory or disk; only
then is the multipart form parsed (from that file).

Form fields: `file` (.xlsx or .csv), `catalogueItem` (or `item`, as the command line calls it; may
be omitted for a template that names its item), `mode` (`BEST_EFFORT`, the default, or
`ALL_OR_NOTHING`); any other field is refused, naming the fields. The answer lists the counts,
the first 1,000 row-level errors and the outcome of each row (the first 10,000).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from pathlib import Path
from typing import AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.identity import AuthenticationError, authentication_error_response
from gateway.responses import error_response as _error
from ingest.spreadsheet_import import ImportAborted, ImportReport, ItemNotNamed, NotAProvider, import_file
from ingest.spreadsheets import CSV_SUFFIXES, XLSX_SUFFIXES, SpreadsheetError

log = logging.getLogger("gateway.upload")

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_ERRORS = 1_000
MAX_OUTCOMES = 10_000
# Smaller chunks than the command line's: each chunk's synchronous work holds the event loop, and a
# server has other requests to answer meanwhile. Measured during a 20,000-row upload: /healthz p99
# 122 ms with chunks of 1,000, 23 ms with chunks of 200 (the import took ~10 % longer). Checked in this
# process (parallel=False): a server does not start a process per upload.
UPLOAD_CHUNK = 200
SUBMITTING_ROLES = frozenset({"officer", "submitter"})
MODES = ("BEST_EFFORT", "ALL_OR_NOTHING")
# `item` is the command line's name for catalogueItem (`import FILE --item ITEM`): both are taken.
FORM_FIELDS = frozenset({"file", "catalogueItem", "item", "mode"})


def max_upload_bytes(settings) -> int:
    """`Settings.max_upload_bytes` (MAX_UPLOAD_BYTES) when the settings have it, else 20 MB."""
    value = getattr(settings, "max_upload_bytes", None) or (getattr(settings, "extra", None) or {}).get(
        "max_upload_bytes")
    return int(value) if value else DEFAULT_MAX_BYTES


class _TooLarge(Exception):
    pass


async def _spool(request: Request, target, limit: int) -> None:
    """Copy the body to `target`, stopping (without reading further) once it passes `limit`."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        target.write(chunk)
    target.flush()


async def _replay(handle, block: int = 1 << 16) -> AsyncIterator[bytes]:
    handle.seek(0)
    while chunk := handle.read(block):
        yield chunk


def upload_route(settings, *, path: str = "/import", max_bytes: int | None = None) -> Route:
    """The route the application mounts; the limit is read from `settings` once (or given)."""
    limit = max_bytes or max_upload_bytes(settings)

    async def endpoint(request: Request) -> JSONResponse:
        gateway = request.app.state.gateway
        header = request.headers.get("authorization")
        if header is None:
            return authentication_error_response(AuthenticationError(
                "missing", "uploading needs a department token: Authorization: Bearer <token>"))
        try:
            principal = await run_in_threadpool(gateway.verifier.verify, header)  # JWKS may fetch keys
        except AuthenticationError as err:
            return authentication_error_response(err)
        if not principal.department or not SUBMITTING_ROLES & set(principal.roles):
            return _error(403, "uploading records needs a department token with the role officer or submitter",
                          "FORBIDDEN")
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return _error(415, "send the file as multipart/form-data with the fields file, catalogueItem, mode",
                          "UNSUPPORTED_MEDIA_TYPE")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            return _too_large(limit)
        async with contextlib.AsyncExitStack() as stack:
            body = stack.enter_context(tempfile.TemporaryFile())
            try:
                await _spool(request, body, limit)
                form = await MultiPartParser(request.headers, _replay(body), max_files=1, max_fields=10).parse()
            except _TooLarge:
                return _too_large(limit)
            except ClientDisconnect:
                return _error(400, "the upload was interrupted", "BAD_UPLOAD")
            except MultiPartException as exc:
                return _error(400, f"malformed multipart form: {exc.message}", "BAD_UPLOAD")
            stack.push_async_callback(form.close)
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return _error(400, "the form has no file field with a file in it", "BAD_UPLOAD")
            suffix = Path(upload.filename).suffix.lower()
            if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
                return _error(400, f"{upload.filename}: only .xlsx and .csv files can be imported", "BAD_UPLOAD")
            unknown = sorted(set(form.keys()) - FORM_FIELDS)
            if unknown:  # a misspelt field would otherwise be ignored without a word
                return _error(400, f"unknown form field(s) {', '.join(unknown)}; the fields are "
                                   f"{', '.join(sorted(FORM_FIELDS))}", "BAD_UPLOAD")
            mode = str(form.get("mode") or "BEST_EFFORT").strip().upper()
            if mode not in MODES:
                return _error(400, f"mode must be BEST_EFFORT or ALL_OR_NOTHING, not {mode!r}", "BAD_UPLOAD")
            named_items = {str(form.get(f) or "").strip() for f in ("catalogueItem", "item")} - {""}
            if len(named_items) > 1:
                return _error(400, "catalogueItem and item name different items; give one", "BAD_UPLOAD")
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="credit-upload-")))
            saved = folder / _local_name(upload.filename, suffix)
            with saved.open("wb") as out:
                await run_in_threadpool(shutil.copyfileobj, upload.file, out)
            body.close()
            try:
                named = next(iter(named_items), None)
                report = await import_file(
                    gateway.engine, saved, profile=gateway.profile, department=principal.department,
                    user=principal.user, item=named, all_or_nothing=mode == "ALL_OR_NOTHING",
                    progress=False, report_path=folder / "errors.csv", max_errors=MAX_ERRORS,
                    keep_outcomes=MAX_OUTCOMES, chunk_size=UPLOAD_CHUNK, parallel=False,
                    today=gateway.today(), now=gateway.now)
            except ItemNotNamed as exc:
                return _error(400, f"{exc} (catalogueItem)", "BAD_UPLOAD")
            except NotAProvider as exc:
                return _error(403, str(exc), "FORBIDDEN")
            except SpreadsheetError as exc:
                return _error(422, str(exc), "BAD_UPLOAD")
            except ImportAborted as exc:
                return _error(409, f"{exc}; send the file again", "CONFLICT")
            log.info("upload by %s (%s): %s", principal.user, principal.department, report.summary())
            return JSONResponse(_answer(report, upload.filename))

    return Route(path, endpoint, methods=["POST"], name="import")


def _local_name(filename: str, suffix: str) -> str:
    """The sent file's own name (its last part, printable characters only), so that error messages and
    the error report name the file the department sent, never a path of ours."""
    name = "".join(c for c in Path(filename.replace("\\", "/")).name if c.isprintable() and c not in '/:*?"<>|')
    return name[-120:] if name.strip(". ") else f"upload{suffix}"


def _too_large(limit: int) -> JSONResponse:
    return _error(413, f"the upload is larger than the limit of {limit:,} bytes; split the file", "PAYLOAD_TOO_LARGE",
                  maxBytes=limit)


def _answer(report: ImportReport, filename: str) -> dict:
    return {
        "file": filename, "catalogueItem": report.item, "mode": report.mode,
        "rows": report.rows, "stored": report.stored, "unchanged": report.unchanged,
        "rejected": report.rejected, "notStored": report.not_stored,
        "errors": report.errors, "errorsTruncated": report.problem_count > len(report.errors),
        "problemCount": report.problem_count,
        "outcomes": report.outcomes, "outcomesTruncated": report.rows > len(report.outcomes),
    }
