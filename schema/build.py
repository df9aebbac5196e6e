"""The assembled schema: an Apollo Federation 2 subgraph, with its document cache and limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from graphql.validation.validate import ValidationAbortedError
from graphql.validation.rules import overlapping_fields_can_be_merged
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.schema import validate_document

from schema.document_cache import DocumentCache
from schema.document_cost import CODE as QUERY_TOO_COMPLEX
from schema.document_cost import DocumentLimits, assess
from schema.entities import FederationEntities
from schema.instants import DATETIME
from schema.query import Mutation, Query
from schema.records import RECORD_TYPES
from store.availability import is_database_unavailable
from store.json_safe import json_safe

if TYPE_CHECKING:
    from schema.remote_fields import ServedSource

# Errors with one of these codes were written for the client; anything else is masked.
CLIENT_ERROR_CODES = {"BAD_USER_INPUT", "FORBIDDEN", "PURPOSE_REQUIRED", "BAD_REQUEST", "NOT_FOUND",
                      "UNAUTHENTICATED",  # an unsigned router call to _entities (schema/entities.py)
                      # a federated source's failure, at the remote field's path (issue 18)
                      "SOURCE_UNAVAILABLE", "SOURCE_TIMEOUT", "SOURCE_INVALID"}


# Apollo Federation's fields, for a router (SPEC 4, Federation); clients need neither.
FEDERATION_FIELDS = {
    "_entities": "Federation plumbing, for a router: the subjects named by `representations` (at most 100; by "
                 "`id`, else `code`), read exactly as `subject` reads them. Clients ask `subject` or `node`.",
    "_service": "Federation plumbing, for a router: this subgraph's SDL (`sdl`), with its federation directives.",
}
FEDERATION_ARGUMENTS = {
    ("_entities", "representations"): "The entities to resolve, as the router sends them: objects with "
                                      "`__typename: \"Subject\"` and its key, `id` or `code` (at most 100).",
}


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:  # syntax and validation errors: the client's own document, safe to show
        return False
    if not error.path:  # raised before execution: coercing the client's own variables (e.g. a bad date)
        return False
    if isinstance(original, GraphQLError):
        return (original.extensions or {}).get("code") not in CLIENT_ERROR_CODES
    return True


class OperationCapture(SchemaExtension):
    """Hands the document, operation and variables to the request context for the query log."""

    def on_operation(self):
        execution = self.execution_context
        operation = getattr(execution.context, "operation", None)
        if operation is not None:
            operation.document = execution.query
            operation.name = execution.operation_name
            # a copy, taken now: resolvers may edit the variables in place (_entities does)
            operation.variables = json_safe(execution.variables or {})
        yield
        if operation is not None:
            try:
                operation.type = execution.operation_type.value
            except Exception:  # the document did not parse: there is no operation type
                operation.type = None
            if operation.name is None and execution.graphql_document is not None:
                # the request did not name it: the document's (first) operation name, if it has one
                from strawberry.utils.operation import get_first_operation

                definition = get_first_operation(execution.graphql_document)
                operation.name = definition.name.value if definition and definition.name else None

    def on_execute(self):
        """Reached only when the document parsed and validated: errors without a path after this
        point are the variables' (BAD_USER_INPUT), before it the document's."""
        operation = getattr(self.execution_context.context, "operation", None)
        if operation is not None:
            operation.executed = True
        yield


class GatewaySchema(FederationEntities, strawberry.federation.Schema):
    """Logs unexpected errors with their stack trace; errors written for the client are not failures.

    A resolver that met an unreachable database marks the operation, so that the request is answered
    503 as a whole instead of with a `null` that would mean "not found" (SPEC 3.6). `_entities` is
    schema/entities.py's (representations read, not edited; same rules as `subject`).
    """

    def _get_federation_query_type(self, *args, **kwargs) -> type:
        """Query with federation's plumbing described and listed last: GraphiQL's docs read as a manual."""
        query = super()._get_federation_query_type(*args, **kwargs)
        fields = query.__strawberry_definition__.fields
        plumbing = [f for f in fields if f.graphql_name in FEDERATION_FIELDS]
        for field in plumbing:
            field.description = FEDERATION_FIELDS[field.graphql_name]
            for argument in field.arguments:
                argument.description = FEDERATION_ARGUMENTS[(field.graphql_name, argument.python_name)]
        fields[:] = [f for f in fields if f not in plumbing] + plumbing
        return query

    def process_errors(self, errors, execution_context=None) -> None:
        operation = getattr(getattr(execution_context, "context", None), "operation", None)
        if operation is not None and any(is_database_unavailable(e.original_error) for e in errors):
            operation.database_failure = True
        unexpected = [e for e in errors if _should_mask(e)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


class MaskUnexpected(MaskErrors):
    """strawberry's masking, with the code every error the gateway writes carries."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


