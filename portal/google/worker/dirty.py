"""The connections notifications marked for a pull, waiting for a drain job (drain.py).

Per shard (connection id mod SHARDS) a Redis sorted set of connection ids, each scored by when
it is due: when it was marked, or later when it was put back. A connection in the set is its
one waiting pull; marking it again changes nothing. The webhook marks in its own Redis script
(realtime/heard.py) with these keys.
"""

from __future__ import annotations

import time

from portal.core.queue import redis_connection

# Enough drain jobs to keep every worker busy, few enough that each takes many connections.
SHARDS = 8


def shard_of(connection_id: int) -> int:
    """The shard a connection's mark goes to."""
    return connection_id % SHARDS


def dirty_key(shard: int) -> str:
    """The Redis sorted set of one shard's marked connections."""
    return f"coordinoter:dirty:pull:{shard}"


def mark(connection_id: int, due: float | None = None) -> None:
    """Mark a connection for a pull (at `due`, or now); a mark already there stays."""
    when = time.time() if due is None else due
    redis_connection().zadd(dirty_key(shard_of(connection_id)), {str(connection_id): when}, nx=True)


def put_back(connection_id: int, due: float) -> None:
    """Mark a connection again for a pull at `due` (its lock was busy, or Google was)."""
    redis_connection().zadd(dirty_key(shard_of(connection_id)), {str(connection_id): due})


def pop_due(shard: int) -> int | None:
    """Take the shard's earliest mark if it is due; None when none is."""
    redis = redis_connection()
    popped = redis.zpopmin(dirty_key(shard))
    if not popped:
        return None
    member, due = popped[0]
    if due > time.time():
        # Not yet due (put back for later): it goes back, and so does the drain.
        redis.zadd(dirty_key(shard), {member: due}, nx=True)
        return None
    return int(member)


def earliest(shard: int) -> float | None:
    """When the shard's earliest mark is due; None when the shard has none."""
    first = redis_connection().zrange(dirty_key(shard), 0, 0, withscores=True)
    return first[0][1] if first else None


def is_marked(connection_id: int) -> bool:
    """Whether a connection waits in its shard for a drain job."""
    return redis_connection().zscore(dirty_key(shard_of(connection_id)), connection_id) is not None
