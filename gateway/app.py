"""The ASGI application: GraphQL over HTTP, offline GraphiQL, health and metrics.

A request is authenticated (SPEC 4) and its purpose and basis parsed before any GraphQL work;
a bad token or header is refused with a JSON error and no data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from domain.clock import Clock, jurisdiction_day, utc_now
from domain.source_signing import SignatureRefused, verify as verify_signature
from domain.principal import Principal
from gateway.disconnects import DisconnectsLogged, client_gone, log_gone
from gateway.graphiql import default_query_for, graphiql_response, static_files_app
from gateway.log_checkpoints import LogCheckpoints
from gateway.identity import AuthenticationError, TokenVerifier, authentication_error_response
from gateway.proxies import forwarded_headers_middleware
from gateway.requests import BASIS_HEADER, PURPOSE_HEADER, BadRequestHeader, parse_basis, parse_purpose
from gateway.graphql_http import GRAPHQL_RESPONSE, JSON, HTTPRefusal, default_code, encode, is_request_error, \
    negotiate, read_params, refuse_lone_surrogates
from gateway.settings import Settings
from gateway.reports import report_routes
from gateway.sources_route import sources_route
from gateway.evidence import evidence_routes
from gateway.source_client import SourceClient, SourceLimits
from gateway.upload import import_job_routes, upload_route
from ingest.import_jobs import ImportJobs
from domain.catalogue import JurisdictionProfile, load_profile
from resolvers.credit_check import rules_follower
from domain.roles import DepartmentRegistry
from domain.subject_ids import SubjectIds
from gateway.policy_sync import PolicySync
from gateway.query_log import QueryLogEntryRefused, QueryLogUnavailable, QueryLogWriter, build_entry
from policies.engine import PolicyEngine
from policies.storage import policy_engine
from resolvers.access import build_access
from resolvers.context import Operation, RequestContext
from resolvers.reference import reference_data
from resolvers.remote_sources import RemoteFetcher
from schema.build import build_schema
from store.availability import is_database_unavailable
from store.json_safe import json_safe
from store.engine import create_engine

log = logging.getLogger("gateway")

REQUESTS = Counter("gateway_graphql_requests_total", "GraphQL requests by HTTP status", ["status"])
LATENCY = Histogram("gateway_graphql_seconds", "GraphQL request latency",
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))


@dataclass
class Gateway:
    """What the running service holds for its whole life."""

    settings: Settings
    engine: AsyncEngine
    verifier: TokenVerifier
    profile: JurisdictionProfile
    policies: PolicyEngine
    query_log: QueryLogWriter | None
    subject_ids: SubjectIds
    imports: ImportJobs | None = None  # background imports of POST /import (ingest/import_jobs.py)
    # calls the admitted federated sources (issue 18): the worker's SourceClient, made at start-up
    remote_fetcher: RemoteFetcher | None = None
    now: Clock = utc_now  # the current instant, UTC; tests fix it
    fixed_day: Callable[[], dt.date] | None = None  # tests that fix only "today"

    def today(self, now: dt.datetime | None = None) -> dt.date:
        """The jurisdiction's calendar day at `now` (default: the clock's), not the host's (SPEC 3.4)."""
        if self.fixed_day is not None:
            return self.fixed_day()
        return jurisdiction_day(now or self.now(), self.profile.time_zone)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _request_id(request: Request) -> str:
    """The caller's X-Request-Id when it is sane, so logs on both sides can be matched."""
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


