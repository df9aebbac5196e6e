"""Subjects whose name contains a text, served by an index (issue 14, goal 4; migration 0010).

The condition is always `name LIKE '%text%'` with the text's wildcards made literal: that is what
decides a match, on both databases, so results and their order are the same with or without an
index. PostgreSQL's pg_trgm GIN index serves that LIKE itself. SQLite's LIKE cannot use an index,
so for a text of FTS_MIN_CHARACTERS or more the candidates are first narrowed to the codes the
FTS5 trigram table finds (a superset: FTS5 folds case at least as widely as LIKE); shorter texts
have no trigram and keep the scan.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, column, select, table, text

from store.models import Subject

FTS_TABLE = "subjects_name_fts"  # created and kept in step by migration 0010 (SQLite only)
FTS_MIN_CHARACTERS = 3  # FTS5's trigram tokenizer finds nothing shorter

_NAME = Subject.__table__.c.name
_CODE = Subject.__table__.c.code
_FTS_CODES = select(column("code")).select_from(table(FTS_TABLE)).where(text(f"{FTS_TABLE} MATCH :fts_phrase"))


def like_pattern(text_: str) -> str:
    """`%text%` with LIKE's wildcards and escape character taken literally (escape `\\`)."""
    escaped = text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(text_: str) -> str:
    """The text as one FTS5 phrase: a string in double quotes, its quotes doubled, nothing an operator."""
    return '"' + text_.replace('"', '""') + '"'


def name_contains(dialect: str, text_: str) -> ColumnElement[bool]:
    """subjects.name contains `text_` (literally), in the form the database's index serves."""
    condition = _NAME.like(like_pattern(text_), escape="\\")
    if dialect == "sqlite" and len(text_) >= FTS_MIN_CHARACTERS:
        candidates = _FTS_CODES.params(fts_phrase=fts_phrase(text_))
        return and_(_CODE.in_(candidates.scalar_subquery()), condition)
    return condition
