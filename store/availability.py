"""Whether an error means the database cannot be reached or written (SPEC 3.6: such a request is a 503,
never a 500 and never a `null` that would read as "no such subject").

A failure of the database itself — connection refused or terminated, pool exhausted, disk full,
read-only or locked past its timeout — is told apart from an error in what was asked, so the
gateway answers "try again later" only when that is true.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa

_UNAVAILABLE = (sa.OperationalError, sa.InterfaceError, sa.TimeoutError, sa.DisconnectionError,
                sa.ResourceClosedError, ConnectionError, OSError, TimeoutError)
# PostgreSQL's SQLSTATE classes for a server that cannot serve: connection exception, invalid transaction
# state (read-only), rollback (serialisation, deadlock), insufficient resources (disk full, too many
# connections), object not in prerequisite state (lock not available), operator intervention (shutdown,
# terminated), system error, internal error.
_POSTGRES_UNAVAILABLE = ("08", "25", "40", "53", "55", "57", "58", "XX")


def is_database_unavailable(error: BaseException | None) -> bool:
    """True when `error`, or an error it was raised from, says the database cannot serve."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, sqlite3.OperationalError):  # SQLite uses it for SQL mistakes too
            return any(phrase in str(error).lower() for phrase in _SQLITE_UNAVAILABLE)
        if isinstance(error, sa.OperationalError) and isinstance(error.orig, sqlite3.OperationalError):
            return any(phrase in str(error.orig).lower() for phrase in _SQLITE_UNAVAILABLE)
        if isinstance(error, _UNAVAILABLE):
            return True
        if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
            return True
        if type(error).__module__.startswith("asyncpg") and type(error).__name__ in _ASYNCPG_UNAVAILABLE:
            return True
        if isinstance(error, sa.DBAPIError):
            state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
            if isinstance(state, str) and state.startswith(_POSTGRES_UNAVAILABLE):
                return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


# asyncpg's own names for a lost or refused connection, when they surface unwrapped.
_ASYNCPG_UNAVAILABLE = frozenset({
    "ConnectionDoesNotExistError", "InterfaceError", "PostgresConnectionError", "ConnectionFailureError",
    "AdminShutdownError", "CannotConnectNowError", "CrashShutdownError", "TooManyConnectionsError",
    "InternalClientError",
})

# SQLite's messages for a database that cannot serve (its OperationalError also covers SQL mistakes).
_SQLITE_UNAVAILABLE = ("locked", "busy", "disk", "readonly", "read-only", "unable to open", "full", "i/o",
                       "no such table", "malformed", "not a database")
