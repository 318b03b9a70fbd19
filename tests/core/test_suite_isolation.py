"""The suite holds nothing another run on the machine could hold: its Redis is its own."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from redis import Redis
from rq import Worker
from rq.cron import CronScheduler

from tests.support.processes import start_clock, start_worker, stop, wait_for


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    """A client of this test process's Redis."""
    client = Redis.from_url(redis_url)
    yield client
    client.close()


def _parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        # The command name in parentheses may hold spaces; the fields after it are fixed.
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def test_this_process_redis_is_a_server_it_started_on_a_loopback_port(redis_url, redis):
    info = redis.info("server")
    assert redis_url.startswith("redis://127.0.0.1:") and info["tcp_port"] != 6379
    assert _parent_of(info["process_id"]) == os.getpid()


def test_the_workers_and_the_clock_tests_start_use_that_redis(app, redis):
    worker, clock = start_worker(app), start_clock(app)
    try:
        assert wait_for(lambda: Worker.all(connection=redis))
        assert wait_for(lambda: CronScheduler.all(connection=redis))
    finally:
        stop(worker)
        stop(clock)