class GraphQLEndpoint:
    """`/graphql`: the page for browsers, GraphQL over HTTP (GET and POST) for everyone else.

    Every answer — data, a refused token, a malformed body, an unreachable database — is JSON with
    `extensions.code`, counted once in /metrics, and written to the query log before it leaves (HC-35):
    when the log cannot be written nothing is answered but a 503.
    """

    def __init__(self, gateway: Gateway, schema) -> None:
        self.gateway = gateway
        self.schema = schema

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        settings = self.gateway.settings
        if request.method == "GET" and "text/html" in request.headers.get("accept", "") and settings.graphiql:
            await graphiql_response(default_query=default_query_for(self.schema))(scope, receive, send)
            return
        exchange = _Exchange(request_id=_request_id(request), started=dt.datetime.now(dt.timezone.utc),
                             clock=time.perf_counter())
        try:
            answer = await self._answer(request, exchange)
        except ClientDisconnect:  # the client went away before it sent its request: nothing to answer
            log_gone("before its request was read", "/graphql", exchange.request_id)
            return
        except Exception:
            log.exception("request %s failed unexpectedly", exchange.request_id)
            answer = _Answer.refusal(500, "INTERNAL_SERVER_ERROR", "the gateway failed unexpectedly and logged it; "
                                                                   "quote the X-Request-Id when you report it")
        if exchange.context is not None and exchange.context.operation.executed and await client_gone(receive):
            exchange.gone = True  # the operation ran; its answer will reach no one (the log says so)
            log_gone("before the answer was sent", "/graphql", exchange.request_id)
        answer = await self._logged(request, exchange, answer)
        REQUESTS.labels(str(answer.status)).inc()
        LATENCY.observe(time.perf_counter() - exchange.clock)
        await answer.response(exchange.request_id)(scope, receive, send)

    async def _answer(self, request: Request, exchange: "_Exchange") -> "_Answer":
        settings = self.gateway.settings
        try:
            if request.method not in ("GET", "POST"):
                raise HTTPRefusal(405, "METHOD_NOT_ALLOWED", f"method {request.method} is not allowed: use GET or POST",
                                  headers={"Allow": "GET, POST"})
            exchange.media_type = negotiate(request.headers.get("accept"))
            try:
                exchange.principal = await self._principal(request.headers.get("authorization"))
            except AuthenticationError as err:
                exchange.principal = err.principal or exchange.principal  # the log names who tried
                return _Answer.from_response(authentication_error_response(err), exchange.media_type)
            try:
                purpose = parse_purpose(request.headers.get(PURPOSE_HEADER))
                basis = parse_basis(request.headers.get(BASIS_HEADER))
            except BadRequestHeader as err:
                raise HTTPRefusal(400, "BAD_REQUEST_HEADER", str(err)) from None
            params = await read_params(request, settings.max_request_bytes)
            exchange.operation = Operation(document=params.query, name=params.operation_name)
            try:
                refuse_lone_surrogates(params)
            except HTTPRefusal:  # the log keeps what was sent, escaped (execution would have copied it)
                exchange.operation.variables = json_safe(params.variables)
                raise
            schema = self.schema  # taken once: the request finishes on it, whatever is admitted meanwhile
            try:
                context = await self._context(exchange.principal, purpose, basis)
                context.request_id = exchange.request_id
                context.router_refusal = self._router_refusal(request, params.body)
            except Exception as exc:
                if not is_database_unavailable(exc):
                    raise
                log.error("request %s: the database is unreachable: %s", exchange.request_id, exc)
                return _Answer.database_unavailable(exchange.media_type)
            exchange.context = context
            context.operation = exchange.operation
            context.remote_sources = schema.remote_sources  # the sources this schema serves (issue 18)
            allowed = (OperationType.QUERY,) if request.method == "GET" else (OperationType.QUERY, OperationType.MUTATION)
            try:
                result = await schema.execute(params.query, variable_values=params.variables,
                                                   context_value=context, operation_name=params.operation_name,
                                                   allowed_operation_types=allowed)
            except InvalidOperationTypeError as err:
                if request.method == "GET" and err.operation_type == OperationType.MUTATION:
                    raise HTTPRefusal(405, "METHOD_NOT_ALLOWED", "a mutation cannot be sent with GET: use POST",
                                      headers={"Allow": "POST"}) from None
                raise HTTPRefusal(400, "BAD_REQUEST",
                                  f"{err.operation_type.value} operations are not served here") from None
            except CannotGetOperationTypeError:
                raise HTTPRefusal(400, "BAD_REQUEST", "the document has no operation named "
                                                      f"{params.operation_name!r}" if params.operation_name else
                                  "the document has several operations: name one in operationName") from None
        except HTTPRefusal as refusal:
            return _Answer.refusal(refusal.status, refusal.code, refusal.message,
                                   media_type=exchange.media_type, headers=refusal.headers)
        if context.operation.database_failure:
            log.error("request %s: the database failed during execution", exchange.request_id)
            return _Answer.database_unavailable(exchange.media_type)
        return self._result_answer(result, context, exchange.media_type)

    def _result_answer(self, result, context: RequestContext, media_type: str) -> "_Answer":
        executed = context.operation.executed
        errors = []
        for error in result.errors or []:
            formatted = error.formatted
            extensions = formatted.setdefault("extensions", {})
            extensions.setdefault("code", default_code(error, executed))
            errors.append(formatted)
        access = context.access
        if access is not None and access.notices and context.observed.records_read:
            errors += [{"message": n.message, "extensions": n.extensions()} for n in access.notices]
        body: dict = {}
        request_error = is_request_error(result.errors or [], result.data)
        if not (request_error and media_type == GRAPHQL_RESPONSE):
            body["data"] = result.data
        if errors:
            body["errors"] = errors
        status = 400 if request_error and media_type == GRAPHQL_RESPONSE else 200
        return _Answer(status=status, body=body, media_type=media_type)

    async def _logged(self, request: Request, exchange: "_Exchange", answer: "_Answer") -> "_Answer":
        """The answer once its query-log entry is committed, or the 503 that replaces it."""
        query_log = self.gateway.query_log
        if query_log is None:
            return answer
        context = exchange.context
        # refusals the answer does not show (a refused record(id) is answered as not found) still count
        errors = (answer.body.get("errors") or []) + (context.observed.refused if context else [])
        entry = build_entry(
            request_id=exchange.request_id, started=exchange.started,
            duration_ms=(time.perf_counter() - exchange.clock) * 1000,
            principal=exchange.principal, client=request.client.host if request.client else None,
            operation=exchange.operation, purpose=context.purpose if context else None,
            basis=context.basis if context else None, authorization_id=_authorization_used(context),
            subjects=sorted(context.observed.subjects) if context else [],
            record_ids=sorted(context.observed.record_ids) if context else [],
            status=answer.status, errors=errors, has_data=answer.body.get("data") is not None,
            remote_calls=context.observed.remote_calls if context else None,
            receipts=context.observed.receipts if context else None,
        )
        if exchange.gone and entry["outcome"] in ("OK", "PARTIAL"):  # refusals and errors stay what they were
            entry["outcome"] = "DISCONNECTED"
        try:
            await query_log.append(entry, exchange.operation.document,
                                   sorted(context.observed.subjects) if context else [],
                                   {r["receipt"]: r["code"] for r in context.observed.receipts} if context else None)
        except QueryLogUnavailable:
            return _Answer.refusal(503, "QUERY_LOG_UNAVAILABLE", "the query log cannot be written, so nothing is "
                                   "answered (HC-35); try again later", media_type=answer.media_type)
        except QueryLogEntryRefused as refused:  # logged as a minimal entry: this request only
            return _Answer.refusal(400, "UNLOGGABLE_REQUEST", str(refused), media_type=answer.media_type)
        return answer

    def _router_refusal(self, request: Request, body: bytes) -> str | None:
        """Why this call may not use `_entities`: not signed with the deployment's router secret (when it has one)."""
        secret = self.gateway.settings.router_secret
        if secret is None:
            return None
        path = request.url.path
        if request.url.query:
            path += "?" + request.url.query
        try:
            verify_signature(secret, time.time(), request.method, path, body, request.headers)
        except SignatureRefused as refused:
            return str(refused)
        return None

    async def _context(self, principal: Principal, purpose, basis) -> RequestContext:
        gateway, settings = self.gateway, self.gateway.settings
        now = gateway.now()
        access = await build_access(gateway.engine, gateway.policies, principal, purpose, basis, now,
                                    gateway.profile.objection.suspend_when_provider_late)
        return RequestContext(
            engine=gateway.engine,
            principal=principal,
            purpose=purpose,
            basis=basis,
            today=gateway.today(now),
            now=now,
            access=access,
            reference=await reference_data(gateway.engine),
            profile=gateway.profile,
            max_page_size=settings.max_page_size,
            max_list_codes=settings.max_list_codes,
            subject_ids=gateway.subject_ids,
            remote_fetcher=gateway.remote_fetcher,
        )

    async def _principal(self, authorization: str | None) -> Principal:
        if authorization is None:
            return Principal.anonymous()
        if self.gateway.settings.jwks_url:  # may fetch keys over the network: keep it off the event loop
            return await run_in_threadpool(self.gateway.verifier.verify, authorization)
        return self.gateway.verifier.verify(authorization)


