"""A deleted record's id is never given again (HC-30: the tombstone and the log entries naming the id
must keep naming that record, not a later one).

SQLite numbers a rowid table's next row after the highest id *present*: once the newest record is
revoked or deleted, its id would be given to the next record. AUTOINCREMENT makes SQLite remember
the highest id ever used (`sqlite_sequence`). `records` and `objections` (deleted with their record;
an objection's id is named by cases, notifications and logs) are rebuilt with it, and the counter
starts after the highest tombstone, so a database whose newest record was already deleted continues
after it. PostgreSQL's sequences never reuse a value: nothing to do there.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# table -> the highest id it has ever given, beyond its own rows (a tombstone outlives its record)
REBUILT = {
    "records": "SELECT max(record_id) FROM record_tombstones",
    "objections": None,
}


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # The rebuild drops a table others reference: store/migrate.py runs migrations with foreign keys
    # off on SQLite and checks them before it commits.
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("0009 rebuilds tables others reference: run it with foreign keys off (store/migrate.py)")
    for table, also_used in REBUILT.items():
        highest = bind.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar() or 0
        if also_used and autoincrement:
            highest = max(highest, bind.execute(sa.text(also_used)).scalar() or 0)
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass  # the table is rebuilt as it is, with (or without) AUTOINCREMENT
        if autoincrement:
            op.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :table").bindparams(table=table))
            op.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:table, :seq)")
                       .bindparams(table=table, seq=highest))


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
