"""What a GraphQL request carries besides its document: purpose and basis (HC-23, XZ-18)."""

from __future__ import annotations

import re

from domain.enums import Purpose

PURPOSE_HEADER = "X-Query-Purpose"
BASIS_HEADER = "X-Query-Basis"
MAX_BASIS_LENGTH = 128
# A reference such as 许可申请号 XK-2026-001, 函号 环发改函〔2026〕12号, or an authorisation id.
_BASIS_PATTERN = re.compile(r"^[\w\-./:#()（）〔〕\[\] ]+$")


class BadRequestHeader(ValueError):
    """A header is present but unusable; the message names the header and the fault."""


def _purpose_aliases() -> dict[str, Purpose]:
    aliases = {}
    for purpose in Purpose:
        aliases[purpose.value] = purpose
        aliases[purpose.value.replace("_", "-")] = purpose
        aliases[purpose.value.replace("_", " ")] = purpose
    return aliases


_PURPOSES = _purpose_aliases()


def parse_purpose(value: str | None) -> Purpose | None:
    """`licensing`, `LICENSING`, `public-resource-trading` ... or None when absent."""
    if value is None or not value.strip():
        return None
    purpose = _PURPOSES.get(value.strip().upper())
    if purpose is None:
        allowed = ", ".join(p.value.lower() for p in Purpose)
        raise BadRequestHeader(f"{PURPOSE_HEADER} {value[:40]!r} is not a purpose; use one of: {allowed}")
    return purpose


def parse_basis(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > MAX_BASIS_LENGTH:
        raise BadRequestHeader(f"{BASIS_HEADER} is {len(value)} characters long; at most {MAX_BASIS_LENGTH}")
    if not _BASIS_PATTERN.match(value):
        raise BadRequestHeader(f"{BASIS_HEADER} may hold letters, digits, spaces and - . / : # ( ) 〔 〕 only")
    return value
