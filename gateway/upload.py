"""`POST /import`: a department application uploads a spreadsheet over HTTP (批量上传, XZ-12).

The same import as `credit-gateway import`, for systems that cannot reach the operators' shell, run
in the background (issue 14): the upload is checked (token, form, file type, catalogue item, the
file's header), kept, and answered at once with 202 and the job (`ingest.import_jobs`), whose
progress and result are read with `GET /import/jobs/{id}` or `importJob(id)`, and whose row-level
report is downloaded from `GET /import/jobs/{id}/errors.csv`. The caller is authenticated like
`/graphql` and must be a department's officer or submitter; its department is the provider. The
body is streamed to a temporary file and refused with 413 as soon as it passes the limit, so an
oversized or endless upload never fills memory or disk; only then is the multipart form parsed.

Form fields: `file` (.xlsx or .csv), `catalogueItem` (or `item`, as the command line calls it; may
be omitted for a template that names its item), `mode` (`BEST_EFFORT`, the default, or
`ALL_OR_NOTHING`); any other field is refused, naming the fields.
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
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from gateway.disconnects import log_gone
from gateway.identity import AuthenticationError, authentication_error_response, bearer_principal
from gateway.responses import error_response as _error
from ingest.import_jobs import JobState, report_name
from ingest.spreadsheet_import import ItemNotNamed, NotAProvider, item_of
from ingest.spreadsheets import CSV_SUFFIXES, XLSX_SUFFIXES, SpreadsheetError, check_header
from resolvers.import_jobs import job_for

log = logging.getLogger("gateway.upload")

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
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
        try:
            principal = await bearer_principal(gateway.verifier, request.headers.get("authorization"),
                                               "uploading needs a department token: Authorization: Bearer <token>")
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
            except ClientDisconnect:  # no one is left to answer: one line in the log
                log_gone("before its upload was read", path)
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
            named = next(iter(named_items), None)
            try:  # what can be refused before anything is stored is refused now, as before
                item = await run_in_threadpool(item_of, saved, gateway.profile, principal.department, named)
                await run_in_threadpool(check_header, saved, item)
            except ItemNotNamed as exc:
                return _error(400, f"{exc} (catalogueItem)", "BAD_UPLOAD")
            except NotAProvider as exc:
                return _error(403, str(exc), "FORBIDDEN")
            except SpreadsheetError as exc:
                return _error(422, str(exc), "BAD_UPLOAD")
            job = await gateway.imports.accept(saved, file_name=saved.name, department=principal.department,
                                               user=principal.user, item=item.code, mode=mode, today=gateway.today())
            log.info("upload by %s (%s): %s accepted as import job %s", principal.user, principal.department,
                     saved.name, job.public_id)
            return JSONResponse(job_answer(job), status_code=202, headers={
                "Location": job_link(job), "Retry-After": "1", "Cache-Control": "no-store"})

    return Route(path, endpoint, methods=["POST"], name="import")


def _local_name(filename: str, suffix: str) -> str:
    """The sent file's own name (its last part, printable characters only), so that error messages and
    the error report name the file the department sent, never a path of ours."""
    name = "".join(c for c in Path(filename.replace("\\", "/")).name if c.isprintable() and c not in '/:*?"<>|')
    return name[-120:] if name.strip(". ") else f"upload{suffix}"


def _too_large(limit: int) -> JSONResponse:
    return _error(413, f"the upload is larger than the limit of {limit:,} bytes; split the file", "PAYLOAD_TOO_LARGE",
                  maxBytes=limit)


def job_link(job) -> str:
    return f"/import/jobs/{job.public_id}"


def job_answer(job) -> dict:
    """A job as `POST /import` and `GET /import/jobs/{id}` show it (the same fields as `importJob(id)`)."""
    ended = job.state in (JobState.SUCCEEDED.value, JobState.FAILED.value)
    report = Path(job.folder) / report_name(job.file_name)
    return {
        "id": job.public_id, "state": job.state, "file": job.file_name, "catalogueItem": job.catalogue_item,
        "mode": job.mode, "department": job.department_code, "rowsTotal": job.rows_total, "rowsDone": job.rows_done,
        "stored": job.stored, "unchanged": job.unchanged, "rejected": job.rejected, "notStored": job.not_stored,
        "problemCount": job.problem_count, "error": job.error, "attempts": job.attempts,
        "createdAt": _instant(job.created_at), "startedAt": _instant(job.started_at),
        "finishedAt": _instant(job.finished_at),
        "links": {"self": job_link(job),
                  "errorReport": f"{job_link(job)}/errors.csv" if ended and report.is_file() else None},
    }


def _instant(value) -> str | None:
    return value.isoformat() if value is not None else None


def import_job_routes() -> list[Route]:
    """`GET /import/jobs/{id}` (the job, as JSON) and `GET /import/jobs/{id}/errors.csv` (its row-level
    report): for the department that sent the file and the credit centre; anyone else gets 404."""

    async def readable_job(request: Request):
        """(the job, None), or (None, the refusal: 401, or 404 as for a job that does not exist)."""
        gateway = request.app.state.gateway
        try:
            principal = await bearer_principal(gateway.verifier, request.headers.get("authorization"),
                                               "import jobs are read with a department token: "
                                               "Authorization: Bearer <token>")
        except AuthenticationError as err:
            return None, authentication_error_response(err)
        job = await job_for(gateway.engine, principal, gateway.profile, request.path_params["job"])
        if job is None:
            return None, _error(404, "no such import job (or not one your department sent)", "NOT_FOUND")
        return job, None

    async def status(request: Request) -> Response:
        job, refusal = await readable_job(request)
        return refusal or JSONResponse(job_answer(job), headers={"Cache-Control": "no-store"})

    async def errors(request: Request) -> Response:
        job, refusal = await readable_job(request)
        if refusal is not None:
            return refusal
        report = Path(job.folder) / report_name(job.file_name)
        if job.state not in (JobState.SUCCEEDED.value, JobState.FAILED.value) or not report.is_file():
            return _error(404, f"import job {job.public_id} has no error report yet: it is {job.state}", "NOT_FOUND")
        return FileResponse(report, media_type="text/csv; charset=utf-8", filename=report_name(job.file_name),
                            headers={"Cache-Control": "no-store"})

    return [Route("/import/jobs/{job}", status, methods=["GET"], name="import-job"),
            Route("/import/jobs/{job}/errors.csv", errors, methods=["GET"], name="import-job-errors")]
