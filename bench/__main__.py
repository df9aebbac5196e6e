"""`make bench`: every benchmark, one after the other, ending with issue 14's table of goals.

Set BENCH_DATABASE_URL to a scratch PostgreSQL database (dropped and created) for the goals that
need PostgreSQL."""

import asyncio
import sys

from bench import goals, hostile_documents, import_floor, import_rows, policy_overhead, query_log_overhead

print("== policy overhead (issue 3) ==")
asyncio.run(policy_overhead.main())

print("== query log overhead at 32 connections (issue 4) ==")
asyncio.run(query_log_overhead.main())

print("== batch import (issue 5) ==")
asyncio.run(import_rows.main([]))

print("== what PostgreSQL alone takes for the same writes (issue 5) ==")
asyncio.run(import_floor.main([]))

print("== refusing hostile documents (issue 10) ==")
asyncio.run(hostile_documents.main())

print("== issues 14, 17 and 18: every goal, one table (goal 5 imports 100,000 rows through POST /import; goal 7 "
      "is creditCheck, goal 8 a joined query with a live source) ==")
sys.exit(goals.main([]))
