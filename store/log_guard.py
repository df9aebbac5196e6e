"""The database's own guard on the logs (HC-35, XZ-19; SPEC 3.6: retention is not a database setting).

Triggers refuse every UPDATE of the query log, the submission log, the per-subject index and the
document texts, and every DELETE but the retention purge of `export-log` (which opens
`log_purge_open` inside its own transaction) of entries older than the profile's retention. The
retention is a constant written into the triggers here, at init-db, from the profile (fixed per
database), and never below FLOOR_YEARS: no row of `settings` can shorten it. Migration 0005 installs
the guard at the floor; `install` raises it to the profile's term.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

FLOOR_YEARS = 5  # the shortest retention of any profile (XZ-19); no configuration goes below it
LOG_TABLES = ("query_log", "submission_log")
_LOCK = 7_201_703


def retention_years(profile_years: int) -> int:
    return max(FLOOR_YEARS, int(profile_years))


def _postgres_statements(years: int) -> list[str]:
    statements = []
    for table in (*LOG_TABLES, "query_log_subjects"):
        statements += [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                       f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION credit_log_guard('{years}')"]
    return statements


def _sqlite_statements(years: int) -> list[str]:
    younger = f"datetime('now', '-{years} years')"
    closed = "NOT EXISTS (SELECT 1 FROM settings WHERE key = 'log_purge_open')"
    statements = []
    for table in LOG_TABLES:
        refusal = (f"{table} is append-only: DELETE refused (only export-log purges entries older than the "
                   f"profile''s {years}-year retention)")
        statements += [f"DROP TRIGGER IF EXISTS {table}_no_delete", f"""
            CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            WHEN {closed} OR OLD.at IS NULL OR OLD.at >= {younger}
            BEGIN SELECT RAISE(ABORT, '{refusal}'); END"""]
    refusal = ("query_log_subjects is append-only: DELETE refused (only export-log purges the index of entries older "
               f"than the profile''s {years}-year retention)")
    statements += ["DROP TRIGGER IF EXISTS query_log_subjects_no_delete", f"""
        CREATE TRIGGER query_log_subjects_no_delete BEFORE DELETE ON query_log_subjects
        WHEN {closed} OR EXISTS (SELECT 1 FROM query_log WHERE seq = OLD.seq AND (at IS NULL OR at >= {younger}))
        BEGIN SELECT RAISE(ABORT, '{refusal}'); END"""]
    return statements


def _installed(connection: Connection, years: int) -> bool:
    if connection.dialect.name == "postgresql":
        definition = connection.execute(text(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'query_log_subjects_append_only'")).scalar()
        return definition is not None and f"credit_log_guard('{years}')" in definition
    definition = connection.execute(text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'query_log_subjects_no_delete'")).scalar()
    return definition is not None and f"'-{years} years'" in definition


def install(connection: Connection, profile_years: int) -> int:
    """Write the profile's retention into the guard (idempotent; workers starting together take a
    lock). Returns the retention in force."""
    years = retention_years(profile_years)
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK})"))
    if _installed(connection, years):
        return years
    statements = _postgres_statements(years) if connection.dialect.name == "postgresql" else _sqlite_statements(years)
    for statement in statements:
        connection.execute(text(statement))
    return years
