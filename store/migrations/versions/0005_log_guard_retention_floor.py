"""The logs' guard no longer reads its retention from `settings` (SPEC 3.6, issue 11).

0002's triggers took the retention from the `log_retention_years` row, which anyone who can write
`settings` could set to -1 (PostgreSQL) or 'x' (SQLite) and so open the newest entries to
deletion. Here the retention is a constant in the triggers: FLOOR years (5, the shortest any
profile keeps its logs) until init-db writes the profile's own term (store/log_guard.py). The
per-subject index and the document texts are guarded too: UPDATE always refused, the index
deleted only with its entries past retention, document texts never. The setting row goes.

Revision ID: 0005
Revises: 0002
"""
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

FLOOR = 5
LOGS = ("query_log", "submission_log")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION credit_log_guard() RETURNS trigger AS $$
DECLARE
  retention integer;
BEGIN
  retention := greatest(5, coalesce(TG_ARGV[0]::integer, 5));
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME <> 'query_documents'
     AND EXISTS (SELECT 1 FROM settings WHERE key = 'log_purge_open') THEN
    IF TG_TABLE_NAME = 'query_log_subjects' THEN
      IF NOT EXISTS (SELECT 1 FROM query_log
                     WHERE seq = OLD.seq AND at >= now() - make_interval(years => retention)) THEN
        RETURN OLD;
      END IF;
    ELSIF OLD.at < now() - make_interval(years => retention) THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION '% entry % is younger than the %-year retention of this database''s profile and cannot be purged',
      TG_TABLE_NAME, OLD.seq, retention;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$ LANGUAGE plpgsql
"""

OLD_POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION credit_log_guard() RETURNS trigger AS $$
DECLARE
  retention integer;
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM settings WHERE key = 'log_purge_open') THEN
    SELECT value::integer INTO retention FROM settings WHERE key = 'log_retention_years';
    IF retention IS NOT NULL AND OLD.at < now() - make_interval(years => retention) THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION '% entry % is younger than the % year retention and cannot be purged',
      TG_TABLE_NAME, OLD.seq, retention;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$ LANGUAGE plpgsql
"""


def _sqlite_refuse(name: str, table: str, event: str, message: str, when: str = "") -> str:
    return (f"CREATE TRIGGER {name} BEFORE {event} ON {table} {when} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def upgrade() -> None:
    op.execute("DELETE FROM settings WHERE key = 'log_retention_years'")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for table in (*LOGS, "query_log_subjects", "query_documents"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION credit_log_guard('{FLOOR}')")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION credit_log_guard()")
        return
    younger = f"datetime('now', '-{FLOOR} years')"
    closed = "NOT EXISTS (SELECT 1 FROM settings WHERE key = 'log_purge_open')"
    for table in LOGS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        op.execute(_sqlite_refuse(f"{table}_no_delete", table, "DELETE",
                                  f"{table} is append-only: DELETE refused (only export-log purges entries older than "
                                  f"the profile''s {FLOOR}-year retention)",
                                  f"WHEN {closed} OR OLD.at IS NULL OR OLD.at >= {younger}"))
    op.execute(_sqlite_refuse("query_log_subjects_no_update", "query_log_subjects", "UPDATE",
                              "query_log_subjects is append-only: UPDATE refused"))
    op.execute(_sqlite_refuse("query_log_subjects_no_delete", "query_log_subjects", "DELETE",
                              "query_log_subjects is append-only: DELETE refused (only export-log purges the index "
                              f"of entries older than the profile''s {FLOOR}-year retention)",
                              f"WHEN {closed} OR EXISTS (SELECT 1 FROM query_log WHERE seq = OLD.seq "
                              f"AND (at IS NULL OR at >= {younger}))"))
    op.execute(_sqlite_refuse("query_documents_no_update", "query_documents", "UPDATE",
                              "query_documents is append-only: UPDATE refused"))
    op.execute(_sqlite_refuse("query_documents_no_delete", "query_documents", "DELETE",
                              "query_documents is append-only: DELETE refused"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("query_log_subjects", "query_documents"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        for table in LOGS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION credit_log_guard()")
        op.execute(OLD_POSTGRES_FUNCTION)
    else:
        for name in ("query_log_subjects_no_update", "query_log_subjects_no_delete", "query_documents_no_update",
                     "query_documents_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for table in LOGS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            op.execute(_sqlite_refuse(
                f"{table}_no_delete", table, "DELETE",
                f"{table} is append-only: DELETE refused (only export-log purges entries past retention)",
                "WHEN NOT EXISTS (SELECT 1 FROM settings WHERE key = 'log_purge_open') OR OLD.at >= datetime('now', "
                "'-' || (SELECT value FROM settings WHERE key = 'log_retention_years') || ' years')"))
    op.execute("INSERT INTO settings (key, value) VALUES ('log_retention_years', '5')")
