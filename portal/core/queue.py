"""Redis and the RQ queue, one connection per app (so web and worker processes share nothing)."""

from __future__ import annotations

from flask import current_app
from redis import Redis
from redis.commands.core import Script
from rq import Queue


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
