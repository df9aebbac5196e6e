"""Reading the catalogue and the departments, from the process-wide snapshot (resolvers/reference.py)."""

from __future__ import annotations

from sqlalchemy import Row

from domain.enums import Category, SubjectKind
from resolvers.context import RequestContext



async def catalogue(ctx: RequestContext, category: Category | None, subject_kind: SubjectKind | None) -> list[Row]:
    rows = list(ctx.reference.items.values())
    if category is not None:
        rows = [r for r in rows if r.category == category.value]
    if subject_kind is not None:
        rows = [r for r in rows if subject_kind.value in r.definition.get("subject_kinds", [])]
    return rows


async def departments(ctx: RequestContext) -> list[Row]:
    return list(ctx.reference.departments.values())
