"""What graphql-core alone costs for goal 2's document: the floor under any strawberry gateway.

Goal 2 asks ≤ 4.5 µs per resolved field. This runs the same document (100 subjects x 10 records,
11,300 fields) on a graphql-core schema of the same shape whose every field is a dict look-up by
graphql-core's default resolver: no strawberry, no database, no policies, no HTTP. Whatever the
gateway does, it cannot be faster than this on the same machine. Run:

    .venv/bin/python -m bench.graphql_floor
"""

from __future__ import annotations

import statistics
import time

from graphql import build_schema, execute, parse, validate

from bench.policy_overhead import QUERY

SDL = """
type Query { subjects(codes: [ID!]!): [Subject!]! }
type Subject { code: ID! name: String! records(first: Int): Connection! }
type Connection { totalCount: Int! edges: [Edge!]! }
type Edge { node: Record! }
type Record { id: ID! category: String! visibility: String! documentNumber: String! decidedOn: String!
              status: String! catalogueItem: Item! provider: Department! }
type Item { code: ID! name: String! }
type Department { code: ID! name: String! }
"""
FIELDS = 100 * (3 + 10 * 11)  # as bench.goals.goal_2 counts them


def _root() -> dict:
    item, provider = {"code": "HC-13-6-PENALTY", "name": "行政处罚"}, {"code": "SCJG", "name": "市场监管局"}
    record = {"id": "UmVjb3JkOjE=", "category": "BAD", "visibility": "PUBLIC", "documentNumber": "环市监罚〔2025〕1号",
              "decidedOn": "2025-01-01", "status": "ACTIVE", "catalogueItem": item, "provider": provider}
    return {"subjects": [{"code": f"91371002MA{i:08d}", "name": "企业",
                          "records": {"totalCount": 10, "edges": [{"node": dict(record)} for _ in range(10)]}}
                         for i in range(100)]}


def floor_ms(runs: int = 60, warm: int = 10) -> float:
    """Median milliseconds graphql-core takes to execute goal 2's document on plain dicts."""
    schema, document, root = build_schema(SDL), parse(QUERY), _root()
    assert not validate(schema, document)
    samples = []
    for i in range(runs + warm):
        started = time.process_time()
        result = execute(schema, document, root_value=root, variable_values={"codes": ["x"]})
        if i >= warm:
            samples.append((time.process_time() - started) * 1000)
        assert not result.errors, result.errors
    return statistics.median(samples)


if __name__ == "__main__":
    ms = floor_ms()
    print(f"graphql-core alone, goal 2's document on dicts: {ms:.1f} ms CPU ({ms * 1000 / FIELDS:.2f} µs per field)")
