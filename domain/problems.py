"""A single fault found while validating input, shared by every validator in the domain.

Validators return lists of these instead of raising on the first fault, so that a batch upload
or a manual-entry form can show the submitter every fault at once (SPEC 3.3).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """`field` names the offending content field (None when the fault is not about one field)."""

    field: str | None
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason
