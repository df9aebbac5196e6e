"""The ASGI application: GraphQL over HTTP, offline GraphiQL, health and metrics.

A request is authenticated (SPEC 4) and its purpose and basis parsed before any GraphQL work;
a bad token or header is refused with a JSON error and no data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from strawberry.asgi import GraphQL

from domain.principal import Principal
from gateway.graphiql import graphiql_response, static_files_app
from gateway.identity import AuthenticationError, TokenVerifier, authentication_error_response
from gateway.requests import BASIS_HEADER, PURPOSE_HEADER, BadRequestHeader, parse_basis, parse_purpose
from gateway.responses import error_response as _error
from gateway.settings import Settings
from gateway.upload import upload_route
from domain.catalogue import JurisdictionProfile, load_profile
from gateway.policy_sync import PolicySync
from gateway.query_log import QueryLogUnavailable, QueryLogWriter, build_entry
from policies.engine import PolicyEngine
from policies.storage import policy_engine
from resolvers.access import build_access
from resolvers.context import RequestContext
from resolvers.reference import reference_data
from schema.build import build_schema
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
    today: Callable[[], dt.date] = dt.date.today


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _request_id(request: Request) -> str:
    """The caller's X-Request-Id when it is sane, so logs on both sides can be matched."""
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def _json_errors(response: Response) -> list[dict]:
    import json

    try:
        return json.loads(response.body).get("errors", [])
    except Exception:
        return []


class GraphQLHandler(GraphQL):
    """strawberry's ASGI handler with our context; its own GraphiQL (CDN-based) is off."""

    async def get_context(self, request: Request, response: Response) -> RequestContext:  # type: ignore[override]
        return request.state.context

    async def process_result(self, request: Request, result):  # type: ignore[override]
        """Adds the request's notices (e.g. records withheld for want of a purpose) as errors."""
        response = await super().process_result(request, result)
        context = request.state.context
        access = context.access
        if access is not None and access.notices and context.observed.records_read:
            response.setdefault("errors", [])
            response["errors"] += [{"message": n, "extensions": {"code": "PURPOSE_REQUIRED"}} for n in access.notices]
        context.operation.errors = response.get("errors") or []
        context.operation.has_data = response.get("data") is not None
        return response


