"""Append-only query and submission logs (HC-35, XZ-19): UPDATE always refused, DELETE only by the
retention purge (`export-log`), which opens the `log_purge_open` setting inside its own
transaction, and only for entries older than `log_retention_years`.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("query_log", "submission_log")

POSTGRES_FUNCTION = """
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


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION credit_log_guard()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION credit_log_guard()")
        return
    for table in TABLES:
        op.execute(f"""
            CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END""")
        op.execute(f"""
            CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            WHEN NOT EXISTS (SELECT 1 FROM settings WHERE key = 'log_purge_open')
              OR OLD.at >= datetime('now', '-' || (SELECT value FROM settings WHERE key = 'log_retention_years')
                                    || ' years')
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused (only export-log purges entries past retention)'); END""")


def downgrade() -> None:
    for table in TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS credit_log_guard()")
