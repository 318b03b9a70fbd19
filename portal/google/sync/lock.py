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
def connection_lock(connection_id: int, wait: bool = True) -> Iterator[bool]:
    """Hold the sync lock of one Google connection for the duration of the block.

    With wait=False the lock is only tried: the block gets False (and holds nothing) when
    another process holds it, so a job with other connections to pull need not sit waiting.
    """
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    take = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
    ids = {"space": LOCK_SPACE, "id": connection_id}
    with db.engine.connect() as conn:
        taken = conn.execute(text(f"SELECT {take}(:space, :id)"), ids).scalar()
        conn.commit()
        if taken is False:
            yield False
            return
        try:
            yield True
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:space, :id)"), ids)
            conn.commit()