def token_limit(max_tokens: int) -> type[SchemaExtension]:
    """The parser stops after `max_tokens` tokens (names, punctuators, values); a document it stopped
    is refused like every other limit, QUERY_TOO_COMPLEX with the measure and the limit, not as a
    syntax error (GRAPHQL_PARSE_FAILED) of a document that may well be valid GraphQL."""

    class TokenLimit(SchemaExtension):
        def on_operation(self):
            self.execution_context.parse_options["max_tokens"] = max_tokens
            yield

        def on_parse(self):
            yield
            for error in self.execution_context.pre_execution_errors or []:
                # graphql-core's words when it stops: "Document contains more than N tokens. Parsing aborted."
                if isinstance(error, GraphQLSyntaxError) and "tokens. Parsing aborted" in error.message:
                    # the same object strawberry answers with: changed in place
                    error.message = (f"The document has more than {max_tokens} tokens (names, punctuation and "
                                     f"values): at most {max_tokens} are read. Send a shorter document, with "
                                     "variables for long values.")
                    error.extensions = {"code": QUERY_TOO_COMPLEX, "measure": "tokens", "limit": max_tokens}

    return TokenLimit


# graphql-core's own meter of OverlappingFieldsCanBeMerged's work (default 500,000 units: about a
# second). The document's cost checks refuse the usual ways of spending it before validation;
# this bounds the rest to a few milliseconds. Real queries spend none or a few hundred units.
VALIDATION_BUDGET = 5_000


def checked_documents(limits: DocumentLimits, cache: DocumentCache) -> type[SchemaExtension]:
    """Parsing, the document's cost check and validation, reusing what a repeated text got before.

    The cost check (schema/document_cost.py) runs after parsing and before graphql-core's
    validation, which it spares the documents whose expansion is huge. A document that passed both
    is offered to the cache (schema/document_cache.py), which keeps only texts clients repeat.
    """

    class CheckedDocuments(SchemaExtension):
        def on_parse(self):
            execution = self.execution_context
            execution.graphql_document = cache.get(execution.query)  # None: strawberry parses it
            self.known = execution.graphql_document is not None
            yield

        def on_validate(self):
            execution = self.execution_context
            if self.known:
                execution.pre_execution_errors = []
                yield
                return
            refusal = assess(execution.graphql_document, limits)
            if refusal is not None:
                execution.pre_execution_errors = [refusal.error()]
                yield
                return
            errors = validate_document(execution.schema._schema, execution.graphql_document,
                                       execution.validation_rules)
            execution.pre_execution_errors = [_named_abort(e) for e in errors]
            if not errors:
                cache.validated(execution.query, execution.graphql_document)
            yield

    return CheckedDocuments


def _named_abort(error: GraphQLError) -> GraphQLError:
    """graphql-core's "Validation aborted." (its work budget, or recursion, ran out) with our code."""
    if not isinstance(error, ValidationAbortedError) or error.message != "Validation aborted.":
        return error  # including "Too many validation errors": the document's own mistakes
    return GraphQLError("The document is too complex to validate: simplify it (fewer repeated fields "
                        "and fragments at one level, less nesting).",
                        extensions={"code": QUERY_TOO_COMPLEX, "measure": "validation",
                                    "limit": VALIDATION_BUDGET})


def build_schema(*, max_depth: int = 12, max_tokens: int = 4000, max_aliases: int = 30,
                 max_fields: int = 1000, sources: Sequence["ServedSource"] = ()) -> strawberry.Schema:
    """The gateway's schema; with `sources`, grown by their fields on Subject (schema/remote_fields.py).
    Without, it is the gateway's own schema: what `credit-gateway schema` prints and a router composes."""
    limits = DocumentLimits(max_depth=max_depth, max_aliases=max_aliases, max_fields=max_fields)
    documents = DocumentCache()
    overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = VALIDATION_BUDGET  # process-wide, same value
    schema = GatewaySchema(
        scalar_overrides={dt.datetime: DATETIME},
        query=Query,
        mutation=Mutation,
        types=list(RECORD_TYPES.values()),
        extensions=[
            # Factories: a fresh extension per request; the document cache is the schema's.
            OperationCapture,
            token_limit(max_tokens),
            checked_documents(limits, documents),  # in place of ParserCache and ValidationCache
            lambda: MaskUnexpected(should_mask_error=_should_mask,
                                   error_message="Unexpected error: the gateway logged it"),
        ],
    )
    schema.document_cache = documents
    schema.remote_sources = {}
    if sources:
        from schema.remote_fields import grow

        grow(schema, sources)
    return schema
