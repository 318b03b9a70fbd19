"""The web process's copy of the week marks, against a real redis-server of its own.

Redis itself says when a mark moves (client tracking); these tests move marks the ways the
portal and Redis do (a write from another connection, an expiry, a flush, a restart) and check
that the copy never answers with a mark Redis no longer holds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from redis import Redis

from portal.calendar.mark_cache import MarkCache, mark_cache
from tests.support.redis_server import PrivateRedis

PREFIX = "test:mark:"


@pytest.fixture
def server() -> Iterator[PrivateRedis]:
    with PrivateRedis() as redis_server:
        yield redis_server


@pytest.fixture
def redis(server: PrivateRedis) -> Redis:
    return Redis.from_url(server.url)


class Reads:
    """The lookup's way to Redis, counted: what the cache could not answer itself."""

    def __init__(self, redis: Redis, key: str) -> None:
        self.redis, self.key, self.count = redis, key, 0

    def __call__(self) -> str | None:
        self.count += 1
        value = self.redis.get(self.key)
        return value.decode() if value else None


def settles_to(cache: MarkCache, key: str, reads: Reads, expected: str | None) -> bool:
    """Whether lookups answer `expected` within a second: Redis's message may still be on its
    way for a few microseconds after the write returned (the page asks a second later)."""
    deadline = time.monotonic() + 1.0
    while cache.get(key, reads) != expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def cache_for(redis: Redis, retry_seconds: float = 5.0) -> MarkCache:
    pool = redis.connection_pool
    kwargs = {"connection_class": pool.connection_class, **pool.connection_kwargs}
    return MarkCache(kwargs, PREFIX, retry_seconds)


def test_a_mark_read_once_is_answered_from_memory(redis):
    redis.set(PREFIX + "1", "a")
    cache, reads = cache_for(redis), Reads(redis, PREFIX + "1")
    assert [cache.get(PREFIX + "1", reads) for _ in range(5)] == ["a"] * 5
    assert reads.count == 1


def test_a_write_from_another_connection_is_seen_by_the_next_lookup(server, redis):
    redis.set(PREFIX + "1", "a")
    cache, reads = cache_for(redis), Reads(redis, PREFIX + "1")
    cache.get(PREFIX + "1", reads)
    Redis.from_url(server.url).set(PREFIX + "1", "b")
    assert settles_to(cache, PREFIX + "1", reads, "b")
    assert cache.get(PREFIX + "1", reads) == "b" and reads.count == 2


def test_a_mark_that_expires_or_is_flushed_is_read_again(redis):
    redis.set(PREFIX + "1", "a", px=200)
    redis.set(PREFIX + "2", "c")
    cache = cache_for(redis)
    first, second = Reads(redis, PREFIX + "1"), Reads(redis, PREFIX + "2")
    cache.get(PREFIX + "1", first), cache.get(PREFIX + "2", second)
    time.sleep(0.3)
    redis.get(PREFIX + "1")  # an expired key goes (and is announced) when it is next touched
    assert settles_to(cache, PREFIX + "1", first, None)
    redis.flushdb()
    assert settles_to(cache, PREFIX + "2", second, None)


def test_other_keys_do_not_disturb_the_kept_marks(redis):
    redis.set(PREFIX + "1", "a")
    cache, reads = cache_for(redis), Reads(redis, PREFIX + "1")
    cache.get(PREFIX + "1", reads)
    redis.set("rq:something", "x")
    assert cache.get(PREFIX + "1", reads) == "a" and reads.count == 1


def test_a_mark_moved_while_it_was_being_read_is_not_kept(redis):
    redis.set(PREFIX + "1", "a")
    cache = cache_for(redis)
    reads = Reads(redis, PREFIX + "1")

    def read_then_bump() -> str | None:
        value = reads()
        redis.set(PREFIX + "1", "b")  # a commit's bump landing between the read and the keep
        return value

    assert cache.get(PREFIX + "1", read_then_bump) == "a"
    assert settles_to(cache, PREFIX + "1", reads, "b")


def test_after_a_restart_lookups_read_redis_until_tracking_is_back(server, redis):
    redis.set(PREFIX + "1", "a")
    cache, reads = cache_for(redis, retry_seconds=0.2), Reads(redis, PREFIX + "1")
    cache.get(PREFIX + "1", reads)
    server.restart()
    redis.set(PREFIX + "1", "b")  # the restarted server is empty; this write was never tracked
    assert cache.get(PREFIX + "1", reads) == "b"
    assert cache.get(PREFIX + "1", reads) == "b" and reads.count == 3  # retry not yet due
    time.sleep(0.3)
    cache.get(PREFIX + "1", reads)
    redis.set(PREFIX + "1", "c")
    assert settles_to(cache, PREFIX + "1", reads, "c")


def test_without_redis_every_lookup_goes_to_redis_and_fails_there():
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    cache = cache_for(dead)
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises reaches the gate
        cache.get(PREFIX + "1", Reads(dead, PREFIX + "1"))


def test_each_client_has_its_own_cache_and_keeps_it(redis, server):
    other = Redis.from_url(server.url)
    assert mark_cache(redis, PREFIX) is mark_cache(redis, PREFIX)
    assert mark_cache(redis, PREFIX) is not mark_cache(other, PREFIX)


def test_repeated_unchanged_polls_send_redis_nothing(app, client, coordinator):
    from tests.calendar.test_poll_gate import ask, poll_url

    url = poll_url(client)
    assert ask(client, url).status_code == 204  # the first poll reads the mark once
    redis = app.extensions["coordinoter_redis"]
    before = redis.info("commandstats")
    for _ in range(5):
        assert ask(client, url).status_code == 204
    after = redis.info("commandstats")
    # INFO itself is the only command between the two readings.
    changed = {name for name, stats in after.items() if before.get(name) != stats}
    assert changed == {"cmdstat_info"}