def _authorization_used(context: RequestContext | None) -> int | None:
    """The written authorisation (HC-22) that opened a subject the answer is about, if any."""
    if context is None or context.access is None:
        return None
    return next((r.authorization_id for r in context.access.scope.subjects
                 if r.authorization_id and r.subject_code in context.observed.subjects), None)


@dataclass
class _Exchange:
    """One request as the query log sees it, filled in as it is answered."""

    request_id: str
    started: dt.datetime
    clock: float
    media_type: str = JSON
    principal: Principal = field(default_factory=Principal.anonymous)
    operation: Operation = field(default_factory=Operation)
    context: RequestContext | None = None
    gone: bool = False  # the client disconnected before the answer was sent


@dataclass
class _Answer:
    """What the client will get: a status and a GraphQL-shaped JSON body, in the negotiated media type."""

    status: int
    body: dict
    media_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def refusal(cls, status: int, code: str, message: str, *, media_type: str = JSON,
                headers: dict[str, str] | None = None) -> "_Answer":
        return cls(status, {"errors": [{"message": message, "extensions": {"code": code}}]}, media_type,
                   dict(headers or {}))

    @classmethod
    def database_unavailable(cls, media_type: str) -> "_Answer":
        return cls.refusal(503, "DATABASE_UNAVAILABLE", "the database cannot be reached, so nothing is answered; "
                                                        "try again later", media_type=media_type,
                           headers={"Retry-After": "5"})

    @classmethod
    def from_response(cls, response: Response, media_type: str) -> "_Answer":
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
        return cls(response.status_code, json.loads(response.body), media_type, headers)

    def response(self, request_id: str) -> Response:
        return Response(encode(self.body), status_code=self.status, media_type=f"{self.media_type}; charset=utf-8",
                        headers={**self.headers, "Cache-Control": "no-store", "X-Request-Id": request_id})


