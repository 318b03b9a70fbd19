"""Disconnecting: the confirmation, the request, and the operation the job runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.google.account.clients import client_for
from portal.google.account.disconnect import disconnect_connection, request_disconnect
from portal.models import Event, EventLink, GoogleConnection, SyncLog, WatchChannel
from tests import factories
from tests.google.conftest import GOOGLE_USER
from tests.support.worker import queued_jobs

START = {"dateTime": "2026-11-26T09:00:00+10:00", "timeZone": "Australia/Brisbane"}
END = {"dateTime": "2026-11-26T10:00:00+10:00", "timeZone": "Australia/Brisbane"}


@pytest.fixture
def connected(coordinator, connect_flow) -> GoogleConnection:
    """The coordinator has signed in with Google."""
    connection = connect_flow.connect()
    connection.state = "connected"
    db.session.commit()
    return connection


def mirror(connection, coordinator, google_id: str, origin: str) -> EventLink:
    """An event on both sides, linked: put on Google by the portal, or come from Google."""
    client_for(connection).insert_event(
        GOOGLE_USER, {"id": google_id, "summary": google_id, "start": START, "end": END}
    )
    event = factories.make_event(coordinator, title=google_id, origin=origin)
    link = EventLink(
        connection_id=connection.id,
        calendar_id=connection.calendar_id,
        event_id=event.id,
        google_event_id=google_id,
    )
    db.session.add(link)
    db.session.commit()
    return link


def open_channel(connection) -> WatchChannel:
    answer = client_for(connection).watch(
        GOOGLE_USER, "channel-1", "secret", "http://127.0.0.1:9/google/notify", 3600
    )
    channel = WatchChannel(
        connection_id=connection.id,
        channel_id="channel-1",
        resource_id=answer["resourceId"],
        token_hash="hash",
        calendar_id=GOOGLE_USER,
        expires_at=datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC),
    )
    db.session.add(channel)
    db.session.commit()
    return channel


def run_disconnect(connection, remove_events: bool) -> None:
    """What the disconnect route and then the disconnect job do."""
    request_disconnect(connection, remove_events)
    db.session.commit()
    disconnect_connection(connection.id, remove_events, client_for)
    db.session.commit()
    db.session.expire_all()


def test_the_confirmation_asks_whether_to_keep_or_remove_the_events(connected, client):
    html = client.get("/google/disconnect", headers={"HX-Request": "true"}).text
    assert 'class="modal-backdrop"' in html
    assert html.count('name="remove_events"') == 2
    assert 'value="keep"' in html and 'value="remove"' in html
    page = client.get("/google/disconnect").text
    assert "<!doctype html>" in page and "Disconnect Google Calendar?" in page


def test_disconnecting_stops_sync_at_once_and_queues_the_tidy_up(connected, client):
    response = client.post("/google/disconnect", data={"remove_events": "remove"})

    assert response.status_code == 302
    db.session.expire_all()
    assert connected.state == "disconnected"
    assert ("disconnect_job", (connected.id, True)) in queued_jobs()
    card = client.get("/portal/integrations/google/card", headers={"HX-Request": "true"}).text
    assert 'data-state="disconnecting"' in card and 'hx-trigger="every 2s"' in card
    # Signing in again before the job has revoked the old grant would lose the new one.
    client.post("/google/connect")
    db.session.expire_all()
    assert connected.state == "disconnected"


def test_the_disconnect_form_needs_a_choice(connected, client):
    assert client.post("/google/disconnect", data={"remove_events": "maybe"}).status_code == 400
    db.session.expire_all()
    assert connected.state == "connected"


def test_disconnect_revokes_at_google_wipes_tokens_and_keeps_events_and_links(
    connected, coordinator, google, client
):
    link = mirror(connected, coordinator, "portalevent0001", "portal")
    connected.sync_token = "some-sync-token"
    db.session.commit()

    run_disconnect(connected, remove_events=False)

    assert [c["status"] for c in google.calls("oauth2.revoke")] == [200]
    assert connected.state == "disconnected"
    assert connected.access_token_enc is None and connected.refresh_token_enc is None
    assert connected.token_expires_at is None and connected.sync_token is None
    # Kept for re-linking if the same account comes back.
    assert connected.google_sub and connected.calendar_id == GOOGLE_USER
    assert db.session.get(EventLink, link.id).remote_deleted is False
    assert db.session.get(Event, link.event_id).deleted_at is None
    assert google.state.get_event(GOOGLE_USER, "portalevent0001")["status"] == "confirmed"
    assert google.state.grants_of(GOOGLE_USER) == []
    log = db.session.scalars(select(SyncLog).where(SyncLog.kind == "disconnect")).all()
    assert any(r.message.startswith("Revoked Coordinoter's access") for r in log)
    card = client.get("/portal/integrations/google/card", headers={"HX-Request": "true"}).text
    assert 'data-state="not_connected"' in card and "Sign in with Google" in card


def test_disconnect_can_remove_only_the_events_the_portal_put_on_google(
    connected, coordinator, google
):
    ours = mirror(connected, coordinator, "portalevent0002", "portal")
    theirs = mirror(connected, coordinator, "googleevent0003", "google")

    run_disconnect(connected, remove_events=True)

    assert google.state.get_event(GOOGLE_USER, "portalevent0002")["status"] == "cancelled"
    assert google.state.get_event(GOOGLE_USER, "googleevent0003")["status"] == "confirmed"
    # Forgotten, not marked deleted: a later reconnect sends the event again, as new.
    assert db.session.get(EventLink, ours.id) is None
    assert db.session.get(EventLink, theirs.id).remote_deleted is False
    assert db.session.get(Event, ours.event_id).deleted_at is None
    assert google.count("oauth2.revoke") == 1


def test_disconnect_stops_the_watch_channels(connected, google):
    channel = open_channel(connected)

    run_disconnect(connected, remove_events=False)

    assert db.session.get(WatchChannel, channel.id).stopped_at is not None
    assert [c["stopped"] for c in google.state.channels() if c["id"] == "channel-1"] == [True]


def test_a_failing_revoke_does_not_block_the_disconnect(connected, google):
    google.state.add_fault("oauth2.revoke", 503)

    run_disconnect(connected, remove_events=False)

    assert connected.state == "disconnected"
    assert connected.access_token_enc is None and connected.refresh_token_enc is None
    row = db.session.scalars(
        select(SyncLog).where(SyncLog.kind == "disconnect", SyncLog.outcome == "failed")
    ).one()
    assert "Could not revoke Coordinoter's access at Google (Google answered 503)" in row.message


def test_google_being_down_does_not_block_the_disconnect(connected, coordinator, google):
    link = mirror(connected, coordinator, "portalevent0004", "portal")
    google.state.add_fault("*", 503, count=50)

    run_disconnect(connected, remove_events=True)

    assert connected.state == "disconnected" and connected.refresh_token_enc is None
    assert db.session.get(EventLink, link.id).remote_deleted is False
    partial = db.session.scalars(select(SyncLog).where(SyncLog.outcome == "partial")).one()
    assert "Removed 0 of 1 events" in partial.message


def test_reconnecting_after_a_disconnect_relinks_instead_of_duplicating(
    connected, coordinator, connect_flow
):
    link = mirror(connected, coordinator, "portalevent0005", "portal")
    run_disconnect(connected, remove_events=False)

    connect_flow.run()

    db.session.expire_all()
    assert connected.state == "importing"
    assert db.session.get(EventLink, link.id).google_event_id == "portalevent0005"
    assert db.session.scalars(select(GoogleConnection)).all() == [connected]


def test_a_late_disconnect_job_never_revokes_a_newer_sign_in(connected, client, google):
    client.post("/google/disconnect", data={"remove_events": "keep"})
    connected.state = "importing"  # the coordinator signed in again before the job ran
    db.session.commit()

    disconnect_connection(connected.id, False, client_for)
    db.session.commit()

    db.session.expire_all()
    assert google.count("oauth2.revoke") == 0
    assert connected.refresh_token_enc is not None and connected.state == "importing"


def test_the_queued_disconnect_job_does_the_whole_thing(connected, client, google):
    from tests.support.worker import run_jobs

    connection_id = connected.id
    client.post("/google/disconnect", data={"remove_events": "keep"})
    run_jobs()

    connection = db.session.get(GoogleConnection, connection_id)
    assert connection.state == "disconnected" and connection.refresh_token_enc is None
    assert google.count("oauth2.revoke") == 1
