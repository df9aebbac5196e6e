"""`GET /sources`: how the federated sources this worker calls are doing, for operators (issue 18).

Per source its circuit's state (`closed`, `open`, `half-open`), its last error and its last call's
latency, as this worker's SourceClient saw them (each worker has its own circuits). `/readyz` stays
about the gateway itself: a department source that is down makes answers PARTIAL, not the gateway
unready. Operators of the credit centre (role `operator`) only: the states say which departments'
systems are failing.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.identity import AuthenticationError, authentication_error_response


async def _sources(request: Request) -> Response:
    gateway = request.app.state.gateway
    header = request.headers.get("authorization")
    try:
        if header is None:
            raise AuthenticationError("missing", "the sources' health is for operators: Authorization: Bearer <token>")
        principal = await run_in_threadpool(gateway.verifier.verify, header)  # JWKS may fetch keys
    except AuthenticationError as err:
        return authentication_error_response(err)
    if "operator" not in principal.roles:
        return JSONResponse({"errors": [{"message": "the sources' health is for the credit centre's operators "
                                                    "(role operator)", "extensions": {"code": "FORBIDDEN"}}]},
                            status_code=403, headers={"Cache-Control": "no-store"})
    client = gateway.source_client
    return JSONResponse({"sources": client.health() if client is not None else {}},
                        headers={"Cache-Control": "no-store"})


def source_health_route() -> Route:
    return Route("/sources", _sources, methods=["GET"])
