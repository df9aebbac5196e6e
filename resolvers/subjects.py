"""Finding subjects: by code (validated, HC-7) and by name."""

from __future__ import annotations

from sqlalchemy import Row, select

from domain.enums import SubjectKind
from domain.identifiers import InvalidIdentifier, validate_subject_code
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from store.models import Subject

S = Subject.__table__.c


def parse_subject_code(code: str) -> str:
    """A normalised code, or a BAD_USER_INPUT error naming the code and its fault."""
    try:
        normalised, _kind = validate_subject_code(code)
    except InvalidIdentifier as exc:
        raise BadUserInput(exc.masked_message, fault=exc.fault.value, messageZh=exc.message_zh) from None
    except TypeError:
        raise BadUserInput(f"subject code must be a string, got {type(code).__name__}") from None
    return normalised


def _touched(ctx: RequestContext, rows) -> None:
    """Every subject an answer is about, for the query log and the per-subject counts (XZ-19)."""
    ctx.observed.subjects.update(row.code for row in rows if row is not None)


async def subject_by_code(ctx: RequestContext, code: str) -> Row | None:
    row = await ctx.loaders.subject.load(parse_subject_code(code))
    _touched(ctx, [row])
    return row


async def subjects_by_codes(ctx: RequestContext, codes: list[str]) -> list[Row | None]:
    if len(codes) > ctx.max_list_codes:
        raise BadUserInput(f"codes has {len(codes)} entries; at most {ctx.max_list_codes} per query")
    parsed = [parse_subject_code(code) for code in codes]
    rows = list(await ctx.loaders.subject.load_many(parsed))
    _touched(ctx, rows)
    return rows


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_subjects(ctx: RequestContext, name: str, first: int) -> list[Row]:
    """Subjects whose name contains `name`.

    Natural persons are found by name only for readers who may see persons' personal data:
    for anyone else a name search would reveal who has a record (SPEC 3.1, masking).
    """
    name = name.strip()
    if not name:
        raise BadUserInput("name must not be empty")
    if len(name) > 100:
        raise BadUserInput("name is longer than 100 characters")
    if not 1 <= first <= ctx.max_page_size:
        raise BadUserInput(f"first must be between 1 and {ctx.max_page_size}, got {first}")
    statement = select(Subject.__table__).where(S.name.like(_like_pattern(name), escape="\\"))
    if not ctx.scope.unmasked and not ctx.scope.all_records:
        statement = statement.where(S.kind == SubjectKind.ORGANISATION.value)
    statement = statement.order_by(S.name, S.code).limit(first)
    async with ctx.engine.connect() as connection:
        rows = (await connection.execute(statement)).all()
    for row in rows:
        ctx.loaders.subject.prime(row.code, row)
    _touched(ctx, rows)
    return list(rows)
