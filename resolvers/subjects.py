"""Finding subjects: by code (validated, HC-7), by opaque id (SPEC 3.1) and by name."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row, and_, or_, select

from domain.enums import SubjectKind
from domain.identifiers import InvalidIdentifier, validate_subject_code
from domain.subject_ids import InvalidSubjectId
from resolvers.context import RequestContext
from resolvers.bounds import check_first
from resolvers.errors import BadUserInput
from store.models import Subject
from store.subject_search import name_contains

S = Subject.__table__.c


def parse_subject_code(code: str) -> str:
    """A normalised code, or a BAD_USER_INPUT error naming the code and its fault.

    A masked code (`110105********002X`) matches nothing: many persons share it (SPEC 3.1).
    """
    if isinstance(code, str) and "*" in code:
        raise BadUserInput("the code is masked (it contains '*'), and a masked code is never a key: many persons "
                           "share it (SPEC 3.1); ask with the full code, or with the subject's `id`", fault="MASKED",
                           messageZh="脱敏后的代码不能作为查询键，请使用完整代码或主体的 id") from None
    try:
        normalised, _kind = validate_subject_code(code)
    except InvalidIdentifier as exc:
        raise BadUserInput(exc.masked_message, fault=exc.fault.value, messageZh=exc.message_zh) from None
    except TypeError:
        raise BadUserInput(f"subject code must be a string, got {type(code).__name__}") from None
    return normalised


async def _seen(ctx: RequestContext, rows: list[Row | None]) -> list[Row | None]:
    """The rows, with a natural person none of whose records the reader may see as None: the
    answer for an unknown code, so that nobody learns whether a person is in the system (SPEC 3.1).

    The person itself and its grantees see it (they know it exists); organisations are public.
    One statement for all the persons of the request's batch (Loaders.person_seen).
    """
    scope = ctx.scope
    persons = [row.code for row in rows if row is not None and row.kind == SubjectKind.NATURAL_PERSON.value
               and not scope.all_records and scope.right_for(row.code) is None]
    if not persons:
        return rows
    seen = dict(zip(persons, await ctx.loaders.person_seen.load_many(persons)))
    return [None if row is not None and not seen.get(row.code, True) else row for row in rows]


def _touched(ctx: RequestContext, rows) -> None:
    """Every subject an answer is about, for the query log and the per-subject counts (XZ-19)."""
    ctx.observed.subjects.update(row.code for row in rows if row is not None)


async def subject_by_code(ctx: RequestContext, code: str) -> Row | None:
    [row] = await _seen(ctx, [await ctx.loaders.subject.load(parse_subject_code(code))])
    _touched(ctx, [row])
    return row


def parse_subject_id(ctx: RequestContext, subject_id: str) -> str:
    """The code behind an opaque id, or a BAD_USER_INPUT error saying the id is not one of ours."""
    try:
        return ctx.subject_ids.code_of(subject_id)
    except InvalidSubjectId as exc:
        raise BadUserInput(str(exc), fault="SUBJECT_ID") from None


async def subject_by_id(ctx: RequestContext, subject_id: str) -> Row | None:
    """By id, exactly as by code: the id only names the code (same rules, masking and log)."""
    [row] = await _seen(ctx, [await ctx.loaders.subject.load(parse_subject_id(ctx, subject_id))])
    _touched(ctx, [row])
    return row


async def subjects_by_codes(ctx: RequestContext, codes: list[str]) -> list[Row | None]:
    if len(codes) > ctx.max_list_codes:
        raise BadUserInput(f"codes has {len(codes)} entries; at most {ctx.max_list_codes} per query")
    parsed = [parse_subject_code(code) for code in codes]
    rows = await _seen(ctx, list(await ctx.loaders.subject.load_many(parsed)))
    _touched(ctx, rows)
    return rows


@dataclass
class SubjectPage:
    rows: list[Row]  # the subjects the reader may see, in name order
    has_next: bool
    end_cursor: str | None  # the last subject examined (shown or not): where the next page starts


async def search_subjects(ctx: RequestContext, name: str, first: int) -> list[Row]:
    return (await search_page(ctx, name, first, None)).rows


async def search_page(ctx: RequestContext, name: str, first: int, after: str | None) -> SubjectPage:
    """Subjects whose name contains `name`, by name then code, `first` of them after the cursor.

    Natural persons are found by name only for readers who may see persons' personal data:
    for anyone else a name search would reveal who has a record (SPEC 3.1, masking). A cursor
    is a subject's opaque id (never its code or name, which may be masked for the reader).
    """
    name = name.strip()
    if not name:
        raise BadUserInput("name must not be empty")
    if len(name) > 100:
        raise BadUserInput("name is longer than 100 characters")
    check_first(first, ctx.max_page_size)
    statement = select(Subject.__table__).where(name_contains(ctx.engine.dialect.name, name))
    if after:
        try:
            position = await ctx.loaders.subject.load(ctx.subject_ids.code_of(after))
        except InvalidSubjectId:
            position = None
        if position is None:
            raise BadUserInput(f"after: invalid cursor {after[:60]!r}: pass an endCursor returned by this API",
                               argument="after")
        statement = statement.where(or_(S.name > position.name, and_(S.name == position.name,
                                                                     S.code > position.code)))
    if not ctx.scope.unmasked and not ctx.scope.all_records:
        statement = statement.where(S.kind == SubjectKind.ORGANISATION.value)
    statement = statement.order_by(S.name, S.code).limit(first + 1)
    async with ctx.engine.connect() as connection:
        fetched = list((await connection.execute(statement)).all())
    examined = fetched[:first]
    rows = [row for row in await _seen(ctx, examined) if row is not None]
    for row in rows:
        ctx.loaders.subject.prime(row.code, row)
    _touched(ctx, rows)
    return SubjectPage(rows=rows, has_next=len(fetched) > first,
                       end_cursor=ctx.subject_ids.id_of(examined[-1].code) if examined else None)
