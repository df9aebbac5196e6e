"""Which roles a token may claim, and in which kind of department (SPEC 3.1, last paragraphs).

A token's department must be one of the profile's departments (HC-2, HC-6, XZ-5, XZ-15) and each
role it claims must fit that department's kind: officers and submitters work in information
providers (HC-2: administrative organs, judicial bodies, organisations authorised by law, group
organisations), `agency` only in a recognised credit agency (HC-28, XZ-15), `operator` only in the
credit centre (HC-6 区信用中心, XZ-5 信用中心), `auditor` only in the supervising department
(HC-6 主管部门, XZ-5). Anything else is refused, whatever the request asks for.

`DepartmentRegistry` is built once with the profile; checking a token is a dict look-up and a
set comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from domain.catalogue import PROVIDER_KINDS, Department, JurisdictionProfile
from domain.enums import DepartmentKind

# The roles the gateway knows, and the department kinds that may hold each.
ROLE_KINDS: Mapping[str, frozenset[DepartmentKind]] = MappingProxyType({
    "officer": PROVIDER_KINDS,        # a department officer, in the course of its duties (HC-23)
    "submitter": PROVIDER_KINDS,      # submits its department's records (HC-15..18)
    "agency": frozenset({DepartmentKind.CREDIT_AGENCY}),    # recognised credit agency (HC-28, XZ-15)
    "operator": frozenset({DepartmentKind.CREDIT_CENTRE}),  # the credit centre (HC-6, XZ-5)
    "auditor": frozenset({DepartmentKind.SUPERVISOR}),      # the supervising department (HC-6, XZ-5)
})
KNOWN_ROLES = frozenset(ROLE_KINDS)


class IdentityRefused(ValueError):
    """A token's department or roles do not fit the profile. `reason` is a stable machine code
    (`unknown_department`, `role_needs_department`, `role_not_allowed`); the message names what
    is wrong and how to fix it."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _roles_text(roles) -> str:
    return ", ".join(sorted(roles)) or "none"


@dataclass(frozen=True)
class DepartmentRegistry:
    """The profile's departments, and the roles an officer of each may hold."""

    profile: str
    departments: Mapping[str, Department]
    allowed_roles: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, profile: JurisdictionProfile) -> "DepartmentRegistry":
        allowed = {code: frozenset(role for role, kinds in ROLE_KINDS.items() if dept.kind in kinds)
                   for code, dept in profile.departments.items()}
        return cls(profile.code, profile.departments, MappingProxyType(allowed))

    def check(self, department: str | None, roles: frozenset[str]) -> None:
        """Raise `IdentityRefused` unless `department` exists and holds every known role in `roles`.

        Roles the gateway does not know grant nothing and are left alone (identity providers add
        their own); a known role without a department is refused, as it could only be a mistake.
        """
        claimed = roles & KNOWN_ROLES
        if department is None:
            if claimed:
                raise IdentityRefused(
                    "role_needs_department",
                    f"the role(s) {_roles_text(claimed)} need a department: the token has no 'dept' claim")
            return
        allowed = self.allowed_roles.get(department)
        if allowed is None:
            raise IdentityRefused(
                "unknown_department",
                f"department {department!r} is not in the {self.profile} profile's department registry; "
                f"use one of {', '.join(self.allowed_roles)}")
        unfit = claimed - allowed
        if unfit:
            kind = self.departments[department].kind.value
            raise IdentityRefused(
                "role_not_allowed",
                f"department {department} is a {kind} department: it may hold the role(s) {_roles_text(allowed)}, "
                f"not {_roles_text(unfit)} (SPEC 3.1: agency only for a recognised credit agency, operator only "
                f"for the credit centre, auditor only for the supervising department)")

    def describe(self) -> str:
        """One line per department for `--help`: code, kind, the roles it may hold."""
        return "; ".join(f"{code} ({self.departments[code].kind.value}: {_roles_text(roles)})"
                         for code, roles in self.allowed_roles.items())
