"""The checks on invitations and Google's special events: planted divergences are reported."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.calendar.operations import EventData, update_event
from portal.extensions import db
from portal.google.account.clients import client_for
from portal.google.api.errors import GoogleApiError
from portal.google.sync.activity import log_activity
from portal.google.sync.mapping import PORTAL_ID_KEY
from portal.google.worker.enqueue import kick
from portal.google.worker.jobs import pull_job
from portal.models import Event, EventLink, GoogleConnection
from tests.chaos.convergence import problems
from tests.chaos.rules import rfc3339
from tests.chaos.test_checker import SOON
from tests.chaos.tracking import Tracked
from tests.chaos.values import INVITATION, Value, google_value
from tests.chaos.world import World
from tests.support.worker import run_jobs

TIMES = {
    "start": {"dateTime": rfc3339(SOON), "timeZone": "Australia/Sydney"},
    "end": {"dateTime": rfc3339(SOON + timedelta(hours=1)), "timeZone": "Australia/Sydney"},
}
DAY = {
    "start": {"date": SOON.date().isoformat()},
    "end": {"date": (SOON.date() + timedelta(days=1)).isoformat()},
}


@pytest.fixture
def chaos_levels() -> tuple[str, ...]:
    """One coordinator, at "full"."""
    return ("full",)


def google_adds(world: World) -> list[Tracked]:
    """Dr Lee invites the coordinator, who is out of office; Contacts adds a birthday; pulled."""
    google, calendar = world.google, world.account.calendar_id
    invited = google.invite(
        calendar, {"organizer": {"email": "lee@clinic.example"}, "summary": "I1", **TIMES}
    )
    away = google.user_insert_event(
        calendar, {"eventType": "outOfOffice", "summary": "Away2", **TIMES}
    )
    birthday = google.google_insert_event(
        calendar, {"eventType": "birthday", "summary": "Bday3", **DAY}
    )
    pull_now(world)
    tracked = [
        Tracked("i1", google_id=invited["id"], google_value=google_value(invited)),
        Tracked("away2", google_id=away["id"], google_value=google_value(away)),
        Tracked("bday3", google_id=birthday["id"], google_value=google_value(birthday)),
    ]
    tracked[0].kind, tracked[0].organiser = INVITATION, tracked[0].google_value
    tracked[0].answers.add("needsAction")
    tracked[1].kind = "out_of_office"
    tracked[2].kind, tracked[2].series = "birthday", True
    return tracked


def pull_now(world: World) -> None:
    """The pull now, not when a put-off one comes due."""
    with world.app.app_context():
        pull_job(world.account.connection_id)
    db.session.expire_all()


def portal_event(tracked: Tracked) -> Event:
    """The portal's event for a Google item the driver made."""
    stmt = select(EventLink.event_id).where(EventLink.google_event_id == tracked.google_id)
    return db.session.get(Event, db.session.scalar(stmt))


def test_invitations_and_special_events_in_step_have_no_problems(world):
    tracked = google_adds(world)
    invitation = portal_event(tracked[0])
    assert (invitation.google_kind, invitation.response_status) == (INVITATION, "needsAction")
    # The coordinator accepts in the portal, and renames the out-of-office there.
    invitation.response_status = "accepted"
    update_event(invitation, EventData.of(invitation))
    away = portal_event(tracked[1])
    update_event(away, replace(EventData.of(away), title="Away2 p4"))
    db.session.commit()
    kick(world.account.user_id)
    run_jobs()
    tracked[0].answers.add("accepted")
    tracked[1].portal_value = tracked[1].google_value._replace(title="Away2 p4")

    assert problems(world, tracked) == []


def test_every_divergence_of_google_s_own_events_is_reported(world):
    tracked = google_adds(world)
    invitation, away, birthday = (portal_event(t) for t in tracked)
    calendar, account = world.account.calendar_id, world.account
    # The portal's answer never reached Google; the organiser's title is not what Google shows.
    db.session.execute(
        update(Event).where(Event.id == invitation.id).values(response_status="declined")
    )
    tracked[0].organiser = Value("I1 as Dr Lee wrote it", False, SOON, SOON + timedelta(hours=1))
    # The out-of-office shown as an ordinary event, with a title nobody wrote.
    db.session.execute(
        update(Event).where(Event.id == away.id).values(google_kind=None, title="Away elsewhere")
    )
    db.session.commit()
    # A copy of the birthday made in Google, and a change Google refused (it has no place).
    world.google.user_insert_event(
        calendar,
        {
            "summary": "Bday3 copy",
            **DAY,
            "extendedProperties": {"private": {PORTAL_ID_KEY: str(birthday.id)}},
        },
    )
    connection = db.session.get(GoogleConnection, account.connection_id)
    with pytest.raises(GoogleApiError):
        client_for(connection).patch_event(calendar, tracked[2].google_id, {"location": "Park"})
    log_activity(connection, "error", "Google refused it", event_id=birthday.id, outcome="failed")
    db.session.commit()

    found = "\n".join(problems(world, tracked))

    assert f"#{invitation.id} invitation “I1”: answered 'declined' in the portal" in found
    assert "i1: Google shows “I1”" in found and "its organiser set “I1 as Dr Lee" in found
    assert f"#{away.id} “Away elsewhere” is ordinary in the portal, out_of_office in" in found
    assert "away2 title ended as ('Away elsewhere',), which neither side wrote" in found
    assert f"“Bday3 copy” is a copy the portal made of #{birthday.id}, a Google birthday" in found
    assert "Google refused calendar.events.patch" in found and "(400)" in found
    assert f"activity row error/failed for #{birthday.id}: Google refused it" in found
