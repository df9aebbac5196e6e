"""`POST /evidence` and `GET /evidence/{id}`: an objection's evidence files (证明材料; HC-29, XZ-22).

Upload: authenticated like `/graphql`; the subject itself, its grantee (a department token with
`X-Query-Purpose` and `X-Query-Basis`, under a written authorisation naming it) or the credit
centre's operator entering a written application. Others than the subject name the subject in
`subject`. The body is either a multipart form (`file`, optional `subject`) or the file's bytes
themselves with `?filename=NAME` (and `&subject=CODE`). It is streamed to disk and refused with 413
as soon as it passes `MAX_EVIDENCE_BYTES` (10 MiB by default); its type is decided by its content
(PDF, JPEG, PNG, OFD; anything else, or content that contradicts the declared type, is 415); its
SHA-256 is kept; the bytes go to the evidence folder (`EVIDENCE_DIR`, default data/evidence)
under their hash, written atomically; the row and its submission-log entry (HC-35) commit
together. The answer is 201 with `{id, sha256, size, mediaType, filename, url}`; `id` is the global
id `fileObjection(input: {evidenceIds})` takes.

Download: the bytes with their type and `Content-Disposition: attachment`, for those
resolvers/evidence.py names; anyone else gets the 404 of a file that does not exist. Every read,
and every refused one, is a query-log entry (operation `GET /evidence`), committed before the
bytes leave; when it cannot be written the answer is 503.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import tempfile
import time
import uuid

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from domain.identifiers import InvalidIdentifier, validate_subject_code
from domain.principal import Principal
from gateway.disconnects import log_gone
from gateway.identity import AuthenticationError, authentication_error_response, bearer_principal
from gateway.query_log import QueryLogEntryRefused, QueryLogUnavailable, build_entry
from gateway.requests import BASIS_HEADER, PURPOSE_HEADER, BadRequestHeader, parse_basis, parse_purpose
from gateway.responses import error_response as _error
from gateway.upload import _local_name, _replay, _spool, _TooLarge
from resolvers import evidence as rules
from resolvers.access import build_access
from resolvers.context import Operation
from resolvers.node_ids import NodeKind, decode
from store.availability import is_database_unavailable
from store.chain import append_submission_log, logged_subject
from store.evidence import MEDIA_TYPES, EvidenceFolder, Hasher, Spooled, evidence_row, insert_evidence, media_type_of

log = logging.getLogger("gateway.evidence")

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
FORM_OVERHEAD = 64 * 1024  # a multipart form's boundaries and headers around the file
UNDECLARED = {"", "application/octet-stream", "binary/octet-stream"}


class _Refusal(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


async def _principal(request: Request, what: str) -> Principal:
    try:
        return await bearer_principal(request.app.state.gateway.verifier, request.headers.get("authorization"),
                                      f"{what} needs a token: Authorization: Bearer <token>")
    except AuthenticationError as err:
        raise _Refusal(authentication_error_response(err)) from None


async def _acting_for(request: Request, principal: Principal, named: str | None) -> str:
    """The subject the upload is for: the token's own, or `subject` for a grantee or the centre."""
    gateway = request.app.state.gateway
    if principal.subject_code and not principal.department:
        if named and named != principal.subject_code:
            raise _Refusal(_error(403, "a subject uploads evidence for itself only", "FORBIDDEN"))
        return principal.subject_code
    if not named:
        raise _Refusal(_error(400, "name the subject the evidence is for in `subject` (its code)", "BAD_UPLOAD"))
    try:
        code, _kind = validate_subject_code(named)
    except InvalidIdentifier as exc:
        raise _Refusal(_error(400, f"subject: {exc}", "BAD_UPLOAD")) from None
    if rules.is_centre_operator(principal, gateway.profile):
        return code  # a written application (书面异议申请) entered by the centre
    try:
        purpose = parse_purpose(request.headers.get(PURPOSE_HEADER))
        basis = parse_basis(request.headers.get(BASIS_HEADER))
    except BadRequestHeader as err:
        raise _Refusal(_error(400, str(err), "BAD_REQUEST_HEADER")) from None
    access = await build_access(gateway.engine, gateway.policies, principal, purpose, basis, gateway.now())
    right = access.scope.right_for(code)
    if right is None or right.role != "grantee":
        raise _Refusal(_error(403, "evidence is uploaded by the subject itself, by its grantee under a written "
                                   "authorisation (declare it with X-Query-Purpose and X-Query-Basis), or by the "
                                   "credit centre's operator from a written application (HC-29, XZ-22)",
                              "FORBIDDEN"))
    return code


