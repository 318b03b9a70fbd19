"""The Calendar clients of a coordinator's connection, on the budget for Google calls.

Jobs and web requests that act for a stored connection use `client_for`: its encrypted tokens
and the budget every process shares (budget.py), which keeps them all together under Google's
per-project and per-user quotas. The sync jobs use `sync_client_for`, which also tells a lost
calendar from a lost event (lost_calendar.py). The OAuth callback calls Google with the token
it has just received (`fresh_client`), on the project's budget alone.
"""

from __future__ import annotations

import os
import threading
from typing import TypeVar

import requests
from flask import current_app

from portal.core.queue import redis_connection, redis_script
from portal.google.account.budget import TAKE, Budget, Limits
from portal.google.account.lost_calendar import GuardedClient
from portal.google.account.tokens import ConnectionTokens, StaticTokens
from portal.google.api.client import CalendarClient
from portal.models import GoogleConnection

C = TypeVar("C", bound=CalendarClient)


def client_for(connection: GoogleConnection) -> CalendarClient:
    """A Calendar client with this connection's tokens, on the shared budget (budget.py)."""
    return _client(CalendarClient, connection)


def sync_client_for(connection: GoogleConnection) -> GuardedClient:
    """client_for, for the sync jobs: the calendar's loss raises CalendarGone (lost_calendar).

    The job has just read the row under its lock: its stored token serves the first call
    without another read (tokens.ConnectionTokens).
    """
    stored = (connection.access_token_enc, connection.token_expires_at)
    return _client(GuardedClient, connection, stored).guard(connection.calendar_id or "")


def _client(kind: type[C], connection: GoogleConnection, stored: tuple | None = None) -> C:
    throttle = shared_budget().throttle(connection.id)
    tokens = ConnectionTokens(connection.id, stored)
    client = kind.from_config(current_app.config, tokens, throttle)
    client.session = http_session()
    return client


def http_session() -> requests.Session:
    """This thread's HTTP session for Google's API, kept from one job to the next.

    Its connections stay open between jobs, and the environment's proxy and CA settings are
    read once: with `trust_env` requests reads them (every variable, and ~/.netrc) on each
    call, a tenth of a pull's CPU.
    """
    local = current_app.extensions.setdefault("coordinoter_google_http", threading.local())
    session = getattr(local, "session", None)
    if session is None:
        session = requests.Session()
        api = current_app.config["GOOGLE_CALENDAR_API_URI"]
        session.proxies = requests.utils.get_environ_proxies(api)
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
            "CURL_CA_BUNDLE", True
        )
        session.trust_env = False
        local.session = session
    return session


def fresh_client(access_token: str) -> CalendarClient:
    """A client for a token just received in the OAuth callback (the row holds older ones)."""
    # No connection to count its calls under yet; they still count against the project.
    throttle = shared_budget().throttle(None)
    return CalendarClient.from_config(current_app.config, StaticTokens(access_token), throttle)


def shared_budget() -> Budget:
    """The budget for Google calls that every process of this app shares through Redis."""
    limits = Limits.from_config(current_app.config)
    return Budget(redis_connection(), limits, script=redis_script(TAKE))
