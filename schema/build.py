"""The assembled schema: an Apollo Federation 2 subgraph, with parser/validation caches and limits."""

from __future__ import annotations

import datetime as dt

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from schema.entities import FederationEntities
from schema.instants import DATETIME
from schema.query import Mutation, Query
from store.availability import is_database_unavailable
from schema.records import RECORD_TYPES
from store.json_safe import json_safe

# Errors with one of these codes were written for the client; anything else is masked.
CLIENT_ERROR_CODES = {"BAD_USER_INPUT", "FORBIDDEN", "PURPOSE_REQUIRED", "BAD_REQUEST", "NOT_FOUND"}


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


def limits_extension(max_depth: int, max_aliases: int) -> type[SchemaExtension]:
    """Depth and alias limits as validation rules built once per schema.

    strawberry's limiters build a new rule class per extension instance; with one instance per
    request the validation cache (keyed on the rules) would never hit. Built once, it does.
    """
    rules = [*QueryDepthLimiter(max_depth=max_depth).validation_rules,
             *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules]

    class QueryLimits(AddValidationRules):
        def __init__(self) -> None:
            super().__init__(rules)

    return QueryLimits


def build_schema(*, max_depth: int = 12, max_tokens: int = 4000, max_aliases: int = 30) -> strawberry.Schema:
    return GatewaySchema(
        scalar_overrides={dt.datetime: DATETIME},
        query=Query,
        mutation=Mutation,
        types=list(RECORD_TYPES.values()),
        extensions=[
            # Factories: a fresh extension per request; the parse/validation caches are module-wide.
            OperationCapture,
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            lambda: ParserCache(maxsize=512),
            limits_extension(max_depth, max_aliases),
            lambda: ValidationCache(maxsize=512),
            lambda: MaskUnexpected(should_mask_error=_should_mask,
                                   error_message="Unexpected error: the gateway logged it"),
        ],
    )
