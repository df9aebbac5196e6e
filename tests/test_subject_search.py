"""subjectSearch(name) through its index (issue 14, goal 4; store/subject_search.py, migration 0010):
the same subjects, in the same order, as `name LIKE '%x%'` gives, on both databases; kept in step
when a subject is added, renamed or deleted; and the statement is one the index serves."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, event, insert, text, update

from store.models import Subject
from tests import world as w
from tests.conftest import graphql

NAMES = ["梧桐检索Abc商行", "梧桐检索abc商行", '梧桐检索"引号"商行', "梧桐检索100%商行", "梧桐检索100x商行",
         "梧桐检索a_b商行", "梧桐检索axb商行", "梧桐检索 空格 商行", "梧桐检索ÄBC商行", "梧桐检索反斜\\杠商行"]
CODES = [w.org_code(n, "TX") for n in range(len(NAMES))]
# three characters and more (the FTS5 path on SQLite), one and two (the LIKE scan), and LIKE's own
# characters, quotes and FTS5 operators, which must all be taken literally
QUERIES = ["梧桐检索", "abc商", "ABC", "Abc", "äbc", "100%", "a_b", '"引号"', "梧桐", "c商", "x", "空格 商",
           "\\杠", "桐检索A", "商行 OR 梧桐", "检索*", "NEAR(abc"]
SEARCH = "query($name: String!){ subjectSearch(name: $name, first: 100){ edges { node { code name } } } }"


def _folded(text_: str) -> str:
    """SQLite's LIKE folds ASCII letters only; PostgreSQL's LIKE folds nothing."""
    return "".join(c.lower() if c.isascii() else c for c in text_)


def _expected(backend: str, query: str) -> list[dict]:
    fold = _folded if backend == "sqlite" else (lambda s: s)
    found = [(name, code) for name, code in zip(NAMES, CODES) if fold(query) in fold(name)]
    return [{"code": code, "name": name} for name, code in sorted(found)]


async def _found(client, name: str) -> list[dict]:
    body = await graphql(client, SEARCH, {"name": name})
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["subjectSearch"]["edges"]]


@pytest.fixture
async def named(engine):
    """NAMES as organisations, for this test only: other modules search the shared world for `%`."""
    async with engine.begin() as connection:
        await connection.execute(insert(Subject), [{"code": code, "kind": "ORGANISATION", "name": name,
                                                    "status": "ACTIVE"} for name, code in zip(NAMES, CODES)])
    yield
    async with engine.begin() as connection:
        await connection.execute(delete(Subject).where(Subject.code.in_(CODES)))


async def test_search_finds_what_like_finds_in_name_order(named, client, backend):
    for query in QUERIES:
        assert await _found(client, query) == _expected(backend, query), query
    assert len(await _found(client, "梧桐检索")) == len(NAMES)  # the expectation itself is not empty


async def test_a_renamed_or_deleted_subject_is_found_by_its_present_name_only(engine, client):
    code = w.org_code(100, "TX")
    async with engine.begin() as connection:
        await connection.execute(insert(Subject).values(code=code, kind="ORGANISATION", name="桑榆改名前子丑寅",
                                                        status="ACTIVE"))
    assert await _found(client, "改名前") == [{"code": code, "name": "桑榆改名前子丑寅"}]
    async with engine.begin() as connection:
        await connection.execute(update(Subject).where(Subject.code == code).values(name="桑榆改名后丁戊己"))
    assert await _found(client, "改名前") == []
    assert await _found(client, "改名后") == [{"code": code, "name": "桑榆改名后丁戊己"}]
    async with engine.begin() as connection:
        await connection.execute(delete(Subject).where(Subject.code == code))
    assert await _found(client, "改名后") == []


async def test_the_search_statement_is_served_by_the_name_index(engine, client, backend):
    seen: list[tuple[str, tuple]] = []

    def capture(_connection, _cursor, statement, parameters, *_args):
        if "FROM subjects" in statement and "LIKE" in statement:
            seen.append((statement, tuple(parameters)))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        await _found(client, "检索商行")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    [(statement, parameters)] = seen
    async with engine.begin() as connection:
        if backend == "postgresql":
            # the test database is tiny: without these a scan is cheaper, and the plan would say nothing
            await connection.execute(text("SET LOCAL enable_seqscan = off"))
            await connection.execute(text("SET LOCAL enable_indexscan = off"))
            plan = "\n".join(r[0] for r in await connection.exec_driver_sql("EXPLAIN " + statement, parameters))
            assert "ix_subjects_name_trgm" in plan, plan
        else:
            plan = "\n".join(r[-1] for r in await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                              parameters))
            assert "SCAN subjects_name_fts VIRTUAL TABLE" in plan and "SCAN subjects\n" not in plan + "\n", plan
