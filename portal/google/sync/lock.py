"""One sync at a time per connection, enforced by the database rather than by Redis.

PostgreSQL: a session advisory lock on a dedicated connection. It is released when the job
ends, and also when a worker is SIGKILLed, because PostgreSQL drops a dead session's locks.
SQLite allows a single writer at a time anyway; run one worker process with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db

# First key of the two-int advisory lock: marks our locks apart from anyone else's.
LOCK_SPACE = 0x5C0D


@contextmanager
def connection_lock(connection_id: int) -> Iterator[None]:
    """Hold the sync lock of one Google connection for the duration of the block."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    with db.engine.connect() as conn:
        conn.execute(_LOCK, _ids(connection_id))
        conn.commit()
        try:
            yield
        finally:
            conn.execute(_UNLOCK, _ids(connection_id))
            conn.commit()


class LockHolder:
    """Sync locks tried and released in turn on one held database connection.

    A drain pulls many connections one after another: a connection of its own for each lock
    cost a pool checkout, its ping and two commits per pull. This one connection runs in
    autocommit, so each lock and each release is a single statement.
    """

    def __init__(self, conn: Connection | None) -> None:
        self.conn = conn

    def try_lock(self, connection_id: int) -> bool:
        """Take this connection's lock if no other process holds it."""
        if self.conn is None:
            return True
        return bool(self.conn.execute(_TRY_LOCK, _ids(connection_id)).scalar())

    def unlock(self, connection_id: int) -> None:
        """Release a lock try_lock took."""
        if self.conn is not None:
            self.conn.execute(_UNLOCK, _ids(connection_id))


@contextmanager
def lock_holder() -> Iterator[LockHolder]:
    """One database connection for a batch's locks; every lock it still holds goes at the end."""
    if db.engine.dialect.name != "postgresql":
        yield LockHolder(None)
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        try:
            yield LockHolder(conn)
        finally:
            # Back in the pool, a lock left behind would block its connection's syncs for good.
            # A broken connection's session is gone, and its locks with it.
            with suppress(SQLAlchemyError):
                conn.execute(text("SELECT pg_advisory_unlock_all()"))


_LOCK = text("SELECT pg_advisory_lock(:space, :id)")
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:space, :id)")
_UNLOCK = text("SELECT pg_advisory_unlock(:space, :id)")


def _ids(connection_id: int) -> dict[str, int]:
    return {"space": LOCK_SPACE, "id": connection_id}
