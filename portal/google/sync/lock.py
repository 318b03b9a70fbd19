"""One sync at a time per connection, enforced by the database rather than by Redis.

PostgreSQL: a session advisory lock on a dedicated connection. It is released when the job
ends, and also when a worker is SIGKILLed, because PostgreSQL drops a dead session's locks.
SQLite allows a single writer at a time anyway; run one worker process with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

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
        conn.execute(
            text("SELECT pg_advisory_lock(:space, :id)"), {"space": LOCK_SPACE, "id": connection_id}
        )
        conn.commit()
        try:
            yield
        finally:
            conn.execute(
                text("SELECT pg_advisory_unlock(:space, :id)"),
                {"space": LOCK_SPACE, "id": connection_id},
            )
            conn.commit()
