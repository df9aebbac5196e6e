"""The one error type of every mutation's payload, and the rule its `field` paths follow.

Every mutation takes one `input` argument and returns a payload: the result (null when refused)
and `errors`, each a `MutationError { code field message }` (README, "Mutations"). A fault of the
caller's input or of a business rule is a payload error; who may call a mutation at all, and a
database that cannot be reached, stay top-level GraphQL errors with `extensions.code`.
"""

from __future__ import annotations

import enum
from typing import Iterable, Optional

import strawberry

from domain.problems import Problem, ProblemCode

_CODE_DESCRIPTIONS = {
    ProblemCode.INVALID: "A value is malformed, missing, too long or out of range; the message gives the rule.",
    ProblemCode.EMPTY_SCOPE: "The scope opens nothing: name at least one class or catalogue item.",
    ProblemCode.UNKNOWN_DEPARTMENT: "No department with this code in the deployment's registry (`departments`).",
    ProblemCode.UNKNOWN_ITEM: "No catalogue item with this code (`catalogue`); information outside the catalogue "
                              "is refused (HC-8).",
    ProblemCode.DUPLICATE: "The key is taken: a permit number registered already, a document number another record "
                           "or another input of the call holds, or a resend that differs from the stored record.",
    ProblemCode.NOT_FOUND: "The id names nothing the caller may change (an authorisation another subject gave is "
                           "not found either).",
    ProblemCode.ALREADY_REVOKED: "It was revoked before; nothing changed. The payload still holds it.",
    ProblemCode.NOT_PROVIDER: "The caller's department does not provide this catalogue item, or did not provide "
                              "this record: only the providing department submits and corrects (HC-16, HC-18).",
    ProblemCode.PROHIBITED: "Prohibited information (HC-15, XZ-9), or information that needs the subject's written "
                            "consent given without its reference (XZ-9(3)).",
    ProblemCode.NO_CHANGE: "The correction changes nothing: the record already is as requested.",
    ProblemCode.UNREACHABLE: "The federated source did not answer `_service { sdl }` at its address (README, "
                             "Federated sources).",
    ProblemCode.SDL_REFUSED: "The federated source's SDL breaks an admission rule; the message names the offending "
                             "definition and its line (README, Federated sources).",
}

MutationErrorCode = strawberry.enum(
    enum.Enum("MutationErrorCode", {c.name: strawberry.enum_value(c.value, description=_CODE_DESCRIPTIONS[c])
                                    for c in ProblemCode}),
    description="Why a mutation, or one item of it, was refused: stable codes a client may branch on.")

FIELD_PATH = ("Where in the mutation's `input` the fault is, as a path from `input`: field names as the schema "
              "spells them, dots between levels, list positions in brackets from 0 (`validUntil`, "
              "`scope.catalogueItems`, `records[3].content.fineAmount`, `changes.decidedOn`). Null when the fault "
              "concerns the input as a whole.")


@strawberry.type(description="One fault that refused a mutation or one item of it: what kind, where in the input, "
                             "and how to put it right (README, Mutations).")
class MutationError:
    code: MutationErrorCode = strawberry.field(description="What kind of fault it is (stable).")
    field: Optional[str] = strawberry.field(description=FIELD_PATH)
    message: str = strawberry.field(description="What is wrong and how to put it right, for a person.")


def errors_of(problems: Iterable[Problem], under: str = "") -> list[MutationError]:
    """The payload errors of these problems; `under` places fields relative to part of the input
    (`records[3]` for one item of submitRecords)."""
    def path(field: str | None) -> str | None:
        if not under:
            return field
        return f"{under}.{field}" if field else under

    return [MutationError(code=p.code.value, field=path(p.field), message=p.reason) for p in problems]
