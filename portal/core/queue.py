"""Redis and the RQ queue, one connection per app (so web and worker processes share nothing),
and the worker loop that works the queue."""

from __future__ import annotations

from flask import current_app
from redis import Redis
from redis.commands.core import Script
from rq import Queue, SimpleWorker

from portal.core.collector import settle_collector
from portal.core.logs import routine_level


def redis_connection() -> Redis:
    """The app's Redis connection, created on first use."""
    conn = current_app.extensions.get("coordinoter_redis")
    if conn is None:
        conn = Redis.from_url(
            current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5
        )
        current_app.extensions["coordinoter_redis"] = conn
    return conn


def get_queue() -> Queue:
    """The RQ queue every job of this app goes to."""
    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


def redis_script(source: str) -> Script:
    """A Lua script on the app's Redis, registered once (EVALSHA, loaded again if flushed)."""
    scripts = current_app.extensions.setdefault("coordinoter_redis_scripts", {})
    script = scripts.get(source)
    if script is None:
        script = scripts[source] = redis_connection().register_script(source)
    return script


def run_worker(burst: bool = False, with_scheduler: bool = False) -> None:
    """Work the app's queue in this process until stopped (or, with burst, until it is empty)."""
    # SimpleWorker runs jobs in this process, inside the app context the flask CLI pushed;
    # a forking worker would share the parent's database connections with its children.
    queue = get_queue()
    worker = SimpleWorker([queue], connection=redis_connection())
    current_app.logger.info("worker listening on %s", queue.name)
    # Everything the worker needs is loaded now: out of the collector's reach with it.
    settle_collector()
    worker.work(
        burst=burst, with_scheduler=with_scheduler, logging_level=routine_level(current_app)
    )
