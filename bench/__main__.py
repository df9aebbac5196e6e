"""`make bench`: every benchmark, one after the other."""

import asyncio

from bench import policy_overhead

print("== policy overhead (issue 3) ==")
asyncio.run(policy_overhead.main())