def create_app(settings: Settings, *, engine: AsyncEngine | None = None, verifier: TokenVerifier | None = None,
               policies: PolicyEngine | None = None, sync_policies: bool = False, query_log: bool = True,
               on_startup: Callable | None = None, now: Clock = utc_now,
               today: Callable[[], dt.date] | None = None, checkpoints: LogCheckpoints | None = None,
               sync_sources: bool | None = None) -> Starlette:
    """The application. Tests pass their own engine; `serve` lets it create one from settings.

    `now` is the clock (an aware UTC instant; tests fix it); "today" is the profile's time zone's
    day at that instant, unless `today` fixes the day alone (tests whose data is dated around it).

    With `sync_policies` the policies come from the database and follow its changes (serve);
    otherwise `policies`, or the shipped policy file, are used as they are (tests, benchmarks).
    `checkpoints` signs the log chains' heads (gateway.log_checkpoints; serve builds it from settings).
    `sync_sources` (default: as `sync_policies`) serves the admitted federated sources and follows their
    admissions and removals (gateway/source_sync.py); without, the schema is the gateway's own.
    """
    from gateway.startup import identity_config

    owned_engine = engine is None
    engine = engine or create_engine(settings.resolved_database_url, pool_size=settings.database_pool_size)
    profile = load_profile(settings.profile)
    rules_follower(profile)  # the credit-check rules beside the catalogue: a bad file refuses to start
    # Tokens are checked against the profile's departments (SPEC 3.1), whoever built the verifier.
    verifier = (verifier or TokenVerifier(identity_config(settings))).bound_to(DepartmentRegistry.of(profile))
    policies = policies or policy_engine(profile)
    gateway = Gateway(settings=settings, engine=engine, verifier=verifier, profile=profile, policies=policies,
                      query_log=QueryLogWriter(engine, checkpoints) if query_log else None,
                      subject_ids=SubjectIds.for_deployment(settings.subject_id_key, settings.data_dir),
                      now=now, fixed_day=today)
    gateway.imports = ImportJobs(engine, profile, settings.import_folder, now=now)
    gateway.remote_fetcher = _source_client(settings)  # replaced at each start-up, closed at shutdown
    background = _background_workers(settings, gateway)
    sync = PolicySync(engine, policies, profile, settings.policy_file) if sync_policies else None
    limits = dict(max_depth=settings.max_query_depth, max_tokens=settings.max_query_tokens,
                  max_aliases=settings.max_query_aliases, max_fields=settings.max_query_fields)
    schema = build_schema(**limits)
    endpoint = GraphQLEndpoint(gateway, schema)
    sources = source_sync(engine, endpoint, limits) if (sync_policies if sync_sources is None else sync_sources) \
        else None

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        """Ready when the database answers and the query log can be written: a gateway that could only
        answer 503 (HC-35) is not ready, whatever its database reads."""
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # the database is down or unreachable: not ready
            log.warning("readiness check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503,
                                headers={"Cache-Control": "no-store"})
        if gateway.query_log is not None:
            try:
                await gateway.query_log.probe()
            except Exception as exc:
                log.warning("readiness check: the query log cannot be written: %s", exc)
                return JSONResponse({"status": "unavailable", "database": "reachable", "queryLog": "unwritable"},
                                    status_code=503, headers={"Cache-Control": "no-store"})
        return JSONResponse({"status": "ready", "database": "reachable", "queryLog": "writable"},
                            headers={"Cache-Control": "no-store"})

    async def metrics(_request: Request) -> Response:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        if on_startup is not None:
            await on_startup(engine)
        if checkpoints is not None:
            await checkpoints.start(engine)
        if sync is not None:
            await sync.start()
        if sources is not None:
            await sources.start()
        await gateway.imports.start()  # jobs a stopped server left are resumed
        if isinstance(gateway.remote_fetcher, SourceClient):  # not a fetcher a test put in its place
            gateway.remote_fetcher = _source_client(settings)
        for worker in background:  # the sweeper and webhook deliveries: tasks, never in a request's way
            await worker.start()
        # What start-up built (schema, policies, profile, modules) lives as long as the process: frozen,
        # the collector's full collections no longer walk it, and their pauses shrink to what requests
        # leave behind (GC pauses dominate latency tails).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            for worker in background:
                await worker.close()
            await gateway.imports.close()  # running jobs are handed back, for the next start
            if isinstance(gateway.remote_fetcher, SourceClient):
                await gateway.remote_fetcher.aclose()
            if sync is not None:
                await sync.stop()
            if sources is not None:
                await sources.stop()
            if gateway.query_log is not None:
                await gateway.query_log.close()
            if owned_engine:
                await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", endpoint),  # every method: the endpoint answers others with a JSON 405
            upload_route(settings),
            *import_job_routes(),
            *report_routes(endpoint),  # GET /reports/{code}: the printable credit report (XZ-21)
            *evidence_routes(settings),
            Mount("/static/graphiql", app=static_files_app(), name="graphiql-static"),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            sources_route(gateway),
        ],
        lifespan=lifespan,
        middleware=[Middleware(DisconnectsLogged), *forwarded_headers_middleware(settings.trusted_proxies)],
    )
    app.state.gateway = gateway
    app.state.schema = schema
    app.state.sources = sources
    app.state.endpoint = endpoint  # its `schema` is the one served now (grown by the sources in force)
    app.state.background = background
    return app


