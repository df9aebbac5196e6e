"""The licensing bureau's live licences: a small department source the gateway federates (issue 18).

`python -m demo.licensing_source --port 8101 --key-file data/licensing.key` serves it; it answers
only calls signed with the key it was admitted with (domain/source_signing.py), 401 otherwise.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from demo.licensing_source.schema import schema
from demo.licensing_source.signed import signed_only


def create_app(key: str):
    """The source's ASGI application: GraphQL at `/graphql` (and `/`), signed calls only."""
    graphql = GraphQL(schema, graphql_ide=None)
    app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"]), Route("/", graphql, methods=["POST"])])
    return signed_only(app, key)
