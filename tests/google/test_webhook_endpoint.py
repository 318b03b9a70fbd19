"""/google/notify is answered in front of Flask (portal.google.realtime.webhook), as plain WSGI.

No session cookie, no CSRF, no login: an empty 200 for anything Google could send, 405 for other
methods, and 503 (Google retries later) when the portal cannot take the notification at all.
"""

from __future__ import annotations

import logging
import socket

from redis import Redis

from portal import create_app
from portal.core.queue import redis_connection
from portal.google.realtime.directory import GENERATION_KEY
from portal.google.realtime.heard import outcome_counts
from tests.conftest import base_config
from tests.google.test_realtime import notify


def test_a_notification_gets_an_empty_200_and_no_cookie(client, coordinator):
    response = notify(client, "no-such-channel", "guessed")
    assert (response.status_code, response.data) == (200, b"")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Content-Length"] == "0"
    assert outcome_counts(redis_connection(), hours=1)["unknown_channel"] == 1


def test_other_methods_are_refused_with_405(client):
    for method in ("get", "put", "delete"):
        response = getattr(client, method)("/google/notify")
        assert response.status_code == 405 and response.headers["Allow"] == "POST"
    # Everything else still goes to Flask.
    assert client.get("/google/notify/more").status_code == 404


def test_a_body_is_read_and_ignored(client):
    response = client.post(
        "/google/notify", data=b"x" * 5000, headers={"X-Goog-Resource-State": "exists"}
    )
    assert response.status_code == 200


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_database_that_cannot_be_reached_answers_503_so_google_retries(redis_url, caplog):
    unreachable = f"postgresql+psycopg://coordinoter@127.0.0.1:{closed_port()}/none"
    portal = create_app(base_config(unreachable, redis_url))
    # A channel was just added elsewhere: this process must read the channels again.
    Redis.from_url(redis_url).set(GENERATION_KEY, "changed-elsewhere")
    with caplog.at_level(logging.ERROR, logger="portal.google.realtime.webhook"):
        response = portal.test_client().post(
            "/google/notify",
            headers={
                "X-Goog-Channel-ID": "a-channel-read-from-the-database",
                "X-Goog-Channel-Token": "token",
                "X-Goog-Resource-State": "exists",
            },
        )
    assert (response.status_code, response.data) == (503, b"")
    assert "could not take a Google notification" in caplog.text