def _too_large(limit: int) -> JSONResponse:
    return _error(413, f"the file is larger than the limit of {limit:,} bytes", "PAYLOAD_TOO_LARGE", maxBytes=limit)


async def _receive(request: Request, folder: EvidenceFolder, limit: int, stack: contextlib.AsyncExitStack
                   ) -> tuple[Spooled, str, str, str | None]:
    """The file spooled into the evidence folder: (spooled, its name, its declared type, `subject` if given)."""
    handle, path = folder.spool_target()
    stack.callback(path.unlink, missing_ok=True)  # gone unless kept (a rename leaves nothing here)
    hasher = Hasher(handle)
    content_type = request.headers.get("content-type", "")
    with handle:
        if content_type.startswith("multipart/form-data"):
            body = stack.enter_context(tempfile.TemporaryFile())
            await _spool(request, body, limit + FORM_OVERHEAD)
            form = await MultiPartParser(request.headers, _replay(body), max_files=1, max_fields=5).parse()
            stack.push_async_callback(form.close)
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise _Refusal(_error(400, "the form has no file field with a file in it", "BAD_UPLOAD"))
            unknown = sorted(set(form.keys()) - {"file", "subject"})
            if unknown:
                raise _Refusal(_error(400, f"unknown form field(s) {', '.join(unknown)}; the fields are file and "
                                           "subject", "BAD_UPLOAD"))
            while chunk := await upload.read(1 << 16):
                hasher.write(chunk)
                if hasher.size > limit:
                    raise _TooLarge
            name, declared, named = upload.filename, upload.content_type or "", form.get("subject")
        else:
            name, declared = request.query_params.get("filename", ""), content_type
            named = request.query_params.get("subject")
            if not name:
                raise _Refusal(_error(400, "send the file as multipart/form-data (field file) or as the body with "
                                           "?filename=NAME", "BAD_UPLOAD"))
            await _spool(request, hasher, limit)
    return Spooled(path, hasher.digest.hexdigest(), hasher.size), name, declared.split(";")[0].strip().lower(), \
        (str(named).strip() or None) if named is not None else None


