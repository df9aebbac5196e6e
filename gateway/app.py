"""The ASGI application: GraphQL over HTTP, offline GraphiQL, health and metrics.

A request is authenticated (SPEC 4) and its purpose and basis parsed before any GraphQL work;
a bad token or header is refused with a JSON error and no data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Callable

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from strawberry.asgi import GraphQL

from domain.principal import Principal
from gateway.graphiql import graphiql_response, static_files_app
from gateway.identity import AuthenticationError, TokenVerifier, authentication_error_response
from gateway.requests import BASIS_HEADER, PURPOSE_HEADER, BadRequestHeader, parse_basis, parse_purpose
from gateway.settings import Settings
from domain.catalogue import JurisdictionProfile, load_profile
from gateway.policy_sync import PolicySync
from policies.engine import PolicyEngine
from policies.storage import policy_engine
from resolvers.access import build_access
from resolvers.context import RequestContext
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
    today: Callable[[], dt.date] = dt.date.today


def _error(status: int, message: str, code: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code, **extra}}]}, status_code=status)


class GraphQLHandler(GraphQL):
    """strawberry's ASGI handler with our context; its own GraphiQL (CDN-based) is off."""

    async def get_context(self, request: Request, response: Response) -> RequestContext:  # type: ignore[override]
        return request.state.context

    async def process_result(self, request: Request, result):  # type: ignore[override]
        """Adds the request's notices (e.g. records withheld for want of a purpose) as errors."""
        response = await super().process_result(request, result)
        access = request.state.context.access
        if access is not None and access.notices:
            response.setdefault("errors", [])
            response["errors"] += [{"message": n, "extensions": {"code": "PURPOSE_REQUIRED"}} for n in access.notices]
        return response


class GraphQLEndpoint:
    """`/graphql`: the page for browsers, GraphQL over HTTP (GET and POST) for everyone else."""

    def __init__(self, gateway: Gateway, handler: GraphQLHandler) -> None:
        self.gateway = gateway
        self.handler = handler

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        with LATENCY.time():
            response = await self._prepare(request)
            if response is None:
                status = {}

                async def watching_send(message):
                    if message["type"] == "http.response.start":
                        status["code"] = message["status"]
                    await send(message)

                await self.handler(scope, receive, watching_send)
                REQUESTS.labels(str(status.get("code", 0))).inc()
                return
            REQUESTS.labels(str(response.status_code)).inc()
            await response(scope, receive, send)

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
            scope=access.scope,
            access=access,
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
               policies: PolicyEngine | None = None, sync_policies: bool = False,
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
                      today=today)
    sync = PolicySync(engine, policies, profile, settings.policy_file) if sync_policies else None
    schema = build_schema(max_depth=settings.max_query_depth, max_tokens=settings.max_query_tokens)
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
            if owned_engine:
                await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            Mount("/static/graphiql", app=static_files_app(), name="graphiql-static"),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ],
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    return app
