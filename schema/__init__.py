"""GraphQL types and the assembled schema (strawberry)."""
