"""The week poll answered in front of Flask (calendar/poll_gate.py) while the week mark stands.

An unchanged poll reaches neither Flask nor the database; every commit that may change a
coordinator's week moves their mark (calendar/poll_marks.py), and the poll then goes on to
Flask's route, which says reload, or hands out a fresh ticket when the week itself stands.
Any doubt (another session, a bad or expired ticket, Redis down) goes to Flask too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask import g, request_started
from redis import Redis
from sqlalchemy import event as sa_event

from portal.calendar import poll_gate
from portal.calendar.poll_marks import current_mark
from portal.extensions import db
from portal.google.worker.enqueue import enqueue_pull
from tests import factories
from tests.calendar.pages import HTMX
from tests.calendar.test_event_routes import event_form
from tests.google import conftest as google_side
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import SOON, timed
from tests.support.worker import run_jobs

config_overrides = google_side.config_overrides
google_emulator_server = google_side.google_emulator_server
public_base_url = google_side.public_base_url
google = google_side.google
connect_flow = google_side.connect_flow
connected = google_side.connected

WEEK = "2026-10-05"
MONDAY_9AM_SYDNEY = datetime(2026, 10, 4, 22, tzinfo=UTC)


def poll_url(client, week: str = WEEK) -> str:
    """The URL the week region's poller asks, as its reload (an htmx request) draws it."""
    region = client.get(f"/calendar?week={week}", headers=HTMX).text
    return html.unescape(re.search(r'id="week-poller"[^>]*hx-get="([^"]+)"', region).group(1))


def ask(client, url: str):
    """A poll as a new request sees it: the test's app context keeps g between requests."""
    g.pop("_login_user", None)
    return client.get(url, headers=HTMX)


def log_in_as(client, email: str) -> None:
    g.pop("_login_user", None)
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD})


