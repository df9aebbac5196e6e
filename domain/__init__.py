"""Pure domain rules of public credit information: identifiers, catalogue, periods, working days.

Nothing here knows about HTTP, GraphQL or the database; everything above stands on it.
"""
