"""Errors a client may see: each names what is wrong, and carries a stable `extensions.code`.

Any other exception is masked by the schema ("Unexpected error") so no internals leak.
"""

from __future__ import annotations

from graphql import GraphQLError


class ClientError(GraphQLError):
    code = "BAD_REQUEST"

    def __init__(self, message: str, **extensions) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadUserInput(ClientError):
    """An argument is malformed or out of range: nothing was read or changed."""

    code = "BAD_USER_INPUT"


class Forbidden(ClientError):
    """The policies refuse this; the message says which rule is missing (SPEC 3.1)."""

    code = "FORBIDDEN"


class Conflict(ClientError):
    """A concurrent change won the race: nothing was changed; read again and retry."""

    code = "CONFLICT"
