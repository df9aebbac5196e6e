"""`GET /reports/{code}`: the printable credit report (信用报告, XZ-21) of a subject.

For the subject itself and its grantees (HC-22, XZ-18), authenticated and declared exactly as a
GraphQL read (`Authorization`, `X-Query-Purpose`, `X-Query-Basis`), its access decided by the same
code, and logged in the same query log through `/graphql`'s own path (`GraphQLEndpoint._logged`):
a report is only answered once its entry, which carries the report's receipt, is committed; when
the log cannot be written the answer is a 503 and no report. Every refusal is JSON with
`extensions.code`, like the other routes.

The page is HTML with an A4 print stylesheet (gateway/templates/credit_report.html), everything
escaped by the template engine. For PDF, print the page from the browser (Ctrl+P, "Save as PDF"):
no PDF library without heavy system dependencies is worth adding for that. The report's content,
as canonical JSON, is embedded in the page (`<script type="application/json" id="report-content">`)
so that a saved page can be checked against its receipt: `verifyCreditCheck(receiptId, answerHash)`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from gateway.graphql_http import HTTPRefusal
from gateway.identity import AuthenticationError, authentication_error_response
from gateway.requests import BASIS_HEADER, PURPOSE_HEADER, BadRequestHeader, parse_basis, parse_purpose
from resolvers.context import Operation
from resolvers.errors import ClientError
from resolvers.receipts import canonical_json, issue_receipt
from resolvers.report import credit_report
from store.availability import is_database_unavailable

log = logging.getLogger("gateway.reports")

# What the query log keeps as the request's "document": the route, the same for every report.
REPORT_DOCUMENT = "GET /reports/{code}"
REPORT_OPERATION = "creditReport"
STATUS_OF = {"BAD_USER_INPUT": 400, "FORBIDDEN": 403, "NOT_FOUND": 404}
FORMATS = ("html",)
# A page that runs nothing and fetches nothing: its styles are inline, it has no script to run.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"], default=True), trim_blocks=True, lstrip_blocks=True)
_TEMPLATES.filters["script_json"] = lambda text: (text.replace("<", "\\u003c").replace(">", "\\u003e")
                                                  .replace("&", "\\u0026"))


def report_routes(endpoint) -> list[Route]:
    """The route `create_app` mounts beside `/graphql`; `endpoint` is its GraphQLEndpoint, whose identity,
    context and query-log paths the report shares."""

    async def report(request: Request) -> Response:
        return await _report(endpoint, request)

    return [Route("/reports/{code}", report, methods=["GET"])]


async def _report(endpoint, request: Request) -> Response:
    # /graphql's own request, answer and log types, so the report is logged exactly as a query is;
    # imported here because gateway.app mounts this module's route
    from gateway.app import _Answer, _Exchange, _request_id

    exchange = _Exchange(request_id=_request_id(request), started=dt.datetime.now(dt.timezone.utc),
                         clock=time.perf_counter())
    code = request.path_params["code"]
    exchange.operation = Operation(document=REPORT_DOCUMENT, name=REPORT_OPERATION, type="query",
                                   variables={**dict(request.query_params), "code": code})
    page: str | None = None
    try:
        answer, page = await _answer(endpoint, request, exchange, code, _Answer)
    except HTTPRefusal as refusal:
        answer = _Answer.refusal(refusal.status, refusal.code, refusal.message, headers=refusal.headers)
    except Exception:
        log.exception("report request %s failed unexpectedly", exchange.request_id)
        answer = _Answer.refusal(500, "INTERNAL_SERVER_ERROR", "the gateway failed unexpectedly and logged it; "
                                                               "quote the X-Request-Id when you report it")
    logged = await endpoint._logged(request, exchange, answer)
    if logged is not answer or page is None:  # a refusal, or the log could not be written: JSON, no report
        return logged.response(exchange.request_id)
    return HTMLResponse(page, headers={**SECURITY_HEADERS, "X-Request-Id": exchange.request_id})


async def _answer(endpoint, request: Request, exchange, code: str, answer_type) -> tuple[object, str | None]:
    """The answer as the query log sees it, and the page when there is one."""
    wanted = request.query_params.get("format", "html").lower()
    if wanted not in FORMATS:
        raise HTTPRefusal(400, "BAD_REQUEST", f"format {wanted[:20]!r} is not served: the report is HTML "
                                              "(format=html); for PDF print the page from the browser (A4)")
    try:
        exchange.principal = await endpoint._principal(request.headers.get("authorization"))
    except AuthenticationError as err:
        exchange.principal = err.principal or exchange.principal
        return answer_type.from_response(authentication_error_response(err), "application/json"), None
    if exchange.principal.is_anonymous:
        return answer_type.from_response(authentication_error_response(AuthenticationError(
            "missing", "a credit report needs the token of the subject or of its grantee: "
                       "Authorization: Bearer <token>")), "application/json"), None
    try:
        purpose = parse_purpose(request.headers.get(PURPOSE_HEADER))
        basis = parse_basis(request.headers.get(BASIS_HEADER))
    except BadRequestHeader as err:
        raise HTTPRefusal(400, "BAD_REQUEST_HEADER", str(err)) from None
    try:
        context = await endpoint._context(exchange.principal, purpose, basis)
        exchange.context = context
        content = await credit_report(context, code)
    except ClientError as err:  # with all its extensions: the rule refused (logged), the code's fault
        return answer_type(STATUS_OF.get(err.extensions["code"], 400),
                           {"errors": [{"message": err.message, "extensions": dict(err.extensions)}]}), None
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        log.error("report request %s: the database is unreachable: %s", exchange.request_id, exc)
        return answer_type.database_unavailable("application/json"), None
    receipt = issue_receipt(context.observed, content["subject"]["code"], content, kind="CREDIT_REPORT")
    page = _TEMPLATES.get_template("credit_report.html").render(
        report=content, receipt=receipt, content_json=canonical_json(content))
    body = {"data": {REPORT_OPERATION: {"receipt": receipt.receipt_id, "answerHash": receipt.answer_hash}}}
    return answer_type(status=200, body=body), page