def evidence_routes(settings) -> list[Route]:
    limit = settings.max_evidence_bytes or DEFAULT_MAX_BYTES
    folder = EvidenceFolder(settings.evidence_folder)

    async def upload(request: Request) -> Response:
        gateway = request.app.state.gateway
        declared_length = request.headers.get("content-length")
        async with contextlib.AsyncExitStack() as stack:
            try:
                principal = await _principal(request, "uploading evidence")
                if principal.is_anonymous:
                    raise _Refusal(_error(401, "uploading evidence needs a token", "UNAUTHENTICATED"))
                if declared_length and declared_length.isdigit() and int(declared_length) > limit + FORM_OVERHEAD:
                    return _too_large(limit)
                spooled, name, declared, named = await _receive(request, folder, limit, stack)
                subject = await _acting_for(request, principal, named)
            except _Refusal as refusal:
                return refusal.response
            except _TooLarge:
                return _too_large(limit)
            except ClientDisconnect:
                log_gone("before its upload was read", "/evidence")
                return _error(400, "the upload was interrupted", "BAD_UPLOAD")
            except MultiPartException as exc:
                return _error(400, f"malformed multipart form: {exc.message}", "BAD_UPLOAD")
            if spooled.size == 0:
                return _error(400, "the file is empty", "BAD_UPLOAD")
            media_type = await run_in_threadpool(media_type_of, spooled.path)
            if media_type is None:
                return _error(415, f"{name}: its content is not PDF, JPEG, PNG or OFD (the type is read from the "
                                   "content, not the name)", "UNSUPPORTED_MEDIA_TYPE", allowed=list(MEDIA_TYPES))
            if declared not in UNDECLARED and not declared.startswith("multipart/") and declared != media_type:
                return _error(415, f"{name}: declared {declared}, but its content is {media_type}",
                              "UNSUPPORTED_MEDIA_TYPE", allowed=list(MEDIA_TYPES))
            await run_in_threadpool(folder.keep, spooled)
            filename = _local_name(name, "")[-255:] or "evidence"
            try:
                async with gateway.engine.begin() as connection:
                    ident = await insert_evidence(
                        connection, sha256=spooled.sha256, media_type=media_type, size=spooled.size,
                        filename=filename, uploaded_by=principal.user, uploaded_for=subject,
                        uploaded_at=gateway.now())
                    await append_submission_log(
                        connection, user=principal.user, department=principal.department, action="EVIDENCE_UPLOADED",
                        channel="API", detail={"evidence_id": ident, "sha256": spooled.sha256, "size": spooled.size,
                                               "media_type": media_type, "subject": logged_subject(subject)})
                    row = await evidence_row(connection, ident)
            except Exception as exc:
                if not is_database_unavailable(exc):
                    raise
                log.error("evidence upload: the database cannot be written: %s", exc)
                return _error(503, "the database cannot be written, so nothing was stored; try again later",
                              "DATABASE_UNAVAILABLE", headers={"Retry-After": "5"})
        log.info("evidence %s uploaded by %s for a subject (%s, %d bytes)", row.id, principal.user, media_type,
                 row.size)
        return JSONResponse({"id": rules.evidence_id(row), "sha256": row.sha256, "size": row.size,
                             "mediaType": row.media_type, "filename": row.filename, "url": rules.evidence_url(row)},
                            status_code=201, headers={"Location": rules.evidence_url(row), "Cache-Control": "no-store"})

    async def download(request: Request) -> Response:
        gateway = request.app.state.gateway
        started, clock = dt.datetime.now(dt.timezone.utc), time.perf_counter()
        try:
            principal = await _principal(request, "reading evidence")
        except _Refusal as refusal:
            return refusal.response
        text = request.path_params["ident"]
        try:
            kind, key = decode(text)
        except ValueError:
            kind, key = None, ""
        ident = int(key) if kind is NodeKind.EVIDENCE_FILE and key.isdigit() and len(key) <= 18 else None
        row = case = None
        try:
            if ident is not None:
                async with gateway.engine.connect() as connection:
                    row = await evidence_row(connection, ident)
                    case = await rules.citing_case(connection, row) if row is not None else None
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            return _error(503, "the database cannot be reached; try again later", "DATABASE_UNAVAILABLE",
                          headers={"Retry-After": "5"})
        readable = row is not None and rules.may_read(principal, gateway.profile, row, case)
        path = folder.path_of(row.sha256) if readable else None
        if readable and not path.is_file():
            log.error("evidence %s: its file %s is missing from the evidence folder", row.id, path)
            readable = False
        errors = [] if readable or row is None else [{"message": "evidence file refused", "extensions": {
            "code": "FORBIDDEN", "rule": "HC-29: evidence is read by the parties to its objection and auditors"}}]
        if gateway.query_log is not None:
            entry = build_entry(
                request_id=uuid.uuid4().hex, started=started, duration_ms=(time.perf_counter() - clock) * 1000,
                principal=principal, client=request.client.host if request.client else None,
                operation=Operation(name="GET /evidence", type="query", variables={"id": text[:100]}),
                purpose=None, basis=None, authorization_id=None,
                subjects=[row.uploaded_for] if row is not None and row.uploaded_for else [],
                record_ids=[], status=200, errors=errors, has_data=readable)  # a refusal is REFUSED, not a 4xx
            try:
                await gateway.query_log.append(entry, None, [row.uploaded_for] if entry["subjects"] else [])
            except (QueryLogUnavailable, QueryLogEntryRefused):
                return _error(503, "the query log cannot be written, so nothing is answered (HC-35); try again "
                                   "later", "QUERY_LOG_UNAVAILABLE")
        if not readable:
            return _error(404, "no such evidence file (or not one you may read)", "NOT_FOUND")
        return FileResponse(path, media_type=row.media_type, filename=row.filename,
                            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                     "ETag": f'"{row.sha256}"'})

    return [Route("/evidence", upload, methods=["POST"], name="evidence-upload"),
            Route("/evidence/{ident}", download, methods=["GET"], name="evidence")]
