"""The Google Calendar card in each state, its self-refresh, activity and conflicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import GoogleConnection, SyncLog, WatchChannel
from portal.models.types import utcnow

POLL = 'hx-trigger="every 2s"'


def make_connection(user, **fields) -> GoogleConnection:
    values = {
        "state": "connected",
        "google_sub": "1001",
        "google_email": "casey.coordinator@gmail.com",
        "calendar_id": "casey.coordinator@gmail.com",
        "calendar_summary": "Casey's calendar",
        "access_token_enc": "x",
        "refresh_token_enc": "y",
    }
    values.update(fields)
    connection = GoogleConnection(user_id=user.id, business_id=user.business_id, **values)
    db.session.add(connection)
    db.session.commit()
    return connection


def card(client) -> str:
    response = client.get("/portal/integrations/google/card", headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.text


def test_the_page_includes_the_card_and_htmx_gets_the_card_alone(coordinator, client):
    page = client.get("/portal/integrations").text
    assert "<!doctype html>" in page and "Manage Integrations" in page
    assert 'id="google-card"' in page
    fragment = card(client)
    assert fragment.lstrip().startswith("<section") and "<!doctype" not in fragment


def test_manage_integrations_is_in_the_business_portal_menu(coordinator, client):
    assert 'href="/portal/integrations">Manage Integrations' in client.get("/calendar").text


def test_not_configured_says_what_the_operator_must_set_and_offers_no_button(
    app, coordinator, client
):
    app.config["GOOGLE_CLIENT_ID"] = None
    html = card(client)
    assert "Google Calendar is not configured on this server" in html
    assert "GOOGLE_CLIENT_ID" in html and "GOOGLE_CLIENT_SECRET" in html
    assert "http://localhost/google/callback" in html
    assert "<button" not in html and POLL not in html


def test_not_connected_offers_sign_in_with_a_csrf_token(coordinator, client):
    html = card(client)
    assert 'data-state="not_connected"' in html
    assert 'action="/google/connect"' in html and "Sign in with Google" in html
    assert 'name="csrf_token"' in html
    assert POLL not in html


def test_connecting_polls_itself_while_the_sign_in_is_under_way(coordinator, client):
    make_connection(coordinator, state="connecting", access_token_enc=None, refresh_token_enc=None)
    html = card(client)
    assert 'data-state="connecting"' in html
    # A coordinator who never came back from Google can start again at once.
    assert 'action="/google/connect"' in html and "Sign in with Google again" in html
    assert POLL in html and 'hx-get="/portal/integrations/google/card"' in html
    assert 'hx-target="this"' in html and 'hx-swap="outerHTML"' in html


def test_an_abandoned_sign_in_stops_polling_and_shows_not_connected(coordinator, client):
    connection = make_connection(coordinator, state="connecting", access_token_enc=None)
    connection.updated_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    html = card(client)
    assert 'data-state="not_connected"' in html and POLL not in html


def test_importing_shows_progress_and_polls(coordinator, client):
    make_connection(coordinator, state="importing", import_count=1240)
    html = card(client)
    assert "Imported 1,240 events" in html
    assert POLL in html


def test_connected_shows_the_account_calendar_times_and_privacy(coordinator, client):
    connection = make_connection(
        coordinator,
        last_sync_at=datetime(2026, 11, 24, 22, 30, tzinfo=UTC),
        privacy_level="full",
    )
    # Channels are the sync's business: the card does not show their renewal.
    soon = (utcnow() + timedelta(days=3)).replace(hour=1, minute=0, second=0, microsecond=0)
    for channel_id, expires, stopped in (
        ("live-later", soon + timedelta(days=2), None),
        ("live-soon", soon, None),
        ("stopped", soon - timedelta(days=1), utcnow()),
    ):
        db.session.add(
            WatchChannel(
                connection_id=connection.id,
                channel_id=channel_id,
                token_hash="h",
                calendar_id="c",
                expires_at=expires,
                stopped_at=stopped,
            )
        )
    db.session.commit()

    html = card(client)

    assert 'data-state="connected"' in html and POLL not in html
    # Google's primary calendar, whose id is the account's email, is said to be the main one.
    assert "Your main Google calendar (casey.coordinator@gmail.com)" in html
    # Shown in the coordinator's own zone (Sydney, daylight saving: UTC+11), as times are
    # written everywhere in the portal.
    assert "25 Nov 2026, 9:30 am" in html
    assert "renewal" not in html.lower() and "channel" not in html.lower()
    assert '<option selected value="full">' in html
    assert "Coordinoter appointment" in html  # the explanation of “Busy only”
    for button in ("Change calendar", "Sync now", "Disconnect"):
        assert button in html


def test_needs_reconnect_explains_and_offers_reconnect(coordinator, client):
    make_connection(
        coordinator,
        state="needs_reconnect",
        access_token_enc=None,
        refresh_token_enc=None,
        last_error="Google no longer accepts Coordinoter's access.",
    )
    html = card(client)
    assert 'data-state="needs_reconnect"' in html
    assert "no longer accepts" in html
    assert 'id="google-reconnect"' in html and POLL not in html


def test_an_error_newer_than_the_last_sync_is_shown_in_plain_words(coordinator, client):
    make_connection(
        coordinator,
        last_sync_at=utcnow() - timedelta(minutes=10),
        last_error="The Google calendar we sync with cannot be found. Choose another calendar.",
        last_error_at=utcnow(),
    )
    html = card(client)
    assert 'data-state="error"' in html
    assert "cannot be found. Choose another calendar." in html
    assert POLL not in html


def test_an_older_error_is_not_shown_once_sync_works_again(coordinator, client):
    make_connection(
        coordinator,
        last_error="old trouble",
        last_error_at=utcnow() - timedelta(hours=2),
        last_sync_at=utcnow(),
    )
    html = card(client)
    assert 'data-state="connected"' in html


def test_disconnecting_polls_until_the_job_is_done(coordinator, client):
    make_connection(coordinator, state="disconnected")
    assert POLL in card(client)
    connection = db.session.query(GoogleConnection).one()
    connection.access_token_enc = connection.refresh_token_enc = None
    db.session.commit()
    html = card(client)
    assert 'data-state="not_connected"' in html and POLL not in html


def test_the_activity_shows_the_last_ten_steps(coordinator, client):
    connection = make_connection(coordinator)
    start = utcnow() - timedelta(hours=1)
    for n in range(12):
        db.session.add(
            SyncLog(
                connection_id=connection.id,
                user_id=coordinator.id,
                kind="push",
                direction="to_google",
                message=f"Sent step {n:02d}",
                created_at=start + timedelta(minutes=n),
            )
        )
    db.session.commit()
    html = card(client)
    assert "Sent step 11" in html and "Sent step 02" in html
    assert "Sent step 01" not in html and "Sent step 00" not in html
    assert "To Google" in html


@pytest.fixture
def conflicts(coordinator):
    connection = make_connection(coordinator)
    rows = []
    for n, reviewed in ((1, False), (2, False), (3, True)):
        row = SyncLog(
            connection_id=connection.id,
            user_id=coordinator.id,
            kind="conflict",
            direction="from_google",
            message=f"Conflict {n}: Google's later change won",
            detail={"title": f"Portal title {n}", "location": "Office"},
            reviewed=reviewed,
        )
        db.session.add(row)
        rows.append(row)
    db.session.commit()
    return rows


def test_unreviewed_conflicts_are_counted_and_listed_with_the_losing_version(conflicts, client):
    html = card(client)
    assert "2 conflicts resolved — review" in html
    page = client.get("/portal/integrations/google/conflicts").text
    assert "Portal title 1" in page and "Portal title 2" in page and "Portal title 3" in page
    assert page.count("Mark reviewed") == 2


def test_a_conflict_can_be_marked_reviewed(conflicts, client):
    response = client.post(f"/portal/integrations/google/conflicts/{conflicts[0].id}/reviewed")
    assert response.status_code == 302
    db.session.expire_all()
    assert conflicts[0].reviewed is True
    assert "1 conflict resolved — review" in card(client)
