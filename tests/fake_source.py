"""A department source for tests (issue 18): a real Federation 2 subgraph that records what it received
and misbehaves on request.

`running_fake_source(key)` starts it in a uvicorn subprocess (`python -m tests.fake_source`) and yields
a `FakeSource` handle. The source extends `Subject @key(fields: "code")` with `licences` (a list of
objects, the demo source's shape) and `rating` (a scalar). Every call is recorded: its headers, the
codes sent, and which field was resolved for which code, so a test can assert that a subject the
policies refused was never sent. `mode(...)` makes the next calls misbehave:

- "ok": answer truthfully;           - "reorder": entities reversed;       - "short": the last one dropped;
- "duplicate": the first repeated in place of the second;   - "null": every other entity null;
- "wrongcode": each entity names another subject;           - "garbage": a body that is not JSON;
- "notgraphql": JSON that is not a GraphQL response;        - "http500": a 500 page;
- "slow": answers after `delay` seconds;                    - "errors": a per-entity error with a secret
  message at every other entity's fields;                   - "badshape": every field answered as a number.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass

import httpx
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.types import Info

SECRET_MESSAGE = "internal: row 42 of licences_db for 张三 failed"  # an upstream message that must never be forwarded


@strawberry.type(description="A licence (test shape).")
class Licence:
    number: str
    holder: str  # the code the source resolved it for: misattribution shows as a wrong holder


@strawberry.federation.type(keys=["code"], extend=True)
class Subject:
    code: strawberry.ID

    @strawberry.field
    def licences(self, info: Info) -> list[Licence] | None:
        info.context["resolved"].append([self.code, "licences"])
        return [Licence(number=f"L-{self.code[-4:]}-1", holder=self.code)]

    @strawberry.field
    def rating(self, info: Info) -> str | None:
        info.context["resolved"].append([self.code, "rating"])
        return f"R-{self.code}"

    @classmethod
    def resolve_reference(cls, code: strawberry.ID) -> "Subject":
        return cls(code=code)


schema = strawberry.federation.Schema(types=[Subject], federation_version="2.3")


class _State:
    calls: list[dict] = []
    mode: str = "ok"
    delay: float = 0.0


def _misbehave(answer: dict, mode: str) -> dict:
    data = answer.get("data") or {}
    for alias, entities in list(data.items()):
        if not isinstance(entities, list):
            continue
        if mode == "reorder":
            data[alias] = entities[::-1]
        elif mode == "short":
            data[alias] = entities[:-1]
        elif mode == "duplicate" and len(entities) > 1:
            data[alias] = [entities[0], entities[0], *entities[2:]]
        elif mode == "null":
            data[alias] = [None if i % 2 else e for i, e in enumerate(entities)]
        elif mode == "wrongcode":
            data[alias] = [{**e, "code": e["code"] + "0"} for e in entities]
        elif mode == "badshape":
            data[alias] = [{k: (v if k == "code" else 42) for k, v in e.items()} for e in entities]
        elif mode == "errors":
            errors = answer.setdefault("errors", [])
            for i, entity in enumerate(entities):
                if i % 2:
                    for key in [k for k in entity if k != "code"]:
                        entity[key] = None
                        errors.append({"message": SECRET_MESSAGE, "path": [alias, i, key]})
    return answer


async def graphql(request: Request) -> Response:
    body = await request.body()
    payload = json.loads(body)
    codes = [r.get("code") for reps in (payload.get("variables") or {}).values() for r in reps]  # before strawberry
    resolved: list = []
    result = await schema.execute(payload["query"], variable_values=payload.get("variables"),
                                  context_value={"resolved": resolved})
    _State.calls.append({"headers": dict(request.headers), "codes": codes, "resolved": resolved,
                         "query": payload["query"], "body": body.decode()})
    mode = _State.mode
    if mode == "slow":
        await asyncio.sleep(_State.delay)
    if mode == "garbage":
        return Response(b"<html>\x00\xff not json", media_type="application/json")
    if mode == "notgraphql":
        return JSONResponse([1, 2, 3])
    if mode == "http500":
        return Response("<h1>500 Internal Server Error</h1>", status_code=500, media_type="text/html")
    answer: dict = {"data": result.data}
    if result.errors:
        answer["errors"] = [e.formatted for e in result.errors]
    return JSONResponse(_misbehave(answer, mode), headers={"X-Request-Id": f"fake-{len(_State.calls)}"})


async def control(request: Request) -> Response:
    """POST {"mode": …, "delay": …} sets the behaviour and forgets the calls; GET lists the calls."""
    if request.method == "POST":
        given = await request.json()
        _State.mode, _State.delay, _State.calls = given.get("mode", "ok"), float(given.get("delay", 0)), []
        return JSONResponse({"mode": _State.mode})
    return JSONResponse(_State.calls)


def create_app(key: str | None):
    app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"]),
                            Route("/_control", control, methods=["GET", "POST"])])
    if not key:
        return app
    from demo.licensing_source.signed import signed_only

    checked = signed_only(app, key)

    async def routed(scope, receive, send):  # the control endpoint is the test's, not the gateway's
        await (app if scope.get("path") == "/_control" else checked)(scope, receive, send)

    return routed


@dataclass
class FakeSource:
    base: str

    @property
    def url(self) -> str:
        return f"{self.base}/graphql"

    def mode(self, mode: str, delay: float = 0.0) -> None:
        httpx.post(f"{self.base}/_control", json={"mode": mode, "delay": delay}, timeout=5).raise_for_status()

    def calls(self) -> list[dict]:
        return httpx.get(f"{self.base}/_control", timeout=5).json()


@contextlib.contextmanager
def running_source(module: str, args: list[str], *, timeout: float = 30):
    """Run `python -m module --port N …` until it listens; yield its base URL; stop it afterwards."""
    from tests.server import free_port, stop, wait_until_ready

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), *args],
                               env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, lambda: httpx.get(base + "/", timeout=1) is not None, module, timeout)  # any answer
        yield base
    finally:
        stop(process)


@contextlib.contextmanager
def running_fake_source(key: str | None = None):
    """The fake source in a subprocess, answering calls signed with `key` only (any call when None)."""
    with running_source("tests.fake_source", ["--key", key or ""]) as base:
        yield FakeSource(base)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", default="")
    args = parser.parse_args()
    uvicorn.run(create_app(args.key or None), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
