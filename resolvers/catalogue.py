"""Reading the catalogue and the departments (small tables; primed into the request's loaders)."""

from __future__ import annotations

from sqlalchemy import Row, select

from domain.enums import Category, SubjectKind
from resolvers.context import RequestContext
from store.models import CatalogueItem, Department

C = CatalogueItem.__table__.c
D = Department.__table__.c


async def catalogue(ctx: RequestContext, category: Category | None, subject_kind: SubjectKind | None) -> list[Row]:
    statement = select(CatalogueItem.__table__).order_by(C.code)
    if category is not None:
        statement = statement.where(C.category == category.value)
    async with ctx.engine.connect() as connection:
        rows = (await connection.execute(statement)).all()
    if subject_kind is not None:
        rows = [r for r in rows if subject_kind.value in r.definition.get("subject_kinds", [])]
    for row in rows:
        ctx.loaders.catalogue_item.prime(row.code, row)
    return list(rows)


async def departments(ctx: RequestContext) -> list[Row]:
    async with ctx.engine.connect() as connection:
        rows = (await connection.execute(select(Department.__table__).order_by(D.code))).all()
    for row in rows:
        ctx.loaders.department.prime(row.code, row)
    return list(rows)