class GraphQLEndpoint:
    """`/graphql`: the page for browsers, GraphQL over HTTP (GET and POST) for everyone else."""

    def __init__(self, gateway: Gateway, handler: GraphQLHandler) -> None:
        self.gateway = gateway
        self.handler = handler

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        started, clock = dt.datetime.now(dt.timezone.utc), time.perf_counter()
        request_id = _request_id(request)
        with LATENCY.time():
            response = await self._prepare(request)
            if isinstance(response, HTMLResponse):  # the GraphiQL page: not an operation
                await response(scope, receive, send)
                return
            if response is None:
                status, messages = await self._execute(scope, receive)
                context: RequestContext = request.state.context
                principal, errors, has_data = context.principal, context.operation.errors, context.operation.has_data
            else:  # refused before any GraphQL work: bad token, bad header
                status, messages = response.status_code, None
                context, principal = None, getattr(request.state, "principal", Principal.anonymous())
                errors, has_data = _json_errors(response), False
            REQUESTS.labels(str(status)).inc()
            if self.gateway.query_log is not None:
                entry = self._entry(request, request_id, started, clock, context, principal, status, errors, has_data)
                try:
                    await self.gateway.query_log.append(entry, context.operation.document if context else None,
                                                        sorted(context.observed.subjects) if context else [])
                except QueryLogUnavailable:
                    REQUESTS.labels("503").inc()
                    await _error(503, "the query log cannot be written, so nothing is answered (HC-35); "
                                      "try again later", "QUERY_LOG_UNAVAILABLE")(scope, receive, send)
                    return
            if messages is None:
                await response(scope, receive, send)
                return
            for message in messages:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (b"x-request-id", request_id.encode())]}
                await send(message)

    async def _execute(self, scope, receive) -> tuple[int, list[dict]]:
        """Run strawberry's handler, holding its response until the query log has the entry."""
        messages: list[dict] = []

        async def hold(message) -> None:
            messages.append(message)

        await self.handler(scope, receive, hold)
        status = next((m["status"] for m in messages if m["type"] == "http.response.start"), 500)
        return status, messages

    def _entry(self, request: Request, request_id: str, started: dt.datetime, clock: float,
               context: RequestContext | None, principal: Principal, status: int, errors: list, has_data: bool):
        from resolvers.context import Operation

        authorization_id = None
        if context is not None and context.access is not None:
            authorization_id = next((r.authorization_id for r in context.access.scope.subjects
                                     if r.authorization_id and r.subject_code in context.observed.subjects), None)
        return build_entry(
            request_id=request_id, started=started, duration_ms=(time.perf_counter() - clock) * 1000,
            principal=principal, client=request.client.host if request.client else None,
            operation=context.operation if context else Operation(),
            purpose=context.purpose if context else None, basis=context.basis if context else None,
            authorization_id=authorization_id,
            subjects=sorted(context.observed.subjects) if context else [],
            record_ids=sorted(context.observed.record_ids) if context else [],
            status=status, errors=errors, has_data=has_data,
        )

    async def _prepare(self, request: Request) -> Response | None:
        settings = self.gateway.settings
        if request.method == "GET" and "text/html" in request.headers.get("accept", "") and settings.graphiql:
            return graphiql_response()
        if request.method not in ("GET", "POST"):
            return _error(405, f"method {request.method} is not allowed: use GET or POST", "METHOD_NOT_ALLOWED")
        try:
            principal = await self._principal(request.headers.get("authorization"))
        except AuthenticationError as err:
            return authentication_error_response(err)
        request.state.principal = principal
        try:
            purpose = parse_purpose(request.headers.get(PURPOSE_HEADER))
            basis = parse_basis(request.headers.get(BASIS_HEADER))
        except BadRequestHeader as err:
            return _error(400, str(err), "BAD_REQUEST_HEADER")
        gateway = self.gateway
        access = await build_access(gateway.engine, gateway.policies, principal, purpose, basis,
                                    dt.datetime.now(dt.timezone.utc))
        request.state.context = RequestContext(
            engine=gateway.engine,
            principal=principal,
            purpose=purpose,
            basis=basis,
            today=gateway.today(),
            access=access,
            reference=await reference_data(gateway.engine),
            profile=gateway.profile,
            max_page_size=settings.max_page_size,
            max_list_codes=settings.max_list_codes,
        )
        return None

    async def _principal(self, authorization: str | None) -> Principal:
        if authorization is None:
            return Principal.anonymous()
        if self.gateway.settings.jwks_url:  # may fetch keys over the network: keep it off the event loop
            return await run_in_threadpool(self.gateway.verifier.verify, authorization)
        return self.gateway.verifier.verify(authorization)


def create_app(settings: Settings, *, engine: AsyncEngine | None = None, verifier: TokenVerifier | None = None,
               policies: PolicyEngine | None = None, sync_policies: bool = False, query_log: bool = True,
               on_startup: Callable | None = None, today: Callable[[], dt.date] = dt.date.today) -> Starlette:
    """The application. Tests pass their own engine; `serve` lets it create one from settings.

    With `sync_policies` the policies come from the database and follow its changes (serve);
    otherwise `policies`, or the shipped policy file, are used as they are (tests, benchmarks).
    """
    from gateway.startup import identity_config

    owned_engine = engine is None
    engine = engine or create_engine(settings.resolved_database_url)
    verifier = verifier or TokenVerifier(identity_config(settings))
    profile = load_profile(settings.profile)
    policies = policies or policy_engine(profile)
    gateway = Gateway(settings=settings, engine=engine, verifier=verifier, profile=profile, policies=policies,
                      query_log=QueryLogWriter(engine) if query_log else None, today=today)
    sync = PolicySync(engine, policies, profile, settings.policy_file) if sync_policies else None
    schema = build_schema(max_depth=settings.max_query_depth, max_tokens=settings.max_query_tokens,
                          max_aliases=settings.max_query_aliases, max_fields=settings.max_query_fields)
    handler = GraphQLHandler(schema, graphql_ide=None, allow_queries_via_get=True)
    endpoint = GraphQLEndpoint(gateway, handler)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # the database is down or unreachable: not ready
            log.warning("readiness check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ready", "database": "reachable"})

    async def metrics(_request: Request) -> Response:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        if on_startup is not None:
            await on_startup(engine)
        if sync is not None:
            await sync.start()
        try:
            yield
        finally:
            if sync is not None:
                await sync.stop()
            if gateway.query_log is not None:
                await gateway.query_log.close()
            if owned_engine:
                await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            upload_route(settings),
            Mount("/static/graphiql", app=static_files_app(), name="graphiql-static"),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ],
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    return app
