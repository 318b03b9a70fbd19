"""A web process's own copy of the week marks, kept true by Redis's invalidation messages.

An unchanged poll compared its ticket with the mark in Redis: one round trip, under gevent
most of what the gate cost. Redis can instead tell a process that a mark moved: CLIENT
TRACKING in broadcast mode for the marks' key prefix, on a connection of the process's own,
pushes an `invalidate` message for every write, expiry or flush of those keys. A mark read
once is then answered from memory until such a message names it.

Nothing runs in the background. Each lookup first drains, without waiting, what Redis has
pushed (a select() that finds nothing costs about 2 µs). Redis sends the message in the same
turn of its event loop as its answer to the write, so it is here microseconds after a bump
returns, long before the page's next poll a second later. A mark is kept only
while the tracking connection stands and only if no message arrived while it was being read;
when that connection fails, every kept mark is dropped and lookups go to Redis until it is
back. A message lost anyway can only make the gate say "unchanged" until the ticket expires,
the bound it already has for a bump lost between a commit and Redis.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable

from redis import ConnectionPool, Redis
from redis.connection import AbstractConnection
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Marks a process keeps at most (one per coordinator with an open calendar, roughly).
MAX_MARKS = 100_000
# After the tracking connection fails, lookups go to Redis for this long before it is retried.
RETRY_SECONDS = 5.0


class MarkCache:
    """The marks under one key prefix, as this process last read them from Redis."""

    def __init__(
        self, connection_kwargs: dict, prefix: str, retry_seconds: float = RETRY_SECONDS
    ) -> None:
        self.connection_kwargs = connection_kwargs
        self.retry_seconds = retry_seconds
        self.prefix = prefix.encode()
        self.marks: dict[str, str] = {}
        # Moves with every invalidation: a read that saw it move is not kept.
        self.generation = 0
        self.connection: AbstractConnection | None = None
        self.retry_at = 0.0
        # gevent patches this into a cooperative lock; a busy one means another greenlet is
        # draining, and this lookup reads Redis rather than wait.
        self.lock = threading.Lock()

    def get(self, key: str, read: Callable[[], str | None]) -> str | None:
        """The mark under `key`: from memory when Redis vouches for it, else `read()`."""
        if not self.lock.acquire(blocking=False):
            return read()
        try:
            if not self.drain():
                return read()
            mark = self.marks.get(key)
            if mark is not None:
                return mark
            generation = self.generation
            mark = read()
            if mark is not None and self.drain() and generation == self.generation:
                if len(self.marks) >= MAX_MARKS:
                    self.marks.clear()
                self.marks[key] = mark
            return mark
        finally:
            self.lock.release()

    def drain(self) -> bool:
        """Apply every invalidation Redis has pushed; whether the copy can be trusted now."""
        if self.connection is None and not self.connect():
            return False
        try:
            while self.connection.can_read(0):
                self.connection.read_response(push_request=True)
        except (RedisError, OSError) as exc:
            log.info("week mark tracking lost (%s); reading marks from Redis", exc)
            self.forget()
            return False
        return True

    def connect(self) -> bool:
        """Open the tracking connection (tried at most once per retry_seconds)."""
        if time.monotonic() < self.retry_at:
            return False
        self.retry_at = time.monotonic() + self.retry_seconds
        try:
            pool = ConnectionPool(**{**self.connection_kwargs, "protocol": 3})
            connection = pool.make_connection()
            connection.connect()
            connection._parser.set_invalidation_push_handler(self.invalidate)
            connection.send_command("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", self.prefix)
            connection.read_response()
        except (RedisError, OSError, AttributeError) as exc:
            log.info("week marks are read from Redis each time: %s", exc)
            return False
        self.connection = connection
        return True

    def invalidate(self, message: list) -> None:
        """A pushed `invalidate`: the keys named (None: every key) are no longer known."""
        self.generation += 1
        keys = message[1] if len(message) > 1 else None
        if keys is None:
            self.marks.clear()
            return
        for key in keys:
            self.marks.pop(key.decode() if isinstance(key, bytes) else key, None)

    def forget(self) -> None:
        """Drop the connection and every kept mark: nothing vouches for them any more."""
        connection, self.connection = self.connection, None
        self.marks.clear()
        self.generation += 1
        if connection is not None:
            with contextlib.suppress(RedisError, OSError):
                connection.disconnect()


def mark_cache(redis: Redis, prefix: str) -> MarkCache:
    """The cache of these marks for this Redis client, in this process (a fork makes its own)."""
    # Kept on the client: a cache follows the Redis its reads go to, and goes with it.
    kept = getattr(redis, "_coordinoter_mark_cache", None)
    if kept is None or kept[0] != os.getpid() or kept[1].prefix != prefix.encode():
        pool = redis.connection_pool
        kwargs = {"connection_class": pool.connection_class, **pool.connection_kwargs}
        kept = (os.getpid(), MarkCache(kwargs, prefix))
        redis._coordinoter_mark_cache = kept
    return kept[1]
