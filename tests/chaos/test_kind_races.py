"""Invitations and Google's special events changed on both sides at once, in a fixed order.

Each replays a product bug found while the chaos run learnt these kinds. Fixed in 27ed0a2
and e8434cf: a conflict the portal won kept its stale copy of fields the kind never sends (the
organiser's title and place; chaos seeds 307849808 and 263674634 at 150 steps), and a 412
settled with nothing left to send crashed the push job (the plan fell through to a delete).
Fixed in c823bfa (chaos seed 679998391, bench.chaos --steps 1500): a portal-only change saved
before Google's rename was pulled won the conflict and sent the stale title back, and an
answer the portal kept after the organiser's change won a 412 was never sent.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.calendar.operations import EventData, answer_invitation, update_event
from portal.extensions import db
from portal.google.worker.enqueue import kick
from portal.google.worker.jobs import pull_job, push_job
from portal.models import Event, EventLink
from tests.chaos.rules import rfc3339
from tests.google.conftest import GOOGLE_USER
from tests.support.worker import run_jobs

SOON = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)


def times(start: datetime, hours: int = 1) -> dict:
    """A timed start and end in Google's form."""
    return {
        "start": {"dateTime": rfc3339(start), "timeZone": "Australia/Sydney"},
        "end": {
            "dateTime": rfc3339(start + timedelta(hours=hours)),
            "timeZone": "Australia/Sydney",
        },
    }


def pull_now(app, connection) -> None:
    """Run a pull right here, whatever is queued or put off."""
    with app.app_context():
        pull_job(connection.id)
    db.session.expire_all()


def pulled(google_id: str) -> Event:
    """The portal event linked to a Google item."""
    stmt = select(EventLink.event_id).where(EventLink.google_event_id == google_id)
    return db.session.get(Event, db.session.scalar(stmt))


def save(event: Event, data: EventData) -> None:
    """The coordinator's save in the portal, committed; the push is kicked, not run."""
    update_event(event, data)
    db.session.commit()
    kick(event.owner_id)


@pytest.fixture
def invitation(app, db_backend_is_postgresql, chaos_connection, google) -> dict:
    """Dr Lee's invitation, already in the portal."""
    item = google.state.invite(
        GOOGLE_USER,
        {"organizer": {"email": "lee@clinic.example"}, "summary": "Review", **times(SOON)},
    )
    pull_now(app, chaos_connection)
    return item


def test_answered_here_after_the_organiser_renamed_it_shows_the_organiser_s_title(
    app, invitation, google, chaos_connection
):
    google.state.organizer_patch_event(GOOGLE_USER, invitation["id"], {"summary": "Plan review"})
    time.sleep(0.01)
    # The coordinator answers before the organiser's change is pulled (a late notification).
    event = pulled(invitation["id"])
    answer_invitation(event, "accepted")
    db.session.commit()
    kick(event.owner_id)
    pull_now(app, chaos_connection)
    run_jobs()
    db.session.expire_all()
    there = google.state.get_event(GOOGLE_USER, invitation["id"])
    event = pulled(invitation["id"])
    assert [p["responseStatus"] for p in there["attendees"] if p.get("self")] == ["accepted"]
    assert there["summary"] == "Plan review"
    assert event.response_status == "accepted"
    assert event.title == "Plan review"


def test_answered_alike_on_both_sides_keeps_the_invitation(
    app, invitation, google, chaos_connection
):
    google.state.user_patch_event(
        GOOGLE_USER,
        invitation["id"],
        {"attendees": [{"email": GOOGLE_USER, "responseStatus": "accepted"}]},
    )
    time.sleep(0.01)
    # Answered the same way in the portal before Google's answer is pulled: the push, first,
    # meets Google's newer copy (412) and settles.
    event = pulled(invitation["id"])
    answer_invitation(event, "accepted")
    db.session.commit()
    with app.app_context():
        push_job(chaos_connection.id)
    pull_now(app, chaos_connection)
    run_jobs()
    db.session.expire_all()
    there = google.state.get_event(GOOGLE_USER, invitation["id"])
    assert there["status"] == "confirmed"
    assert not pulled(invitation["id"]).is_deleted


def test_renamed_here_after_its_time_moved_in_google_keeps_google_s_time(
    app, db_backend_is_postgresql, chaos_connection, google
):
    away = google.state.user_insert_event(
        GOOGLE_USER, {"eventType": "outOfOffice", "summary": "Away", **times(SOON)}
    )
    pull_now(app, chaos_connection)
    google.state.user_patch_event(GOOGLE_USER, away["id"], times(SOON + timedelta(hours=4)))
    time.sleep(0.01)
    # Renamed in the portal before the move is pulled: the title is the portal's to change,
    # the time is not (the portal never sends it).
    event = pulled(away["id"])
    save(event, replace(EventData.of(event), title="Away at training"))
    pull_now(app, chaos_connection)
    run_jobs()
    db.session.expire_all()
    there = google.state.get_event(GOOGLE_USER, away["id"])
    event = pulled(away["id"])
    assert there["summary"] == event.title == "Away at training"
    assert event.start_at == SOON + timedelta(hours=4)


def test_answered_here_then_moved_by_the_organiser_before_the_push_still_reaches_google(
    app, invitation, google, chaos_connection
):
    event = pulled(invitation["id"])
    answer_invitation(event, "tentative")
    db.session.commit()
    time.sleep(0.01)
    # The organiser moves it before the answer is pushed: the push meets a newer copy (412),
    # Google's change wins the conflict, and the coordinator's answer must still go.
    google.state.organizer_patch_event(GOOGLE_USER, invitation["id"], times(SOON + timedelta(1)))
    with app.app_context():
        push_job(chaos_connection.id)
    run_jobs()
    pull_now(app, chaos_connection)
    run_jobs()
    there = google.state.get_event(GOOGLE_USER, invitation["id"])
    event = pulled(invitation["id"])
    assert [p["responseStatus"] for p in there["attendees"] if p.get("self")] == ["tentative"]
    assert event.response_status == "tentative"
    assert event.start_at == SOON + timedelta(days=1)


@pytest.mark.parametrize(
    "body",
    [{"eventType": "focusTime", "summary": "Focus"}, {"summary": "Dentist"}],
    ids=["focus time", "ordinary"],
)
def test_internal_notes_saved_here_after_a_rename_in_google_keep_google_s_title(
    app, db_backend_is_postgresql, chaos_connection, google, body
):
    item = google.state.user_insert_event(GOOGLE_USER, {**body, **times(SOON)})
    pull_now(app, chaos_connection)
    google.state.user_patch_event(GOOGLE_USER, item["id"], {"summary": "Renamed in Google"})
    time.sleep(0.01)
    # Only a field that never leaves the portal changes here, before the rename is pulled.
    event = pulled(item["id"])
    save(event, replace(EventData.of(event), internal_notes="Call the plan manager first"))
    pull_now(app, chaos_connection)
    run_jobs()
    db.session.expire_all()
    event = pulled(item["id"])
    assert google.state.get_event(GOOGLE_USER, item["id"])["summary"] == "Renamed in Google"
    assert event.title == "Renamed in Google"
    assert event.internal_notes == "Call the plan manager first"
