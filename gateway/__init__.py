"""The running service: ASGI app, settings, identity, query log and the operators' CLI."""
