"""The token source: valid tokens, one refresh at a time, and refreshes that survive workers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask

from portal.extensions import db
from portal.google.account.clients import client_for
from portal.google.account.crypto import decrypt
from portal.google.account.tokens import ConnectionTokens
from portal.google.api.token_endpoint import TokenEndpointError
from portal.models import GoogleConnection
from portal.models.types import utcnow
from tests.google.conftest import GOOGLE_USER


@pytest.fixture
def connected(coordinator, connect_flow) -> GoogleConnection:
    """A connection with real tokens from the emulator."""
    connection = connect_flow.connect()
    connection.state = "connected"
    db.session.commit()
    return connection


def expires_in(connection: GoogleConnection, seconds: int) -> None:
    connection.token_expires_at = utcnow() + timedelta(seconds=seconds)
    db.session.commit()


def test_a_fresh_token_is_used_as_stored(connected, google):
    calls = google.count("oauth2.token")
    token = ConnectionTokens(connected.id).access_token()
    assert token == decrypt(connected.access_token_enc)
    assert google.count("oauth2.token") == calls


def test_a_token_is_refreshed_a_minute_before_it_expires(connected, google):
    old_access = decrypt(connected.access_token_enc)
    old_refresh = connected.refresh_token_enc
    expires_in(connected, 45)
    calls = google.count("oauth2.token")

    token = ConnectionTokens(connected.id).access_token()

    assert token != old_access
    assert google.count("oauth2.token") == calls + 1
    db.session.expire_all()
    # Persisted for every other worker; Google sent no new refresh token, so the old one stays.
    assert decrypt(connected.access_token_enc) == token
    assert connected.refresh_token_enc == old_refresh
    assert connected.token_expires_at > utcnow() + timedelta(minutes=50)


def test_a_401_refreshes_once_and_the_call_succeeds(connected, google):
    google.state.expire_access_tokens(GOOGLE_USER)
    calls = google.count("oauth2.token")

    calendars = client_for(connected).list_calendars()

    assert [c["id"] for c in calendars] == [GOOGLE_USER]
    assert google.count("oauth2.token") == calls + 1
    list_calls = google.calls("calendar.calendarList.list")
    assert [c["status"] for c in list_calls[-2:]] == [401, 200]


def test_forcing_a_refresh_uses_a_token_another_worker_already_refreshed(connected, google):
    first, second = ConnectionTokens(connected.id), ConnectionTokens(connected.id)
    rejected = first.access_token()
    second.access_token()
    calls = google.count("oauth2.token")

    fresh = first.refresh()
    again = second.refresh()

    assert fresh != rejected and again == fresh
    assert google.count("oauth2.token") == calls + 1


def test_two_workers_refreshing_together_call_google_once(app: Flask, connected, google):
    expires_in(connected, -10)
    # Slow the token endpoint so the second worker arrives while the first holds the lock.
    google.state.add_fault("oauth2.token", None, delay=0.5)
    calls = google.count("oauth2.token")
    connection_id = connected.id
    barrier = threading.Barrier(2)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=5)
                tokens.append(ConnectionTokens(connection_id).access_token())
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert google.count("oauth2.token") == calls + 1
    assert len(tokens) == 2 and tokens[0] == tokens[1]
    db.session.expire_all()
    assert decrypt(connected.access_token_enc) == tokens[0]


def test_a_token_endpoint_outage_is_retryable_and_changes_nothing(connected, google):
    expires_in(connected, -10)
    google.state.add_fault("oauth2.token", 503)

    with pytest.raises(TokenEndpointError) as raised:
        ConnectionTokens(connected.id).access_token()

    assert raised.value.retryable
    db.session.expire_all()
    assert connected.state == "connected" and connected.refresh_token_enc is not None


def test_a_client_misconfiguration_is_not_retried_and_not_blamed_on_the_coordinator(
    app, connected, google
):
    expires_in(connected, -10)
    app.config["GOOGLE_CLIENT_SECRET"] = "wrong"

    with pytest.raises(TokenEndpointError) as raised:
        ConnectionTokens(connected.id).access_token()

    assert raised.value.status == 401 and not raised.value.retryable
    db.session.expire_all()
    assert connected.state == "connected"
