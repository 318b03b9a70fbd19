"""The convergence check itself: planted divergences are all reported (a blind check passes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.calendar.operations import EventData, create_event
from portal.extensions import db
from portal.google.outbox import kick
from portal.models import Event, EventLink, User
from tests.chaos.convergence import problems
from tests.chaos.driver import Tracked
from tests.chaos.values import Value, portal_value
from tests.chaos.world import World
from tests.support.worker import run_jobs

SOON = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)


def portal_adds(world: World, title: str) -> Event:
    """The coordinator adds a timed event in the portal (commit and kick)."""
    owner = db.session.get(User, world.user_id)
    event = create_event(
        owner,
        EventData(title, "Australia/Sydney", start_at=SOON, end_at=SOON + timedelta(hours=1)),
    )
    db.session.commit()
    kick(world.user_id)
    return event


def test_a_converged_pair_has_no_problems(world):
    event = portal_adds(world, "Synced")
    run_jobs()
    tracked = Tracked("p1", portal_id=event.id, portal_value=portal_value(event))
    assert problems(world, [tracked]) == []


def test_every_kind_of_divergence_is_reported(world):
    diverged = portal_adds(world, "Diverged")
    resurrected = portal_adds(world, "Resurrected")
    run_jobs()
    unpushed = portal_adds(world, "Never pushed")
    world.google.user_insert_event(
        world.calendar_id,
        {
            "summary": "Never pulled",
            "start": {"date": SOON.date().isoformat()},
            "end": {"date": (SOON.date() + timedelta(days=1)).isoformat()},
        },
    )
    google_id = db.session.scalar(
        select(EventLink.google_event_id).where(EventLink.event_id == diverged.id)
    )
    world.google.user_patch_event(world.calendar_id, google_id, {"summary": "Renamed, unsynced"})
    never_written = Value("Something else", False, SOON, SOON + timedelta(hours=1))
    tracked = [
        Tracked("diverged", portal_id=diverged.id, portal_value=never_written),
        Tracked("resurrected", portal_id=resurrected.id, deleted_on="google"),
        Tracked("unpushed", portal_id=unpushed.id, portal_value=portal_value(unpushed)),
    ]

    found = "\n".join(problems(world, tracked))

    assert "differs" in found and "Renamed, unsynced" in found
    assert "Never pulled" in found and "not live in the portal" in found
    assert "Never pushed" in found and "not live on Google" in found
    assert "resurrected was deleted in google but is live again" in found
    assert "unpushed was never deleted but is missing from Google (lost)" in found
    assert "diverged ended as" in found and "neither side wrote" in found
