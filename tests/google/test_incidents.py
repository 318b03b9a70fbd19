"""When a sync breaks the coordinator gets one email with a link that fixes it, over real SMTP
and the emulator; admins see open incidents and get a daily summary."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import requests
from flask import url_for
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.google.account.incident_checks import check_live_updates, send_daily_summaries
from portal.google.account.incidents import (
    CHOOSE_CALENDAR_PATH,
    RECONNECT_PATH,
    TEAM_INTEGRATIONS_PATH,
    open_incidents_for_business,
)
from portal.google.worker.enqueue import enqueue_pull, enqueue_safety_pull
from portal.models import MailMessage, SyncIncident, User, WatchChannel, utcnow
from tests import factories
from tests.google.conftest import GOOGLE_USER, PUBLIC_BASE_URL
from tests.google.scale_support import add_channels, add_connections
from tests.google.sync_support import fresh
from tests.support.smtp import body_of
from tests.support.sql import recorded_statements
from tests.support.worker import run_jobs


def revoke_and_pull(google, connection) -> None:
    """Google stops accepting the grant, and two pulls meet it (two failing jobs)."""
    google.state.revoke_grants(GOOGLE_USER)
    connection.token_expires_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    enqueue_pull(connection.id)
    run_jobs()
    enqueue_safety_pull(connection.id)
    run_jobs()


def incidents() -> list[SyncIncident]:
    return list(db.session.scalars(select(SyncIncident).order_by(SyncIncident.id)))


def link_in(message, path: str) -> str:
    match = re.search(re.escape(PUBLIC_BASE_URL + path), body_of(message))
    assert match, body_of(message)
    return path


def test_a_revoked_grant_sends_one_email_whose_link_reconnects(
    connected, coordinator, client, connect_flow, google, mailbox
):
    revoke_and_pull(google, connected)
    assert fresh(connected).state == "needs_reconnect"

    message = mailbox.wait_for(to=coordinator.email, kind="incident_needs_reconnect")
    assert "sign in with Google again" in body_of(message)
    time.sleep(0.5)  # anything else on its way would have arrived by now
    assert len(mailbox.messages) == 1
    [incident] = incidents()
    assert incident.kind == "needs_reconnect" and incident.mailed_at and not incident.closed_at
    assert [i.kind for i in open_incidents_for_business(coordinator.business_id)] == [
        "needs_reconnect"
    ]
    page = client.get(TEAM_INTEGRATIONS_PATH).text  # the coordinator who signed up is an admin
    listed = page[page.index('id="open-incidents"') :].split("</section>")[0]
    assert coordinator.name in listed and "mail-not-set-up" not in page

    started = client.get(link_in(message, RECONNECT_PATH))
    assert started.status_code == 302
    assert started.headers["Location"].startswith(google.url + "/o/oauth2/v2/auth?")
    assert connect_flow.callback(google.decide(started.headers["Location"])).status_code == 302
    run_jobs()

    assert fresh(connected).state == "connected"
    assert incidents()[0].closed_at is not None
    assert open_incidents_for_business(coordinator.business_id) == []


def test_the_reconnect_link_needs_a_login(connected, client, auth):
    auth.logout()
    answer = client.get(RECONNECT_PATH)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_paths_in_the_emails_are_the_routes(app):
    with app.test_request_context():
        assert url_for("google.reconnect") == RECONNECT_PATH
        assert url_for("google.calendar_picker") == CHOOSE_CALENDAR_PATH
        assert url_for("team.integrations") == TEAM_INTEGRATIONS_PATH


def test_a_lost_calendar_sends_one_email_with_a_link_to_choose_another(
    connected, coordinator, client, google, mailbox
):
    calendar_id = google.state.add_calendar(GOOGLE_USER, "Work appointments")
    assert client.post("/google/calendar", data={"calendar_id": calendar_id}).status_code == 302
    run_jobs()
    answer = requests.delete(f"{google.url}/_emulator/calendars/{calendar_id}", timeout=10)
    assert answer.status_code < 300
    for _ in range(2):
        enqueue_pull(connected.id)
        run_jobs()

    assert fresh(connected).state == "calendar_gone"
    message = mailbox.wait_for(to=coordinator.email, kind="incident_calendar_gone")
    assert "Work appointments" in body_of(message)
    assert client.get(link_in(message, CHOOSE_CALENDAR_PATH)).status_code == 200
    time.sleep(0.5)
    assert len(mailbox.messages) == 1

    # Choosing a calendar again syncs again, and closes the incident.
    assert client.post("/google/calendar", data={"calendar_id": GOOGLE_USER}).status_code == 302
    run_jobs()
    assert fresh(connected).state == "connected"
    assert all(incident.closed_at for incident in incidents())


def test_live_updates_off_for_an_hour_send_one_email_and_close_when_back(
    connected, coordinator, mailbox
):
    # The emulator's channel confirmation cannot reach this portal (no live server): the
    # connection has no live channel, as when Google stops delivering.
    now = utcnow()
    assert check_live_updates(now) == {"closed": 0, "mailed": 0, "noticed": 1}
    db.session.commit()
    assert check_live_updates(now + timedelta(minutes=59))["mailed"] == 0
    db.session.commit()
    assert open_incidents_for_business(coordinator.business_id) == []

    later = now + timedelta(minutes=61)
    assert check_live_updates(later) == {"closed": 0, "mailed": 1, "noticed": 0}
    db.session.commit()
    assert check_live_updates(later)["mailed"] == 0
    db.session.commit()
    run_jobs()
    message = mailbox.wait_for(to=coordinator.email, kind="incident_live_updates_off")
    assert "more than an hour" in body_of(message)

    # Google confirms a channel again: the incident closes.
    db.session.execute(update(WatchChannel).values(live_at=later))
    db.session.commit()
    assert check_live_updates(later + timedelta(minutes=1))["closed"] == 1
    db.session.commit()
    assert all(incident.closed_at for incident in incidents())
    assert len(mailbox.messages) == 1


def test_admins_get_one_summary_a_day_listing_open_incidents(
    app, connected, coordinator, google, mailbox
):
    admin = factories.make_user(business=coordinator.business, email="admin@example.org")
    member = factories.make_user(business=coordinator.business, email="member@example.org")
    member.is_admin = False
    factories.make_user(business_name="Quiet Practice", email="quiet@example.org")
    db.session.commit()
    revoke_and_pull(google, connected)
    mailbox.clear()

    assert send_daily_summaries() == 2  # the coordinator (an admin too) and the other admin
    db.session.commit()
    assert send_daily_summaries() == 0
    run_jobs()

    summary = mailbox.wait_for(to=admin.email, kind="incident_summary")
    assert coordinator.email in body_of(summary)
    assert TEAM_INTEGRATIONS_PATH in body_of(summary)
    recipients = sorted(m["To"] for m in mailbox.messages)
    assert recipients == sorted([admin.email, coordinator.email])
    tomorrow = utcnow() + timedelta(hours=24)
    assert send_daily_summaries(tomorrow) == 2


def test_without_mail_set_up_the_incident_is_still_recorded(app, connected, google):
    revoke_and_pull(google, connected)

    [incident] = incidents()
    assert incident.kind == "needs_reconnect"
    row = db.session.scalars(select(MailMessage)).one()
    assert row.status == "not_configured" and row.kind == "incident_needs_reconnect"
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_the_live_updates_check_costs_the_same_statements_at_300_healthy_as_at_5(app):
    app.config["PUBLIC_BASE_URL"] = "https://portal.example.org"
    add_channels(add_connections(5), timedelta(days=3), live_at=utcnow())
    with recorded_statements() as few:
        assert check_live_updates() == {"closed": 0, "mailed": 0, "noticed": 0}
    add_channels(add_connections(295), timedelta(days=3), live_at=utcnow())
    with recorded_statements() as many:
        assert check_live_updates() == {"closed": 0, "mailed": 0, "noticed": 0}
    assert len(many) == len(few) == 3
    assert all("LIMIT" in statement for statement in many)


def test_the_live_updates_check_takes_at_most_its_cap_a_run(app):
    app.config["PUBLIC_BASE_URL"] = "https://portal.example.org"
    add_connections(25)  # no channel at all
    assert check_live_updates(cap=10)["noticed"] == 10
    db.session.commit()
    assert check_live_updates(cap=10)["noticed"] == 10
    db.session.commit()
    assert check_live_updates(cap=10)["noticed"] == 5
    db.session.commit()
    assert check_live_updates(cap=10)["noticed"] == 0


def test_a_portal_google_cannot_notify_has_no_live_updates_incidents(app):
    app.config["PUBLIC_BASE_URL"] = "http://portal.example.org"
    app.config["GOOGLE_EMULATOR_URL"] = None  # production: no emulator posting to plain http
    add_connections(3)
    assert check_live_updates() == {}
    assert incidents() == []


def test_disconnecting_closes_the_open_incident(connected, coordinator, google, mailbox):
    from portal.google.account.disconnect import request_disconnect

    revoke_and_pull(google, connected)
    mailbox.wait_for(to=coordinator.email, kind="incident_needs_reconnect")
    request_disconnect(connected, remove_events=False)
    db.session.commit()
    assert [incident.closed_at is not None for incident in incidents()] == [True]
