"""“Check my connection”: each live check against the real emulator, and what it advises."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import update

from portal.core.queue import redis_connection
from portal.extensions import db
from portal.google.account.diagnostics import (
    CALENDAR,
    CHANNEL,
    CONFIGURED,
    CONNECTED,
    GOOGLE_SILENT,
    LAST_NOTICE,
    RECONNECT,
    TOKEN,
    WEBHOOK,
    Check,
    age_in_words,
    run_checks,
)
from portal.google.realtime.heard import last_heard_at
from portal.models import GoogleConnection, WatchChannel, utcnow
from tests import factories
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import SOON, fresh, timed
from tests.support.processes import wait_for

HTMX = {"HX-Request": "true"}


@pytest.fixture
def public_base_url(portal_port: int) -> str:
    """The portal's public origin is a real socket, so Google's notices really arrive."""
    return f"http://127.0.0.1:{portal_port}"


def checks_for(user, **kwargs) -> dict[str, Check]:
    """Run the checks as the route does (inside a request), by name."""
    with current_app.test_request_context():
        return {check.name: check for check in run_checks(user, **kwargs)}


def channel_confirmed(connection) -> bool:
    db.session.expire_all()
    channels = db.session.query(WatchChannel).filter_by(connection_id=connection.id)
    return any(channel.live_at is not None for channel in channels)


# All green


def test_a_connected_coordinator_with_live_updates_passes_every_check(
    live_portal, connected, coordinator, google
):
    wait_for(lambda: channel_confirmed(connected))  # Google's `sync` message arrived
    google.state.user_insert_event(GOOGLE_USER, {"summary": "Dentist", **timed(SOON)})
    wait_for(lambda: _heard(connected))  # and its notice of the change did too

    checks = checks_for(coordinator)

    assert list(checks) == [CONFIGURED, CONNECTED, TOKEN, CALENDAR, CHANNEL, LAST_NOTICE, WEBHOOK]
    assert all(check.ok for check in checks.values()), checks
    assert GOOGLE_USER in checks[CONNECTED].detail and GOOGLE_USER in checks[CALENDAR].detail
    assert checks[LAST_NOTICE].detail == "Received just now."
    assert "emulator" in checks[WEBHOOK].detail


def _heard(connection) -> bool:
    # The webhook notes it in Redis; the channel row learns it at the next pull.
    return last_heard_at(redis_connection(), connection.id) is not None


def test_the_help_panel_runs_the_checks_and_shows_them_without_reloading(
    client, connected, coordinator
):
    panel = client.get("/help", headers=HTMX).text
    assert "Check my connection" in panel and 'hx-post="/help/check"' in panel

    response = client.post("/help/check", headers=HTMX)

    assert response.status_code == 200 and "<html" not in response.text
    assert response.text.count('class="check ') == 7
    assert "Coordinoter can read and write" in response.text


def test_without_htmx_the_check_shows_on_the_help_page(client, connected, coordinator):
    page = client.post("/help/check").text
    assert "<html" in page and 'id="check-summary"' in page


def test_the_check_needs_a_login_and_the_panel_offers_it_only_then(client, app):
    assert client.post("/help/check").status_code == 302
    assert "Check my connection" not in client.get("/help", headers=HTMX).text


# Not configured, not connected


def test_a_server_without_google_says_who_must_set_what(app, coordinator):
    app.config.update(GOOGLE_CLIENT_ID=None, GOOGLE_CLIENT_SECRET=None)
    checks = checks_for(coordinator)
    assert list(checks) == [CONFIGURED, WEBHOOK]
    assert not checks[CONFIGURED].ok and "GOOGLE_CLIENT_ID" in checks[CONFIGURED].advice


def test_a_coordinator_who_never_connected_is_told_where_to_sign_in(coordinator, google):
    checks = checks_for(coordinator)
    assert list(checks) == [CONFIGURED, CONNECTED, WEBHOOK]
    assert not checks[CONNECTED].ok and "Sign in with Google" in checks[CONNECTED].advice


def test_a_colleagues_connection_is_not_mine(connected, coordinator, other_business_user):
    colleague = factories.make_user(business=coordinator.business, email="sam@example.com")
    db.session.commit()
    assert not checks_for(colleague)[CONNECTED].ok
    assert not checks_for(other_business_user)[CONNECTED].ok


# Token and calendar


def test_a_revoked_grant_fails_the_token_check_and_says_reconnect(connected, coordinator, google):
    google.state.revoke_grants(GOOGLE_USER)
    google.state.expire_access_tokens(GOOGLE_USER)

    checks = checks_for(coordinator)

    assert not checks[TOKEN].ok and checks[TOKEN].advice == RECONNECT
    assert "Reconnect" in checks[TOKEN].detail
    assert CALENDAR not in checks  # nothing more can be asked of Google
    # The check found out what the next sync would have: the card now says Needs reconnect.
    assert fresh(connected).state == "needs_reconnect"
    assert not checks_for(coordinator)[CONNECTED].ok


def test_google_failing_with_500_is_a_message_not_an_error_page(client, connected, google):
    google.state.add_fault("calendar.calendarList.get", 500, "backendError")
    response = client.post("/help/check", headers=HTMX)
    assert response.status_code == 200
    assert GOOGLE_SILENT in response.text


def test_google_failing_says_try_again_and_the_token_still_passes(connected, coordinator, google):
    google.state.add_fault("calendar.calendarList.get", 503, "backendError")
    checks = checks_for(coordinator)
    assert checks[TOKEN].ok
    assert not checks[CALENDAR].ok and checks[CALENDAR].detail == GOOGLE_SILENT


def test_google_too_slow_to_answer_is_the_same_message(connected, coordinator, google):
    google.state.add_fault("calendar.calendarList.get", None, delay=2.0)
    checks = checks_for(coordinator, timeout=0.3)
    assert checks[CALENDAR].detail == GOOGLE_SILENT


def test_the_token_endpoint_down_while_refreshing_is_the_same_message(
    connected, coordinator, google
):
    db.session.execute(
        update(GoogleConnection).values(token_expires_at=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()
    google.state.add_fault("oauth2.token", 503)
    checks = checks_for(coordinator)
    assert not checks[TOKEN].ok and checks[TOKEN].detail == GOOGLE_SILENT
    assert fresh(connected).state == "connected"  # nothing to reconnect: Google was only down


def test_a_calendar_google_no_longer_has_says_choose_another(connected, coordinator, google):
    google.state.add_fault("calendar.calendarList.get", 404, "notFound")
    check = checks_for(coordinator)[CALENDAR]
    assert not check.ok and "no longer exists" in check.detail
    assert "Choose another calendar" in check.advice


def test_a_calendar_google_refuses_says_ask_for_access(connected, coordinator, google):
    google.state.add_fault("calendar.calendarList.get", 403, "forbidden")
    check = checks_for(coordinator)[CALENDAR]
    assert not check.ok and "refused access" in check.detail
    assert "Make changes to events" in check.advice


def test_google_rate_limits_say_wait_a_minute(connected, coordinator, google):
    google.state.add_fault("calendar.calendarList.get", 429, "rateLimitExceeded")
    check = checks_for(coordinator)[CALENDAR]
    assert not check.ok and "limiting requests" in check.detail


# Live updates


def test_an_unconfirmed_channel_points_at_the_webhook_check(connected, coordinator):
    # Nothing listens at this test's public address, so Google's `sync` message never lands.
    check = checks_for(coordinator)[CHANNEL]
    assert not check.ok and "confirmation has not reached" in check.detail
    assert "within about 15 minutes" in check.detail and WEBHOOK in check.advice


def test_no_open_channel_says_live_updates_are_off_and_changes_still_arrive(connected, coordinator):
    db.session.execute(update(WatchChannel).values(stopped_at=utcnow()))
    db.session.commit()
    check = checks_for(coordinator)[CHANNEL]
    assert not check.ok and "Live updates are off" in check.detail
    assert "within about 15 minutes" in check.detail and "Sync now" in check.advice


def test_google_refusing_live_updates_is_said_plainly(connected, coordinator):
    db.session.execute(update(WatchChannel).values(stopped_at=utcnow()))
    db.session.execute(update(GoogleConnection).values(polling_only=True))
    db.session.commit()
    check = checks_for(coordinator)[CHANNEL]
    assert not check.ok and "Google refused live updates" in check.detail


def test_no_notice_yet_is_information_not_a_failure(connected, coordinator):
    check = checks_for(coordinator)[LAST_NOTICE]
    assert check.ok and check.detail.startswith("None yet")


def test_the_last_notice_age_reads_as_words(connected, coordinator):
    db.session.execute(
        update(WatchChannel).values(last_notification_at=utcnow() - timedelta(minutes=3, seconds=5))
    )
    db.session.commit()
    assert checks_for(coordinator)[LAST_NOTICE].detail == "Received 3 minutes ago."


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(5, "just now"), (60, "1 minute ago"), (7200, "2 hours ago"), (90000, "1 day ago")],
)
def test_ages_in_words(seconds, words):
    now = utcnow()
    assert age_in_words(now - timedelta(seconds=seconds), now) == words


# The webhook address


def test_http_public_base_url_in_production_names_the_setting_to_change(app, coordinator):
    app.config.update(ENV_NAME="production", PUBLIC_BASE_URL="http://portal.example.com.au")
    check = checks_for(coordinator)[WEBHOOK]
    assert not check.ok
    assert "PUBLIC_BASE_URL is http://portal.example.com.au" in check.detail
    assert "http://portal.example.com.au/google/notify" in check.detail
    assert "set the PUBLIC_BASE_URL environment variable" in check.advice


def test_http_without_the_emulator_fails_even_in_development(app, coordinator):
    app.config.update(ENV_NAME="development", GOOGLE_EMULATOR_URL=None)
    assert not checks_for(coordinator)[WEBHOOK].ok


def test_an_https_public_base_url_passes(app, coordinator):
    app.config.update(ENV_NAME="production", PUBLIC_BASE_URL="https://portal.example.com.au")
    check = checks_for(coordinator)[WEBHOOK]
    assert check.ok and "https://portal.example.com.au/google/notify" in check.detail
