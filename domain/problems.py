"""A single fault found while validating input, shared by every validator in the domain.

Validators return lists of these instead of raising on the first fault, so that a batch upload
or a manual-entry form can show the submitter every fault at once (SPEC 3.3). Each carries a
stable code (`ProblemCode`): a client acts on the code, a person reads the reason.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ProblemCode(str, enum.Enum):
    """What kind of fault a problem is; stable, so clients may branch on it (README, Mutations)."""

    INVALID = "INVALID"  # malformed, missing, too long or out of range
    EMPTY_SCOPE = "EMPTY_SCOPE"  # a grant or permit that opens nothing
    UNKNOWN_DEPARTMENT = "UNKNOWN_DEPARTMENT"  # not in the deployment's department registry
    UNKNOWN_ITEM = "UNKNOWN_ITEM"  # not in the catalogue (HC-8)
    DUPLICATE = "DUPLICATE"  # the key is taken (a number, a document of another record or input)
    NOT_FOUND = "NOT_FOUND"  # the id names nothing the caller may change
    ALREADY_REVOKED = "ALREADY_REVOKED"  # revoked before: nothing changed
    NOT_PROVIDER = "NOT_PROVIDER"  # the caller's department does not provide the item or record (HC-16, HC-18)
    PROHIBITED = "PROHIBITED"  # prohibited information, or consent information without consent (HC-15, XZ-9)
    NO_CHANGE = "NO_CHANGE"  # a correction that changes nothing
    UNREACHABLE = "UNREACHABLE"  # a federated source did not answer `_service { sdl }` (issue 18)
    SDL_REFUSED = "SDL_REFUSED"  # a federated source's SDL breaks an admission rule (issue 18)


@dataclass(frozen=True)
class Problem:
    """`field` names the offending input field (None when the fault is not about one field)."""

    field: str | None
    reason: str
    code: ProblemCode = ProblemCode.INVALID

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason
