"""A department's live source for tests (issue 18): a tiny strawberry federation subgraph (a licensing
bureau's licences, extending Subject by `code`), and SDLs that break each admission rule, served at
`/raw/<case>` as `_service { sdl }` answers. Run with uvicorn in a subprocess (`running_source`).

`/graphql` records the subject codes each `_entities` call named; `/received` returns them.
"""

from __future__ import annotations

import contextlib
import enum
import sys
from pathlib import Path
from typing import Optional

import httpx
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

RECEIVED: list[str] = []


@strawberry.enum(description="Whether a licence may be used.")
class LicenceState(enum.Enum):
    VALID = "VALID"
    SUSPENDED = "SUSPENDED"


@strawberry.type(description="A licence the bureau issued.")
class Licence:
    number: str
    state: LicenceState
    valid_until: Optional[str] = None


@strawberry.federation.type(keys=["code"], extend=True)
class Subject:
    code: strawberry.ID = strawberry.federation.field(external=True)

    @strawberry.field(description="The subject's current licences.")
    def licences(self) -> Optional[list[Licence]]:
        return [Licence(number=f"L-{self.code[-6:]}", state=LicenceState.VALID, valid_until="2027-12-31")]

    @strawberry.field(description="How many licences the subject holds.")
    def licence_count(self) -> Optional[int]:
        return 1

    @classmethod
    def resolve_reference(cls, code: strawberry.ID) -> "Subject":
        RECEIVED.append(str(code))
        return cls(code=code)


schema = strawberry.federation.Schema(types=[Subject])

GOOD_TAIL = 'extend type Subject @key(fields: "code") {\n  code: ID! @external\n  %s\n}\n'
RAW = {
    "good": GOOD_TAIL % "permits: [String]",
    "fed2": 'type Subject @key(fields: "code") {\n  code: String!\n  permitCount: Int\n}\n',
    "mutation": GOOD_TAIL % "permits: [String]" + "type Mutation {\n  revoke(code: String!): Boolean\n}\n",
    "subscription": GOOD_TAIL % "permits: [String]" + "type Subscription {\n  changed: String\n}\n",
    "query_field": GOOD_TAIL % "permits: [String]" + "type Query {\n  permit(number: String!): String\n}\n",
    "requires": GOOD_TAIL % 'permits: [String] @requires(fields: "name")',
    "provides": GOOD_TAIL % 'holder: Holder @provides(fields: "name")' + "type Holder {\n  name: String\n}\n",
    "override": GOOD_TAIL % 'permits: [String] @override(from: "gateway")',
    "interface": GOOD_TAIL % "permit: Permit" + "interface Permit {\n  number: String\n}\n",
    "union": GOOD_TAIL % "permit: Permit" + "type A {\n  a: Int\n}\n\nunion Permit = A\n",
    "other_entity": GOOD_TAIL % "permit: Permit" + 'type Permit @key(fields: "number") {\n  number: String\n}\n',
    "nested_subject": GOOD_TAIL % "permit: Permit" + "type Permit {\n  holder: Subject\n}\n",
    "non_null": GOOD_TAIL % "permits: [String]!",
    "arguments": GOOD_TAIL % "permits(year: Int): [String]",
    "field_clash": GOOD_TAIL % "records: [String]",
    "type_clash": GOOD_TAIL % "permit: Department" + "type Department {\n  code: String\n}\n",
    "wrong_key": 'extend type Subject @key(fields: "id") {\n  id: ID! @external\n  permits: [String]\n}\n',
    "no_subject": "type Permit {\n  number: String\n}\n",
    "syntax": "extend type Subject @key(fields: \"code\") {\n  code: ID!\n  permits: [String\n}\n",
}


async def raw(request: Request) -> JSONResponse:
    case = request.path_params["case"]
    return JSONResponse({"data": {"_service": {"sdl": RAW[case]}}})


async def received(_request: Request) -> JSONResponse:
    return JSONResponse(RECEIVED)


app = Starlette(routes=[Route("/graphql", GraphQL(schema), methods=["GET", "POST"]),
                        Route("/raw/{case}", raw, methods=["POST"]),
                        Route("/received", received)])


@contextlib.contextmanager
def running_source(timeout: float = 60):
    """Serve this module with uvicorn on a free port; yield its base URL; stop it afterwards."""
    from tests.server import free_port, running_process

    port = free_port()
    root = Path(__file__).resolve().parent.parent
    base = f"http://127.0.0.1:{port}"
    with running_process([sys.executable, "-m", "uvicorn", "tests.source_app:app", "--port", str(port),
                          "--log-level", "warning"], lambda: httpx.get(f"{base}/received", timeout=1).is_success,
                         cwd=root, env={"PYTHONPATH": str(root)}, timeout=timeout, name="the source"):
        yield base
