"""`GET /sources`: the admitted federated sources and their health, for operators and auditors (issue 18).

`/readyz` stays about the gateway itself (a source that is down gives partial answers, never an
unready gateway); this page says which sources are in force and how their calls fare, as the
request fetcher reports it (`health()`: source name -> status), else "unknown".
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.identity import AuthenticationError, authentication_error_response, bearer_principal
from gateway.responses import error_response
from resolvers.sources import source_health
from store.sources import admitted

READERS = frozenset({"operator", "auditor"})


def sources_route(gateway) -> Route:
    async def endpoint(request: Request) -> JSONResponse:
        try:
            principal = await bearer_principal(
                gateway.verifier, request.headers.get("authorization"),
                "/sources needs an operator's or auditor's token: Authorization: Bearer <token>")
        except AuthenticationError as err:
            return authentication_error_response(err)
        if not READERS & set(principal.roles):
            return error_response(403, "/sources is for the credit centre's operators and auditors (a token with "
                                       "role operator or auditor)", "FORBIDDEN")
        sources, version = await admitted(gateway.engine)
        health = await source_health(gateway.remote_fetcher)
        return JSONResponse({"version": version, "sources": [{
            "name": s.name, "url": s.url, "version": s.version, "sdlHash": s.sdl_hash,
            "fields": [{"field": f, "catalogueItem": i} for f, i in sorted(s.fields.items())],
            "admittedAt": s.admitted_at.isoformat(), "health": health.get(s.name, "unknown"),
        } for s in sources]}, headers={"Cache-Control": "no-store"})

    return Route("/sources", endpoint, methods=["GET"])
