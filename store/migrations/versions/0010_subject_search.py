"""An index that serves `subjectSearch(name)`, a substring of a name (issue 14, goal 4).

PostgreSQL: a pg_trgm GIN index on subjects.name, which serves `name LIKE '%x%'` as it is. The
extension is created here if the migrating role may (pg_trgm is a trusted extension since
PostgreSQL 13: the database's owner may create it; before, a superuser); otherwise the migration
goes on without the index, the search stays right but scans, and the operator runs what the
README says ("Substring search"). Under C.UTF-8 pg_trgm makes trigrams of Chinese characters
(`show_trgm('环翠区')` gives four).

SQLite: an FTS5 table with the trigram tokenizer over subjects.name (and the code, unindexed), kept
in step by three triggers. FTS5's trigrams need a query of three characters or more: shorter queries keep
the plain LIKE scan (resolvers/subjects.py).

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FTS = "subjects_name_fts"  # store.subject_search.FTS_TABLE
TRIGRAM_INDEX = "ix_subjects_name_trgm"  # store.models: Subject's index of the same name

# The FTS table keeps its own copy of each name beside the subject's code (an external-content
# table would key on subjects' rowid, which VACUUM may renumber: subjects has a text key). Names are
# rarely changed and subjects rarely deleted, so the triggers' look-up by code may scan.
SQLITE_UP = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(name, code UNINDEXED, tokenize='trigram')",
    f"INSERT INTO {FTS}(name, code) SELECT name, code FROM subjects",
    f"""CREATE TRIGGER {FTS}_insert AFTER INSERT ON subjects BEGIN
          INSERT INTO {FTS}(name, code) VALUES (new.name, new.code);
        END""",
    f"""CREATE TRIGGER {FTS}_delete AFTER DELETE ON subjects BEGIN
          DELETE FROM {FTS} WHERE code = old.code;
        END""",
    f"""CREATE TRIGGER {FTS}_update AFTER UPDATE OF name, code ON subjects BEGIN
          DELETE FROM {FTS} WHERE code = old.code;
          INSERT INTO {FTS}(name, code) VALUES (new.name, new.code);
        END""",
]


def _postgres_has_trigram(connection) -> bool:
    """Create pg_trgm if this role may (in a savepoint: a refusal must not abort the migration)."""
    try:
        with connection.begin_nested():
            connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        pass
    return connection.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first() is not None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        if _postgres_has_trigram(connection):
            op.execute(f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON subjects USING gin (name gin_trgm_ops)")
        else:
            import warnings

            warnings.warn("pg_trgm is not installed and this role may not create it: subjectSearch scans subjects "
                          f"until an operator runs CREATE EXTENSION pg_trgm; CREATE INDEX {TRIGRAM_INDEX} ON subjects "
                          "USING gin (name gin_trgm_ops) (README, Substring search)")
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")  # the extension stays: others may use it
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
