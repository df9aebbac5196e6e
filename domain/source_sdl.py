"""Which department SDLs may extend `Subject` (issue 18, admission), decided from the text alone.

A department's live source is a GraphQL subgraph; the gateway serves its fields on `Subject`
under the rules of stored records. It admits only the narrow case it can govern exactly:

- the source extends `Subject @key(fields: "code")` (`extend type Subject`, Federation 1 style, or
  `type Subject`, Federation 2 style) with `code: String!` or `code: ID!` as its only key field;
- every other field of Subject is read-only, nullable and takes no arguments, and its type is a
  scalar, an enum, a list, or an object type defined in the SDL that holds no entity (one hop:
  the source answers for the subject it is asked about, never for another entity);
- no Mutation or Subscription, no Query fields but federation's plumbing (`_entities`,
  `_service`), no `@requires`, `@provides`, `@override`, no interfaces, unions (but
  federation's `_Entity`), input types, other entities (`@key` on another type) or extensions of
  other types;
- no name of a field or type the gateway already serves, or that another admitted source brings.

Every refusal names the offending definition (type, field) and its line. Pure: graphql-core's
parser only, no schema is built here (schema/remote_fields.py builds the served types).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from graphql import (
    DefinitionNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    GraphQLSyntaxError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    parse,
)

SUBJECT = "Subject"
KEY_FIELD = "code"
BUILT_IN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})
# Federation's plumbing, which every subgraph prints and the gateway ignores.
PLUMBING_TYPES = frozenset({"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet", "federation__FieldSet",
                            "federation__Scope", "federation__Policy", "federation__ContextFieldValue",
                            "link__Import", "link__Purpose"})
PLUMBING_QUERY_FIELDS = frozenset({"_entities", "_service"})
FORBIDDEN_DIRECTIVES = frozenset({"requires", "provides", "override", "federation__requires",
                                  "federation__provides", "federation__override"})
MAX_SDL_CHARS = 200_000


@dataclass(frozen=True)
class SdlProblem:
    """One reason an SDL is refused: the definition at fault, where it is, and what is wrong."""

    definition: str  # "Subject.licences", "type Mutation", "the SDL"
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.definition}{where}: {self.message}"


class SourceSdlRefused(ValueError):
    """The SDL cannot be admitted; `problems` names each offending definition."""

    def __init__(self, problems: list[SdlProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class SourceSdl:
    """An admitted SDL: the fields it adds to Subject (name -> printed type) and the types it defines."""

    sdl: str
    fields: Mapping[str, str]  # remote field on Subject -> its type as written, e.g. "[Licence!]"
    types: frozenset[str] = field(default_factory=frozenset)  # object, enum and scalar types it defines


def _line(node) -> int | None:
    loc = getattr(node, "loc", None)
    return loc.source.get_location(loc.start).line if loc is not None and loc.source is not None else None


def _named(type_node: TypeNode) -> str:
    while isinstance(type_node, (ListTypeNode, NonNullTypeNode)):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value


def _printed(type_node: TypeNode) -> str:
    if isinstance(type_node, NonNullTypeNode):
        return _printed(type_node.type) + "!"
    if isinstance(type_node, ListTypeNode):
        return f"[{_printed(type_node.type)}]"
    return type_node.name.value


def _directive_names(node) -> list[DirectiveNode]:
    return list(getattr(node, "directives", None) or ())


def _key_fields(directive: DirectiveNode) -> str | None:
    for argument in directive.arguments or ():
        if argument.name.value == "fields" and isinstance(argument.value, StringValueNode):
            return " ".join(argument.value.value.split())
    return None


class _Checker:
    def __init__(self, sdl: str, reserved_types: Iterable[str], reserved_fields: Iterable[str],
                 taken: Mapping[str, str]) -> None:
        self.sdl = sdl
        self.reserved_types = frozenset(reserved_types)
        self.reserved_fields = frozenset(reserved_fields)
        self.taken = taken  # field or type name -> the admitted source that brings it
        self.problems: list[SdlProblem] = []

    def refuse(self, definition: str, node, message: str) -> None:
        self.problems.append(SdlProblem(definition, _line(node), message))

    def check(self) -> SourceSdl:
        if len(self.sdl) > MAX_SDL_CHARS:
            raise SourceSdlRefused([SdlProblem("the SDL", None, f"{len(self.sdl):,} characters; at most "
                                                                f"{MAX_SDL_CHARS:,}")])
        try:
            document = parse(self.sdl, no_location=False)
        except GraphQLSyntaxError as exc:
            line = exc.locations[0].line if exc.locations else None
            raise SourceSdlRefused([SdlProblem("the SDL", line, f"is not valid GraphQL SDL: {exc.message}")]) from None
        objects: dict[str, ObjectTypeDefinitionNode] = {}
        enums: set[str] = set()
        scalars: set[str] = set()
        subject_fields: list[FieldDefinitionNode] = []
        subject_seen = False
        for definition in document.definitions:
            kind = self._kind_of(definition)
            name = definition.name.value if getattr(definition, "name", None) else None
            if isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
                self._check_schema(definition)
            elif isinstance(definition, DirectiveDefinitionNode):
                continue  # declarations of directives; their uses are checked where they are used
            elif name in PLUMBING_TYPES:
                continue
            elif name in ("Mutation", "Subscription"):
                self.refuse(f"{kind} {name}", definition, f"a source is read-only: {name} is not admitted")
            elif name == "Query":
                self._check_query(definition)
            elif name == SUBJECT and isinstance(definition, (ObjectTypeDefinitionNode, ObjectTypeExtensionNode)):
                subject_seen = True
                subject_fields += self._check_subject(definition)
            elif isinstance(definition, (InterfaceTypeDefinitionNode, InterfaceTypeExtensionNode)):
                self.refuse(f"interface {name}", definition, "interfaces are not admitted: define object types")
            elif isinstance(definition, (UnionTypeDefinitionNode, UnionTypeExtensionNode)):
                self.refuse(f"union {name}", definition, "unions are not admitted: define object types")
            elif isinstance(definition, (InputObjectTypeDefinitionNode, InputObjectTypeExtensionNode)):
                self.refuse(f"input {name}", definition, "input types are not admitted: remote fields take no "
                                                         "arguments")
            elif isinstance(definition, ObjectTypeExtensionNode) or not isinstance(
                    definition, (ObjectTypeDefinitionNode, EnumTypeDefinitionNode, ScalarTypeDefinitionNode)):
                self.refuse(f"{kind} {name}", definition, f"only extensions of {SUBJECT} are admitted")
            elif self._check_type_name(kind, definition):
                if isinstance(definition, ObjectTypeDefinitionNode):
                    objects[name] = definition
                elif isinstance(definition, EnumTypeDefinitionNode):
                    enums.add(name)
                else:
                    scalars.add(name)
        if not subject_seen:
            self.problems.insert(0, SdlProblem("the SDL", None, f'extends no {SUBJECT}: a source must extend '
                                                                f'`{SUBJECT} @key(fields: "code")`'))
        defined = BUILT_IN_SCALARS | enums | scalars | set(objects)
        for name, definition in objects.items():
            self._check_object(name, definition, objects, defined)
        fields: dict[str, str] = {}
        for node in subject_fields:
            fields[node.name.value] = _printed(node.type)
            self._check_type_ref(f"{SUBJECT}.{node.name.value}", node, defined)
        if not fields and subject_seen:
            self.problems.append(SdlProblem(SUBJECT, None, "adds no field to Subject besides its key"))
        if self.problems:
            raise SourceSdlRefused(self.problems)
        return SourceSdl(self.sdl, fields, frozenset(set(objects) | enums | scalars))

    @staticmethod
    def _kind_of(definition: DefinitionNode) -> str:
        words = {ObjectTypeDefinitionNode: "type", ObjectTypeExtensionNode: "extend type",
                 EnumTypeDefinitionNode: "enum", ScalarTypeDefinitionNode: "scalar"}
        return words.get(type(definition), type(definition).__name__.removesuffix("Node")
                         .replace("TypeDefinition", "").replace("TypeExtension", " extension").lower())

    def _check_schema(self, definition) -> None:
        for operation in definition.operation_types or ():
            if operation.operation.value != "query":
                self.refuse(f"schema {operation.operation.value}", operation,
                            f"a source is read-only: {operation.operation.value} is not admitted")

    def _check_query(self, definition) -> None:
        for node in definition.fields or ():
            if node.name.value not in PLUMBING_QUERY_FIELDS:
                self.refuse(f"Query.{node.name.value}", node, "a source's Query holds federation's plumbing "
                                                              "(_entities, _service) only: its facts are "
                                                              f"fields of {SUBJECT}")

    def _check_type_name(self, kind: str, definition) -> bool:
        name = definition.name.value
        if name in self.reserved_types:
            self.refuse(f"{kind} {name}", definition, f"the gateway already serves a type named {name}: rename it")
            return False
        if name in self.taken:
            self.refuse(f"{kind} {name}", definition, f"source {self.taken[name]} already brings a type named "
                                                      f"{name}: rename it")
            return False
        return True

    def _forbidden_directives(self, where: str, node) -> None:
        for directive in _directive_names(node):
            if directive.name.value in FORBIDDEN_DIRECTIVES:
                self.refuse(where, directive, f"@{directive.name.value.removeprefix('federation__')} is not "
                                              "admitted: a source answers for the subject it is asked about only")

    def _check_subject(self, definition) -> list[FieldDefinitionNode]:
        keys = [d for d in _directive_names(definition) if d.name.value in ("key", "federation__key")]
        self._forbidden_directives(SUBJECT, definition)
        if len(keys) != 1 or _key_fields(keys[0]) != KEY_FIELD:
            given = ", ".join(f'@key(fields: "{_key_fields(k)}")' for k in keys) or "no @key"
            self.refuse(SUBJECT, definition, f'must be keyed by @key(fields: "code") alone, not {given}')
        if definition.interfaces:
            self.refuse(SUBJECT, definition, "implements interfaces: not admitted")
        remote: list[FieldDefinitionNode] = []
        for node in definition.fields or ():
            name = node.name.value
            where = f"{SUBJECT}.{name}"
            if name == KEY_FIELD:
                if _printed(node.type) not in ("String!", "ID!"):
                    self.refuse(where, node, f"the key field must be `code: String!` (or ID!), not "
                                             f"{_printed(node.type)}")
                continue
            ok = True
            for directive in _directive_names(node):
                if directive.name.value in ("external", "federation__external"):
                    self.refuse(where, directive, "@external is admitted on the key field `code` only")
                    ok = False
            self._forbidden_directives(where, node)
            if isinstance(node.type, NonNullTypeNode):
                self.refuse(where, node, f"is non-null ({_printed(node.type)}): remote fields must be nullable, "
                                         "so a refused or failed field can be null")
                ok = False
            if node.arguments:
                self.refuse(where, node, "takes arguments: remote fields take none")
                ok = False
            if name in self.reserved_fields:
                self.refuse(where, node, f"the gateway's Subject already has a field {name}: rename it")
                ok = False
            elif name in self.taken:
                self.refuse(where, node, f"source {self.taken[name]} already brings Subject.{name}: rename it")
                ok = False
            if ok:
                remote.append(node)
        return remote

    def _check_object(self, name: str, definition: ObjectTypeDefinitionNode, objects, defined) -> None:
        for directive in _directive_names(definition):
            if directive.name.value in ("key", "federation__key"):
                self.refuse(f"type {name}", directive, "is an entity (@key): a source may extend Subject only, "
                                                       "no other entity")
        self._forbidden_directives(f"type {name}", definition)
        if definition.interfaces:
            self.refuse(f"type {name}", definition, "implements interfaces: not admitted")
        for node in definition.fields or ():
            where = f"{name}.{node.name.value}"
            self._forbidden_directives(where, node)
            if node.arguments:
                self.refuse(where, node, "takes arguments: fields of a source's types take none")
            if _named(node.type) == SUBJECT:
                self.refuse(where, node, f"refers to {SUBJECT}, an entity: a source's types hold plain values only")
            else:
                self._check_type_ref(where, node, defined)

    def _check_type_ref(self, where: str, node: FieldDefinitionNode, defined) -> None:
        named = _named(node.type)
        if named == SUBJECT:
            self.refuse(where, node, f"refers to {SUBJECT}, an entity: a source's fields hold plain values only")
        elif named not in defined:
            self.refuse(where, node, f"has type {named}, which the SDL does not define (or which is refused)")


def check_source_sdl(sdl: str, *, reserved_types: Iterable[str] = (), reserved_fields: Iterable[str] = (),
                     taken: Mapping[str, str] | None = None) -> SourceSdl:
    """The SDL's fields on Subject and its types, or SourceSdlRefused naming every offending definition.

    `reserved_types` / `reserved_fields`: the gateway's own type names and Subject's own fields;
    `taken`: field and type names other admitted sources bring, each with its source's name.
    """
    return _Checker(sdl, reserved_types, reserved_fields, taken or {}).check()
