"""The team and Google, against the emulator: an admin's edits reach the coordinator's own
Google calendar, and deactivating a member disconnects theirs as their own Disconnect does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Event, EventLink, GoogleConnection, WatchChannel
from tests import factories
from tests.calendar.test_event_routes import event_form
from tests.google import conftest as google_side
from tests.google.conftest import GOOGLE_USER, ConnectFlow
from tests.support.worker import run_jobs
from tests.team.conftest import Team, log_in

config_overrides = google_side.config_overrides
google_emulator_server = google_side.google_emulator_server
google = google_side.google
public_base_url = google_side.public_base_url

# The calendar tests' valid form, as a coordinator with no location set fills it in.
FORM = event_form(title="Plan review", location="")


@pytest.fixture
def colleague_connected(app, team: Team, google) -> GoogleConnection:
    """The colleague (not an admin) has connected their own Google Calendar."""
    client = log_in(app, team.colleague)
    ConnectFlow(client, google, google_side.PUBLIC_BASE_URL).connect()
    run_jobs()
    connection = db.session.scalar(
        select(GoogleConnection).where(GoogleConnection.user_id == team.colleague.id)
    )
    assert connection.state == "connected", connection.last_error
    return connection


def summaries(google) -> list[str]:
    return sorted(e["summary"] for e in google.state.list_events(GOOGLE_USER))


def test_an_admins_new_event_for_a_coordinator_reaches_that_coordinators_google(
    app, team: Team, colleague_connected, google
):
    admin = log_in(app, team.admin)
    answer = admin.post(f"/calendar/events?coordinator={team.colleague.id}", data=FORM)
    assert answer.status_code == 302, answer.text
    event = db.session.scalar(select(Event).where(Event.title == "Plan review"))
    assert event.owner_id == team.colleague.id
    run_jobs()
    assert "Plan review" in summaries(google)
    link = db.session.scalar(select(EventLink).where(EventLink.event_id == event.id))
    assert link.connection_id == colleague_connected.id


def test_an_admins_edit_of_a_coordinators_event_reaches_their_google(
    app, team: Team, colleague_connected, google
):
    colleague = log_in(app, team.colleague)
    assert colleague.post("/calendar/events", data=FORM).status_code == 302
    run_jobs()
    event = db.session.scalar(select(Event).where(Event.title == "Plan review"))

    admin = log_in(app, team.admin)
    changed = {**FORM, "title": "Plan review (moved)", "start": "2026-10-05T11:00"}
    changed["end"] = "2026-10-05T12:00"
    assert admin.post(f"/calendar/events/{event.id}", data=changed).status_code == 302
    run_jobs()
    assert summaries(google) == ["Plan review (moved)"]
    db.session.expire_all()
    assert db.session.get(Event, event.id).owner_id == team.colleague.id


def test_a_coordinator_cannot_add_to_a_colleagues_calendar(app, team: Team, google):
    coordinator = log_in(app, team.coordinator)
    url = f"/calendar/events?coordinator={team.colleague.id}"
    assert coordinator.post(url, data=FORM).status_code == 404
    assert db.session.scalar(select(Event)) is None


def test_deactivating_ends_sessions_disconnects_google_and_keeps_the_records(
    app, team: Team, colleague_connected, google
):
    colleague = log_in(app, team.colleague)
    assert colleague.post("/calendar/events", data=FORM).status_code == 302
    run_jobs()
    assert db.session.scalars(
        select(WatchChannel).where(WatchChannel.stopped_at.is_(None))
    ).all(), "the connection listens for changes"

    admin = log_in(app, team.admin)
    answer = admin.post(f"/team/members/{team.colleague.id}/deactivate")
    assert answer.status_code == 302
    # Their open session ends at once, and they cannot log in again.
    assert colleague.get("/calendar").status_code == 302
    login = colleague.post(
        "/login", data={"email": team.colleague.email, "password": factories.PASSWORD}
    )
    assert login.status_code == 400

    run_jobs()
    connection = db.session.get(GoogleConnection, colleague_connected.id)
    assert connection.state == "disconnected"
    assert connection.access_token_enc is None and connection.refresh_token_enc is None
    assert [c["status"] for c in google.calls("oauth2.revoke")] == [200]
    assert google.state.grants_of(GOOGLE_USER) == []
    assert not db.session.scalars(
        select(WatchChannel).where(WatchChannel.stopped_at.is_(None))
    ).all()
    # The appointments stay with the business, and on Google.
    event = db.session.scalar(select(Event).where(Event.title == "Plan review"))
    assert event.owner_id == team.colleague.id and event.deleted_at is None
    assert summaries(google) == ["Plan review"]
    page = admin.get("/team").text
    assert "Deactivated" in page
