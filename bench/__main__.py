"""`make bench`: every benchmark, one after the other."""

import asyncio

from bench import hostile_documents, import_floor, import_jobs, import_rows, policy_overhead, query_log_overhead

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

print("== /healthz while a 100,000-row file is imported through POST /import (issue 14, goal 5) ==")
import_jobs.main([])
