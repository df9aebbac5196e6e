"""The store: SQLAlchemy models, engines and migrations. Knows nothing of HTTP or GraphQL."""
