"""The Calendar clients of a coordinator's connection, and Google's per-user quota they share.

Jobs and web requests that act for a stored connection use `client_for`: its encrypted tokens
and a throttle that keeps every process together under Google's per-user quota (600 requests a
minute). The sync jobs use `sync_client_for`, which also tells a lost calendar from a lost
event (lost_calendar.py). The OAuth callback calls Google with the token it has just received
(`fresh_client`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from redis import Redis

from portal.core.queue import redis_connection
from portal.google.account.lost_calendar import GuardedClient
from portal.google.account.tokens import ConnectionTokens, StaticTokens
from portal.google.api.client import CalendarClient
from portal.models import GoogleConnection

C = TypeVar("C", bound=CalendarClient)


def client_for(connection: GoogleConnection) -> CalendarClient:
    """A Calendar client with this connection's tokens and the shared per-user quota."""
    return _client(CalendarClient, connection)


def sync_client_for(connection: GoogleConnection) -> GuardedClient:
    """client_for, for the sync jobs: the calendar's loss raises CalendarGone (lost_calendar)."""
    return _client(GuardedClient, connection).guard(connection.calendar_id or "")


def _client(kind: type[C], connection: GoogleConnection) -> C:
    limit = int(current_app.config.get("GOOGLE_USER_QUOTA_PER_MINUTE", 600))
    throttle = per_minute_throttle(redis_connection(), connection.id, limit)
    return kind.from_config(current_app.config, ConnectionTokens(connection.id), throttle)


def fresh_client(access_token: str) -> CalendarClient:
    """A client for a token just received in the OAuth callback (the row holds older ones)."""
    return CalendarClient.from_config(current_app.config, StaticTokens(access_token))


def per_minute_throttle(
    redis: Redis,
    connection_id: int,
    limit: int,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> Callable[[], None]:
    """A callable to run before each Google call: waits for the next minute once over limit."""

    def throttle() -> None:
        while True:
            window = int(clock() // 60)
            key = f"coordinoter:quota:{connection_id}:{window}"
            with redis.pipeline() as pipe:
                pipe.incr(key)
                pipe.expire(key, 120)
                used = pipe.execute()[0]
            if used <= limit:
                return
            sleep(max(0.05, (window + 1) * 60 - clock()))

    return throttle
