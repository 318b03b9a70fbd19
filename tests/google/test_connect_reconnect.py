"""When Google stops accepting our access: needs reconnect, the banner, and reconnecting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.google.account.clients import client_for
from portal.google.account.tokens import ConnectionTokens, ReconnectNeeded
from portal.models import EventLink, GoogleConnection, SyncLog, WatchChannel
from portal.models.types import utcnow
from tests import factories
from tests.google.conftest import GOOGLE_USER, OTHER_GOOGLE_USER
from tests.support.worker import queued_jobs


@pytest.fixture
def connected(coordinator, connect_flow) -> GoogleConnection:
    """The coordinator has signed in with Google (the import has not run)."""
    return connect_flow.connect()


def expire_locally(connection: GoogleConnection) -> None:
    connection.token_expires_at = utcnow() - timedelta(minutes=5)
    db.session.commit()


def link_an_event(coordinator, connection: GoogleConnection) -> EventLink:
    event = factories.make_event(coordinator, title="Home visit")
    link = EventLink(
        connection_id=connection.id,
        calendar_id=connection.calendar_id,
        event_id=event.id,
        google_event_id="abc12345",
    )
    db.session.add(link)
    db.session.commit()
    return link


def test_a_revoked_grant_moves_the_connection_to_needs_reconnect(connected, google):
    google.state.revoke_grants(GOOGLE_USER)
    expire_locally(connected)

    with pytest.raises(ReconnectNeeded) as raised:
        ConnectionTokens(connected.id).access_token()

    db.session.expire_all()
    assert connected.state == "needs_reconnect"
    assert "no longer accepts Coordinoter's access to casey.coordinator@gmail.com" in (
        connected.last_error
    )
    assert str(raised.value) == connected.last_error
    assert connected.refresh_token_enc is None
    row = db.session.scalars(select(SyncLog).where(SyncLog.outcome == "needs_reconnect")).one()
    assert row.kind == "error" and row.message == connected.last_error


def test_a_401_from_the_calendar_api_refreshes_and_a_dead_grant_asks_for_reconnect(
    connected, google
):
    # Google expired the access token early and the grant is gone (a password change).
    google.state.revoke_grants(GOOGLE_USER)

    with pytest.raises(ReconnectNeeded):
        client_for(connected).list_calendars()

    db.session.expire_all()
    assert connected.state == "needs_reconnect"
    assert google.calls("oauth2.token")[-1]["status"] == 400


def test_once_broken_no_worker_calls_google_again(connected, google):
    google.state.revoke_grants(GOOGLE_USER)
    expire_locally(connected)
    with pytest.raises(ReconnectNeeded):
        ConnectionTokens(connected.id).access_token()
    calls = google.count("oauth2.token")

    with pytest.raises(ReconnectNeeded):
        ConnectionTokens(connected.id).access_token()

    assert google.count("oauth2.token") == calls


def test_every_portal_page_shows_the_reconnect_banner(connected, google, client):
    assert "google-reconnect-banner" not in client.get("/calendar").text
    google.state.revoke_grants(GOOGLE_USER)
    expire_locally(connected)
    with pytest.raises(ReconnectNeeded):
        ConnectionTokens(connected.id).access_token()
    db.session.expire_all()  # the requests below share the test's session

    for page in ("/calendar", "/participants", "/portal/integrations"):
        html = client.get(page).text
        assert 'id="google-reconnect-banner"' in html, page
        assert "Google Calendar needs you." in html
        # Said once: the banner's heading does not repeat what its message says.
        banner = html.split('id="google-reconnect-banner"')[1].split("</div>")[0]
        assert banner.lower().count("sync has stopped") == 1, page
        assert 'action="/google/connect"' in html
    card = client.get("/portal/integrations/google/card", headers={"HX-Request": "true"}).text
    assert 'data-state="needs_reconnect"' in card
    assert "Reconnect" in card and "every 2s" not in card


def test_reconnecting_the_same_account_reuses_the_row_and_keeps_the_links(
    connected, coordinator, connect_flow, google, client
):
    link = link_an_event(coordinator, connected)
    connected.sync_token = "kept-sync-token"
    db.session.commit()
    google.state.revoke_grants(GOOGLE_USER)
    expire_locally(connected)
    with pytest.raises(ReconnectNeeded):
        ConnectionTokens(connected.id).access_token()

    response = connect_flow.run()

    assert response.status_code == 302
    rows = db.session.scalars(select(GoogleConnection)).all()
    assert [r.id for r in rows] == [connected.id]
    db.session.expire_all()
    assert connected.state == "importing" and connected.last_error is None
    assert connected.calendar_id == GOOGLE_USER
    assert connected.sync_token == "kept-sync-token"
    assert db.session.get(EventLink, link.id) is not None
    assert ("import_job", (connected.id,)) in queued_jobs()
    assert "google-reconnect-banner" not in client.get("/calendar").text
    # The new tokens work.
    ConnectionTokens(connected.id).refresh()


def test_reconnecting_with_a_different_account_drops_the_old_links(
    connected, coordinator, connect_flow, google
):
    link_id = link_an_event(coordinator, connected).id
    channel = WatchChannel(
        connection_id=connected.id,
        channel_id="old-channel",
        resource_id="r1",
        token_hash="x",
        calendar_id=GOOGLE_USER,
        expires_at=utcnow() + timedelta(days=3),
    )
    db.session.add(channel)
    connected.state = "needs_reconnect"
    db.session.commit()

    connect_flow.run(account=OTHER_GOOGLE_USER)

    db.session.expire_all()
    assert connected.google_email == OTHER_GOOGLE_USER
    assert connected.calendar_id == OTHER_GOOGLE_USER
    assert connected.sync_token is None
    assert db.session.get(EventLink, link_id) is None
    assert db.session.scalars(select(WatchChannel)).one().stopped_at is not None
    messages = [r.message for r in db.session.scalars(select(SyncLog))]
    assert any("Switched from casey.coordinator@gmail.com" in m for m in messages)


def test_declining_during_a_reconnect_keeps_needs_reconnect(connected, connect_flow, client):
    connected.state = "needs_reconnect"
    db.session.commit()

    connect_flow.run(decision="deny")

    db.session.expire_all()
    assert connected.state == "needs_reconnect"
    assert "You declined access" in client.get("/calendar").text
