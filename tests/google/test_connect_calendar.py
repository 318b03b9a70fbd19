"""Choosing the calendar to sync with, the dedicated calendar, privacy and Sync now."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portal.core.queue import redis_connection
from portal.extensions import db
from portal.google.account import oauth
from portal.models import GoogleConnection, SyncLog
from tests.google.conftest import GOOGLE_USER, OTHER_GOOGLE_USER
from tests.support.worker import queued_jobs


@pytest.fixture
def connected(coordinator, connect_flow) -> GoogleConnection:
    """The coordinator has signed in with Google and the import has finished."""
    connection = connect_flow.connect()
    connection.state = "connected"
    connection.sync_token = "sync-token-of-primary"
    db.session.commit()
    return connection


def test_the_picker_lists_the_accounts_writable_calendars_and_a_new_one(connected, google, client):
    google.state.add_calendar(GOOGLE_USER, "Work appointments")

    html = client.get("/google/calendar", headers={"HX-Request": "true"}).text

    assert "Work appointments" in html
    assert f'value="{GOOGLE_USER}" checked' in html
    assert "New dedicated Coordinoter calendar" in html


def test_choosing_another_calendar_resets_the_sync_token_and_imports_it(connected, google, client):
    redis_connection().flushdb()
    work = google.state.add_calendar(GOOGLE_USER, "Work appointments")

    response = client.post("/google/calendar", data={"calendar_id": work})

    assert response.status_code == 302
    db.session.expire_all()
    assert connected.calendar_id == work
    assert connected.calendar_summary == "Work appointments"
    assert connected.sync_token is None and connected.state == "importing"
    assert queued_jobs() == [("import_job", (connected.id,))]
    assert db.session.scalars(select(SyncLog).where(SyncLog.message.like("Sync calendar%"))).one()


def test_choosing_the_same_calendar_changes_nothing(connected, client):
    redis_connection().flushdb()
    client.post("/google/calendar", data={"calendar_id": GOOGLE_USER})
    db.session.expire_all()
    assert connected.sync_token == "sync-token-of-primary"
    assert queued_jobs() == []


def test_a_calendar_that_is_not_in_the_account_is_refused(connected, google, client):
    elsewhere = google.state.add_calendar(OTHER_GOOGLE_USER, "Someone else's")
    assert client.post("/google/calendar", data={"calendar_id": elsewhere}).status_code == 400
    db.session.expire_all()
    assert connected.calendar_id == GOOGLE_USER


def test_a_new_dedicated_calendar_asks_google_for_one_more_scope_then_creates_it(
    connected, connect_flow, google, client
):
    response = client.post("/google/calendar", data={"calendar_id": "__new__"})
    assert response.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    assert oauth.CALENDAR_APP_CREATED in query["scope"].split()
    assert query["include_granted_scopes"] == "true"
    assert query["login_hint"] == GOOGLE_USER

    connect_flow.callback(google.decide(response.headers["Location"]))

    db.session.expire_all()
    created = [c for c in google.state.calendars_of(GOOGLE_USER) if c.summary == "Coordinoter"]
    assert len(created) == 1
    assert created[0].time_zone == "Australia/Sydney"
    assert connected.calendar_id == created[0].id
    assert connected.state == "importing" and connected.sync_token is None
    assert oauth.CALENDAR_APP_CREATED in connected.scopes.split()
    assert oauth.CALENDAR_EVENTS in connected.scopes.split()
    assert ("import_job", (connected.id,)) in queued_jobs()
    # With the scope granted once, a second dedicated calendar needs no new consent.
    again = client.post("/google/calendar", data={"calendar_id": "__new__"})
    assert again.headers["Location"] == "/portal/integrations"


@pytest.mark.parametrize(
    ("decision", "untick", "says"),
    [
        ("allow", (oauth.CALENDAR_APP_CREATED,), "needs permission to create its own calendar"),
        ("deny", (), "You declined, so Coordinoter did not create its own calendar"),
    ],
)
def test_declining_the_extra_scope_keeps_the_current_calendar(
    connected, connect_flow, google, client, decision, untick, says
):
    response = client.post("/google/calendar", data={"calendar_id": "__new__"})

    connect_flow.callback(google.decide(response.headers["Location"], decision, untick=untick))

    db.session.expire_all()
    assert connected.calendar_id == GOOGLE_USER and connected.state == "connected"
    assert connected.sync_token == "sync-token-of-primary" and connected.last_error is None
    page = client.get("/portal/integrations").text
    assert says in page
    assert 'data-state="connected"' in page


def test_the_extra_consent_must_be_for_the_connected_account(
    connected, connect_flow, google, client
):
    response = client.post("/google/calendar", data={"calendar_id": "__new__"})

    connect_flow.callback(google.decide(response.headers["Location"], account=OTHER_GOOGLE_USER))

    db.session.expire_all()
    assert connected.google_email == GOOGLE_USER and connected.calendar_id == GOOGLE_USER
    assert not [
        c for c in google.state.calendars_of(OTHER_GOOGLE_USER) if c.summary == "Coordinoter"
    ]


def test_privacy_level_changes_from_the_card(connected, client):
    response = client.post(
        "/google/privacy", data={"privacy_level": "busy"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert 'id="google-card"' in response.text
    assert "Coordinoter appointment" in response.text
    db.session.expire_all()
    assert connected.privacy_level == "busy"
    assert client.post("/google/privacy", data={"privacy_level": "everything"}).status_code == 400


def test_sync_now_enqueues_one_pull_and_disables_itself_while_it_waits(connected, client):
    # While the import is queued a pull would be pointless; let it be done.
    redis_connection().flushdb()

    first = client.post("/portal/integrations/google/sync", headers={"HX-Request": "true"})

    assert queued_jobs() == [("pull_job", (connected.id,))]
    assert 'id="google-sync-now" disabled' in first.text
    assert 'hx-trigger="every 2s"' in first.text
    client.post("/portal/integrations/google/sync", headers={"HX-Request": "true"})
    assert queued_jobs() == [("pull_job", (connected.id,))]


def test_nothing_to_change_without_a_live_connection(coordinator, client, google):
    assert client.get("/google/calendar").status_code == 404
    assert client.post("/google/calendar", data={"calendar_id": "x"}).status_code == 404
    assert client.post("/google/privacy", data={"privacy_level": "busy"}).status_code == 404
    assert client.post("/google/disconnect", data={"remove_events": "keep"}).status_code == 404
