"""The served schema grown by the admitted sources' fields on Subject (issue 18).

The gateway's own schema is built by strawberry as always; each admitted SDL is then built with
graphql-core (`build_ast_schema`) and its Subject fields and types are grafted onto that schema
instance's `Subject` (every build has its own graphql-core types, so no other schema changes).
Validation, the document cache (one per schema instance, so a cached document was validated
against the schema it runs on), the cost limits (which read the document only) and the query log
all work unchanged. Nested values are the source's JSON objects, read by graphql-core's default
resolver. `_service { sdl }` stays the gateway's own SDL: a router composes the departments'
subgraphs itself (README, Running behind Hive Gateway).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    DocumentNode,
    FieldDefinitionNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    InlineFragmentNode,
    NameNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    DirectiveDefinitionNode,
    SelectionSetNode,
    build_ast_schema,
    parse,
)

from domain.source_sdl import PLUMBING_TYPES, SUBJECT
from resolvers.remote_fields import resolve_remote
from resolvers.remote_sources import RemoteSource
from resolvers.sources import Reserved


@dataclass(frozen=True)
class ServedSource:
    """An admitted source as the schema serves it: its SDL in force and its binding."""

    source: RemoteSource
    sdl: str


@lru_cache(maxsize=1)
def gateway_names() -> Reserved:
    """The gateway's own type names and Subject's own fields, which no source may take."""
    from schema.build import build_schema

    schema = build_schema()._schema
    return Reserved(frozenset(schema.type_map), frozenset(schema.type_map[SUBJECT].fields))


@lru_cache(maxsize=64)
def _built(sdl: str) -> tuple[dict[str, GraphQLField], dict[str, GraphQLNamedType]]:
    """The SDL's Subject fields and its own types, as graphql-core types (the SDL was admitted)."""
    kept, subject_fields = [], []
    for definition in parse(sdl).definitions:
        if isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode, DirectiveDefinitionNode)):
            continue
        name = definition.name.value
        if name in PLUMBING_TYPES or name == "Query":
            continue
        if name == SUBJECT and isinstance(definition, (ObjectTypeDefinitionNode, ObjectTypeExtensionNode)):
            subject_fields += [f for f in definition.fields or () if f.name.value != "code"]
            continue
        kept.append(definition)
    holder = ObjectTypeDefinitionNode(name=NameNode(value=SUBJECT), fields=tuple(subject_fields), directives=(),
                                      interfaces=())
    query = ObjectTypeDefinitionNode(name=NameNode(value="Query"), directives=(), interfaces=(), fields=(
        FieldDefinitionNode(name=NameNode(value="subject"), type=NamedTypeNode(name=NameNode(value=SUBJECT)),
                            arguments=(), directives=()),))
    built = build_ast_schema(DocumentNode(definitions=(*kept, holder, query)), assume_valid_sdl=True)
    types = {name: t for name, t in built.type_map.items()
             if not name.startswith("__") and name not in (SUBJECT, "Query") and name not in
             ("String", "Int", "Float", "Boolean", "ID")}
    return dict(built.type_map[SUBJECT].fields), types  # shared by the schemas that serve this SDL: never edited


def selection_of(field_nodes: Sequence[FieldNode], fragments) -> str:
    """The client's sub-selection of a remote field, as the source is asked for it: fragments
    inlined, aliases and `__typename` dropped (values are read by field name), same fields merged."""
    sets = [n.selection_set for n in field_nodes if n.selection_set is not None]
    return _printed(sets, fragments) if sets else ""


def _printed(sets: Sequence[SelectionSetNode], fragments) -> str:
    merged: dict[str, list[SelectionSetNode]] = {}

    def walk(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value == "__typename":
                    continue
                subs = merged.setdefault(selection.name.value, [])
                if selection.selection_set is not None:
                    subs.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
                walk(fragments[selection.name.value].selection_set)

    for selection_set in sets:
        walk(selection_set)
    if not merged:
        return "{ __typename }"
    return "{ " + " ".join(name + (" " + _printed(subs, fragments) if subs else "")
                           for name, subs in merged.items()) + " }"


def _resolver(source_name: str, field: str):
    async def resolve(root, info):
        row = root.row
        return await resolve_remote(info.context, source_name, field, row.code, row.kind,
                                    selection_of(info.field_nodes, info.fragments), info.path.as_list(),
                                    getattr(root, "as_of", None))

    return resolve


def _described(field: GraphQLField, source: RemoteSource, name: str) -> None:
    item = source.fields[name]
    own = (field.description or "").strip()
    field.description = ((own + " ") if own else "") + (
        f"Live from source `{source.name}` (version {source.version}), governed as catalogue item {item}: null "
        f"with FORBIDDEN when the reader may not read records of that item about this subject (the source is not "
        "asked), null with SOURCE_UNAVAILABLE, SOURCE_TIMEOUT or SOURCE_INVALID when the source fails; not "
        "answered for a subject read asOf.")


_OWN_SDL: list[str] = []


def _own_sdl_text(schema) -> str:
    """The gateway's own SDL, the same for every build: printed once, from the first schema grown."""
    if not _OWN_SDL:
        _OWN_SDL.append(schema.as_str())
    return _OWN_SDL[0]


def grow(schema, sources: Sequence[ServedSource]) -> None:
    """Graft the sources' fields and types onto this schema instance (built for this purpose, never served
    before: requests in flight keep the schema they started on)."""
    graphql_schema = schema._schema
    own_sdl = _own_sdl_text(schema)
    graphql_schema.type_map["_Service"].fields["sdl"].resolve = lambda *_args, **_kw: own_sdl
    subject = graphql_schema.type_map[SUBJECT]
    fields = dict(subject.fields)
    for served in sources:
        remote_fields, types = _built(served.sdl)
        for name, named_type in types.items():
            graphql_schema.type_map[name] = named_type
        for name, built in remote_fields.items():
            if name not in served.source.fields:
                continue  # not bound: not served (admission binds every field)
            field = GraphQLField(**{**built.to_kwargs(), "resolve": _resolver(served.source.name, name)})
            _described(field, served.source, name)
            fields[name] = field
    subject.fields = fields  # graphql-core's cached property, replaced on this instance
    schema.remote_sources = {s.source.name: s.source for s in sources}