def source_sync(engine: AsyncEngine, endpoint: GraphQLEndpoint, limits: dict):
    """The follower that keeps `endpoint` on a schema grown by the sources in force (issue 18)."""
    from gateway.source_sync import SourceSync

    def install(schema) -> None:
        endpoint.schema = schema

    return SourceSync(engine, lambda: build_schema(**limits), install)
def _source_client(settings: Settings) -> SourceClient:
    """The worker's client of federated sources: pooled connections, a deadline and circuit per source."""
    return SourceClient(SourceLimits(deadline_seconds=settings.source_deadline_seconds,
                                     failures_to_open=settings.source_failures_to_open,
                                     cool_down_seconds=settings.source_cool_down_seconds))


def _background_workers(settings: Settings, gateway: Gateway) -> list:
    """What `serve` runs beside requests (issue 15): the sweeper on its interval, webhook deliveries."""
    from gateway.sweeper import PeriodicSweeper
    from gateway.webhooks import RetryPolicy, WebhookDeliverer

    workers: list = []
    if settings.sweep_interval_seconds > 0:
        workers.append(PeriodicSweeper(gateway.engine, gateway.profile, gateway.today,
                                       settings.sweep_interval_seconds))
    if settings.webhook_delivery:
        policy = RetryPolicy(max_attempts=settings.webhook_max_attempts,
                             base_delay=dt.timedelta(seconds=settings.webhook_retry_seconds))
        workers.append(WebhookDeliverer(gateway.engine, now=gateway.now, policy=policy))
    return workers
