"""Who is asking: the verified identity a request carries, as the policies see it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """A caller. `subject_code` is set only when a person or organisation acts for itself.

    The anonymous public is `Principal.anonymous()`: no user, no department, no roles.
    """

    user: str | None
    name: str | None = None
    department: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    subject_code: str | None = None

    @classmethod
    def anonymous(cls) -> "Principal":
        return cls(user=None)

    @property
    def is_anonymous(self) -> bool:
        return self.user is None
