"""Who sees what (SPEC 3.1): the Casbin model, the default policies, and the code that asks them.

Resolvers never decide access themselves: they ask `policies.decisions` and turn the answer
into a SQL filter.
"""
