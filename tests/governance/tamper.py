"""What a person with direct database access can do: edit rows with the guards switched off."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

SQLITE_GUARD = (
    "CREATE TRIGGER governance_packet_ready_immutable"
    " BEFORE UPDATE ON governance_packet WHEN OLD.status = 'ready'"
    " BEGIN SELECT RAISE(ABORT, 'ready packets are immutable'); END;"
)


@contextmanager
def guards_off() -> Iterator[None]:
    """Edit sealed rows as a database superuser could: on PostgreSQL with the replication role
    (which skips triggers, as dropping them would), on SQLite without migration 0011's guard."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS governance_packet_ready_immutable")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")
            else:
                cursor.execute(SQLITE_GUARD)
