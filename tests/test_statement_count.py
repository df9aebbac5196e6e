"""No N+1: a list query costs the same number of SQL statements for 1, 10 and 100 subjects."""

from __future__ import annotations

from sqlalchemy import event

from tests.conftest import graphql
from tests.world import BULK_ORGS

LIST_QUERY = """
query List($codes: [ID!]!) {
  subjects(codes: $codes) {
    code name
    records(first: 10) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id documentNumber decidedOn status
        catalogueItem { code name providers { name } }
        provider { code name }
        subject { code name }
        annotations { kind text }
        details { label value }
        ... on PenaltyRecord { violation fineAmount }
      } }
    }
  }
}
"""


class StatementCounter:
    def __init__(self, engine):
        self.engine = engine.sync_engine
        self.count = 0

    def _count(self, _connection, _cursor, statement, *_args, **_kwargs):
        # The read path only: the query-log append (its own transaction, one per burst) is not a relation.
        if not any(t in statement for t in ("query_log", "query_documents", "UPDATE settings",
                                            "pg_advisory_xact_lock")):
            self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


async def test_list_query_statement_count_is_constant(engine, client):
    counts = {}
    await graphql(client, LIST_QUERY, {"codes": BULK_ORGS[:1]})  # the catalogue snapshot is read once, before
    for n in (1, 10, 100):
        with StatementCounter(engine) as counter:
            body = await graphql(client, LIST_QUERY, {"codes": BULK_ORGS[:n]})
        assert "errors" not in body, body
        subjects = body["data"]["subjects"]
        assert len(subjects) == n
        assert all(s["records"]["totalCount"] == 3 and len(s["records"]["edges"]) == 3 for s in subjects)
        counts[n] = counter.count
    assert counts[1] == counts[10] == counts[100], counts
    # access (authorisations), subjects, record pages, counts, annotations
    assert counts[1] <= 5, counts
