"""Reading the catalogue and the departments, from the process-wide snapshot (resolvers/reference.py)."""

from __future__ import annotations

from sqlalchemy import Row, select

from domain.enums import Category, SubjectKind
from domain.problems import Problem, ProblemCode
from resolvers.context import RequestContext
from store.models import CatalogueItem

MAX_SCOPE_ITEMS = 100  # catalogue items one authorisation or query permit may name
MAX_SCOPE_CLASSES = 4  # there are four classes (公开属性)


async def catalogue(ctx: RequestContext, category: Category | None, subject_kind: SubjectKind | None) -> list[Row]:
    rows = list(ctx.reference.items.values())
    if category is not None:
        rows = [r for r in rows if r.category == category.value]
    if subject_kind is not None:
        rows = [r for r in rows if subject_kind.value in r.definition.get("subject_kinds", [])]
    return rows


async def departments(ctx: RequestContext) -> list[Row]:
    return list(ctx.reference.departments.values())


async def scope_problems(connection, items: list[str], classes: list) -> list[Problem]:
    """What is wrong with the scope an authorisation or a query permit names: too long, or items
    outside the catalogue (read from the database, in the mutation's transaction)."""
    if len(items) > MAX_SCOPE_ITEMS:
        return [Problem("scope.catalogueItems", f"{len(items)} catalogue items; at most {MAX_SCOPE_ITEMS}: name "
                                                "whole classes instead")]
    if len(classes) > MAX_SCOPE_CLASSES:
        return [Problem("scope.classes", f"{len(classes)} classes; at most {MAX_SCOPE_CLASSES}, each once")]
    if not items:
        return []
    known = set((await connection.execute(select(CatalogueItem.code).where(CatalogueItem.code.in_(items)))).scalars())
    unknown = sorted(set(items) - known)
    if not unknown:
        return []
    return [Problem("scope.catalogueItems", f"not in the catalogue: {', '.join(unknown)}", ProblemCode.UNKNOWN_ITEM)]