@contextmanager
def watching(app) -> Iterator[dict[str, int]]:
    """Counts the requests Flask handled and the SQL statements run meanwhile."""
    seen = {"flask": 0, "sql": 0}

    def handled(_sender, **_extra):
        seen["flask"] += 1

    def executed(*_args):
        seen["sql"] += 1

    request_started.connect(handled, app)
    sa_event.listen(db.engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        request_started.disconnect(handled, app)
        sa_event.remove(db.engine, "before_cursor_execute", executed)


def test_the_poller_carries_a_ticket_beside_its_week_and_fingerprint(client, coordinator):
    url = poll_url(client)
    assert url.startswith(poll_gate.POLL_PATH + "?")
    assert re.search(r"[?&]week=2026-10-05(&|$)", url) and re.search(r"seen=[0-9a-f]+", url)
    assert re.search(r"poll=[0-9a-f]+\.\d+\.[\w-]+", url)


def test_an_unchanged_poll_reaches_neither_flask_nor_the_database(app, client, coordinator):
    factories.make_event(coordinator, "Home visit", MONDAY_9AM_SYDNEY)
    db.session.commit()
    url = poll_url(client)
    with watching(app) as seen:
        for _ in range(3):
            response = ask(client, url)
            assert response.status_code == 204 and response.data == b""
            assert response.headers["Cache-Control"] == "no-store"
            assert "HX-Trigger" not in response.headers
    assert seen == {"flask": 0, "sql": 0}
    # The gate sits inside the security headers, as the webhook does.
    assert "Content-Security-Policy" in response.headers


def test_a_portal_edit_moves_the_mark_and_the_poll_is_told_to_reload(app, client, coordinator):
    url = poll_url(client)
    assert client.post("/calendar/events", data=event_form(), headers=HTMX).status_code == 200
    with watching(app) as seen:
        response = ask(client, url)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "calendarChanged"
    assert seen["flask"] == 1
    assert ask(client, poll_url(client)).status_code == 204


def test_a_change_elsewhere_in_the_calendar_brings_a_fresh_ticket_not_a_reload(
    app, client, coordinator
):
    url = poll_url(client)
    factories.make_event(coordinator, "Next week", MONDAY_9AM_SYDNEY + timedelta(days=7))
    db.session.commit()
    response = ask(client, url)
    assert response.status_code == 200 and "HX-Trigger" not in response.headers
    poller = re.search(r'<div id="week-poller"[^>]*>', response.text).group(0)
    assert 'hx-swap-oob="true"' in poller and 'hx-trigger="every 1s"' in poller
    fresh = html.unescape(re.search(r'hx-get="([^"]+)"', poller).group(1))
    assert fresh != url and "seen=" in fresh and "week=2026-10-05" in fresh
    with watching(app) as seen:
        assert ask(client, fresh).status_code == 204
    assert seen == {"flask": 0, "sql": 0}


def test_a_colleague_or_another_business_leaves_my_mark_alone(
    app, client, coordinator, other_business_user
):
    url = poll_url(client)
    colleague = factories.make_user(business=coordinator.business, email="sam@example.com")
    factories.make_event(colleague, "Sam's visit", MONDAY_9AM_SYDNEY)
    factories.make_event(other_business_user, "Their visit", MONDAY_9AM_SYDNEY)
    db.session.commit()
    with watching(app) as seen:
        assert ask(client, url).status_code == 204
    assert seen["flask"] == 0


def test_renaming_a_participant_moves_every_mark_of_the_business(client, coordinator):
    colleague = factories.make_user(business=coordinator.business, email="sam@example.com")
    jordan = factories.make_participant(coordinator.business_id, name="Jordan Lee")
    factories.make_event(coordinator, "Home visit", MONDAY_9AM_SYDNEY, participant=jordan)
    db.session.commit()
    url, theirs = poll_url(client), current_mark(colleague.id)
    db.session.expire_all()  # a participant edited without its business loaded
    jordan.name = "Jordan Lee-Smith"
    db.session.commit()
    response = ask(client, url)
    assert response.headers.get("HX-Trigger") == "calendarChanged"
    assert current_mark(colleague.id) != theirs


def test_an_event_changed_with_its_row_expired_still_moves_the_mark(client, coordinator):
    visit = factories.make_event(coordinator, "Home visit", MONDAY_9AM_SYDNEY)
    db.session.commit()
    url = poll_url(client)
    db.session.expire_all()
    visit.title, visit.version = "Home visit (moved room)", visit.version + 1
    db.session.commit()
    assert ask(client, url).headers.get("HX-Trigger") == "calendarChanged"


def test_changing_my_time_zone_moves_my_mark(client, coordinator):
    url = poll_url(client)
    coordinator.time_zone = "Australia/Perth"
    db.session.commit()
    assert ask(client, url).headers.get("HX-Trigger") == "calendarChanged"


# Only the session the ticket was made for


def test_another_coordinators_cookie_never_gets_the_gates_answer(app, client, coordinator):
    factories.make_event(coordinator, "Home visit", MONDAY_9AM_SYDNEY)
    db.session.commit()
    url = poll_url(client)
    other = factories.make_user(business=coordinator.business, email="sam@example.com")
    db.session.commit()
    stranger = app.test_client()
    log_in_as(stranger, other.email)
    with watching(app) as seen:
        response = ask(stranger, url)
    # Flask answers about Sam's own week: this fingerprint is not theirs, so reload.
    assert seen["flask"] == 1
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "calendarChanged"


def test_a_ticket_without_its_session_cookie_is_sent_to_log_in(app, client, coordinator):
    url = poll_url(client)
    response = ask(app.test_client(), url)
    assert response.status_code == 401 and response.headers["HX-Refresh"] == "true"


def test_logging_out_elsewhere_ends_the_gates_answers(app, client, coordinator):
    url = poll_url(client)
    elsewhere = app.test_client()
    log_in_as(elsewhere, coordinator.email)
    assert elsewhere.post("/logout").status_code == 302
    response = ask(client, url)
    assert response.status_code == 401 and response.headers["HX-Refresh"] == "true"


@pytest.mark.parametrize("part", ["mark", "until", "signature", "seen", "week"])
def test_a_tampered_ticket_goes_to_flask(app, client, coordinator, part):
    url = poll_url(client)
    mark, until, signature = re.search(r"poll=([^&]+)", url).group(1).split(".")
    changed = {
        "mark": url.replace(f"poll={mark}.", f"poll={mark[::-1]}."),
        "until": url.replace(f".{until}.", f".{int(until) + 3600}."),
        "signature": url.replace(f".{signature}", f".{signature[::-1]}"),
        "seen": re.sub(r"seen=(.)", lambda m: "seen=" + "12"[m.group(1) == "1"], url, count=1),
        "week": url.replace("week=2026-10-05", "week=2026-10-12"),
    }[part]
    assert changed != url
    with watching(app) as seen:
        ask(client, changed)
    assert seen["flask"] == 1


def test_an_expired_ticket_goes_to_flask_and_comes_back_fresh(
    app, client, coordinator, monkeypatch
):
    monkeypatch.setattr(poll_gate, "TICKET_SECONDS", -1)
    url = poll_url(client)
    monkeypatch.undo()
    response = ask(client, url)
    assert response.status_code == 200 and "HX-Trigger" not in response.headers
    fresh = html.unescape(re.search(r'hx-get="([^"]+)"', response.text).group(1))
    with watching(app) as seen:
        assert ask(client, fresh).status_code == 204
    assert seen["flask"] == 0


def test_with_redis_down_the_poll_is_answered_by_flask(app, client, coordinator):
    url = poll_url(client)
    working = app.extensions["coordinoter_redis"]
    # Port 1 on loopback refuses connections: a real "Redis is down".
    app.extensions["coordinoter_redis"] = Redis.from_url("redis://127.0.0.1:1/0")
    try:
        with watching(app) as seen:
            response = ask(client, url)
    finally:
        app.extensions["coordinoter_redis"] = working
    assert response.status_code == 204 and seen["flask"] == 1


def test_a_mark_lost_with_redis_data_goes_to_flask_and_comes_back_fresh(app, client, coordinator):
    url = poll_url(client)
    app.extensions["coordinoter_redis"].flushdb()
    response = ask(client, url)
    assert response.status_code == 200 and 'hx-swap-oob="true"' in response.text


# Google's changes, applied by the worker


def test_a_pull_of_googles_changes_moves_the_mark(client, google, connected):
    week = SOON.astimezone(UTC).date()
    monday = (week - timedelta(days=week.weekday())).isoformat()
    url = poll_url(client, monday)
    google.state.user_insert_event(GOOGLE_USER, {"summary": "Dentist", **timed(SOON)})
    enqueue_pull(connected.id)
    run_jobs()
    assert ask(client, url).status_code == 200
