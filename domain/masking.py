"""Masking of natural persons' personal data for readers who may not see it (SPEC 3.1)."""

from __future__ import annotations

from domain.identifiers import mask_resident_id


def mask_person_name(name: str) -> str:
    """Keep the surname character, hide the given name: 张三丰 -> 张**."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


__all__ = ["mask_person_name", "mask_resident_id"]
