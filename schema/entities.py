"""`_entities`, the field a federation router joins through (SPEC 4, Federation).

strawberry's own resolver (strawberry/federation/schema.py, `entities_resolver`) pops
`__typename` out of each representation and adds `info` to it, editing the client's variables
in place (the query log holds the same objects), takes any number of them, and answers a
missing key or an unknown type with an internal error. This one only reads the representations
(resolvers/entities.py checks them: at most `max_list_codes`, each fault named with its index)
and hands each entity type's `resolve_reference` its key as a keyword, so an entity is read
exactly as its own query field reads it: same policies, masking, loaders and query log.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from resolvers.entities import Reference, located, references
from resolvers.errors import BadUserInput, ClientError
from schema.types import SubjectType

ENTITY_TYPES = (SubjectType,)


def _key_fields(entity: type) -> tuple[str, ...]:
    """The entity's single-field @key directives, in declaration order (the preferred key first)."""
    fields = tuple(str(d.fields) for d in entity.__strawberry_definition__.directives if isinstance(d, Key))
    assert fields and all(" " not in f for f in fields), f"{entity.__name__}: only single-field keys are resolved"
    return fields


ENTITIES = {entity.__strawberry_definition__.name: entity for entity in ENTITY_TYPES}
ENTITY_KEYS = {name: _key_fields(entity) for name, entity in ENTITIES.items()}


async def _resolved(info: Info, reference: Reference) -> Any:
    entity = ENTITIES[reference.typename]
    try:
        return await entity.resolve_reference(info, **{reference.key: reference.value})
    except BadUserInput as error:
        raise located(reference.index, error) from None


class RouterUnsigned(ClientError):
    """A deployment with a router secret answers `_entities` only to calls its router signed."""

    code = "UNAUTHENTICATED"


class FederationEntities:
    """Mixed into the federation schema class: its `_entities` resolver, replacing strawberry's."""

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        if info.context.router_refusal is not None:  # CREDIT_GATEWAY_ROUTER_SECRET is set (gateway/app.py)
            raise RouterUnsigned(f"_entities answers only calls signed by this deployment's router: "
                                 f"{info.context.router_refusal}")
        resolved: list[Awaitable | Exception] = [
            _resolved(info, r) if isinstance(r, Reference) else r
            for r in references(info.context, representations, ENTITY_KEYS)
        ]
        return resolved  # type: ignore[return-value]  # graphql-core awaits each item, or raises the error
