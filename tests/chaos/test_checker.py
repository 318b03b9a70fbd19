"""The convergence check itself: planted divergences are all reported (a blind check passes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from portal.calendar.operations import EventData, create_event
from portal.calendar.recurrence import occurrence_key
from portal.calendar.recurrence_ops import create_series
from portal.extensions import db
from portal.google.worker.enqueue import kick
from portal.google.worker.jobs import pull_job
from portal.models import Event, User
from tests.chaos.convergence import Problem, problems
from tests.chaos.known import KnownBug, explained
from tests.chaos.tracking import Cancelled, Expectations, Tracked
from tests.chaos.values import BUSY_TITLE, Value, portal_value
from tests.chaos.world import World
from tests.google.sync_support import link_of
from tests.support.worker import run_jobs

SOON = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)


@pytest.fixture
def chaos_levels() -> tuple[str, ...]:
    """One coordinator, at "full" unless a test asks for another level."""
    return ("full",)


def portal_adds(world: World, title: str) -> Event:
    """The coordinator adds a timed event in the portal (commit and kick)."""
    owner = db.session.get(User, world.account.user_id)
    event = create_event(
        owner,
        EventData(title, "Australia/Sydney", start_at=SOON, end_at=SOON + timedelta(hours=1)),
    )
    db.session.commit()
    kick(world.account.user_id)
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
        world.account.calendar_id,
        {
            "summary": "Never pulled",
            "start": {"date": SOON.date().isoformat()},
            "end": {"date": (SOON.date() + timedelta(days=1)).isoformat()},
        },
    )
    google_id = link_of(diverged).google_event_id
    world.google.user_patch_event(
        world.account.calendar_id, google_id, {"summary": "Renamed, unsynced"}
    )
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
    assert "diverged title ended as ('Diverged',), which neither side wrote" in found


@pytest.mark.parametrize("chaos_levels", [("busy",)])
def test_at_busy_only_the_times_are_compared_and_the_title_must_stay_the_portals(world):
    event = portal_adds(world, "Kept here")
    run_jobs()
    google_id = link_of(event).google_event_id
    assert world.google.get_event(world.account.calendar_id, google_id)["summary"] == BUSY_TITLE
    # Renamed in Google: the portal never sent the title, so it neither compares nor pulls it.
    world.google.user_patch_event(
        world.account.calendar_id, google_id, {"summary": "Renamed there"}
    )
    with world.app.app_context():  # the pull now, not when a put-off one comes due
        pull_job(world.account.connection_id)
    db.session.expire_all()
    tracked = Tracked("p1", portal_id=event.id, portal_value=portal_value(event))
    texts = {"title": {"Kept here"}, "location": {""}, "notes": {""}}
    expected = Expectations([tracked], portal_texts=texts)
    assert problems(world, expected) == []
    # Had the pull copied it over the portal's title, the check must say so.
    db.session.execute(update(Event).where(Event.id == event.id).values(title="Renamed there"))
    db.session.commit()
    found = "\n".join(problems(world, expected))
    assert f"#{event.id} title 'Renamed there' came from Google" in found


def test_series_are_compared_occurrence_by_occurrence(world):
    owner = db.session.get(User, world.account.user_id)
    data = EventData("Weekly", "Australia/Sydney", start_at=SOON, end_at=SOON + timedelta(hours=1))
    master = create_series(owner, data, "RRULE:FREQ=WEEKLY;COUNT=4")
    db.session.commit()
    kick(world.account.user_id)
    run_jobs()
    span = (SOON - timedelta(days=1), SOON + timedelta(days=60))
    tracked = Tracked("s1", portal_id=master.id, portal_value=portal_value(master), series=True)
    keys = [occurrence_key((SOON + timedelta(weeks=w)).astimezone(UTC)) for w in range(4)]
    google_id = link_of(master).google_event_id
    assert problems(world, [tracked], span) == []
    # In Google, unknown to the portal: the second occurrence cancelled, the third renamed.
    world.google.user_delete_event(world.account.calendar_id, f"{google_id}_{keys[1]}")
    world.google.user_patch_event(
        world.account.calendar_id, f"{google_id}_{keys[2]}", {"summary": "Moved"}
    )
    # And the driver believes it cancelled the fourth in the portal.
    cancelled = Cancelled(tracked, keys[3], "portal")

    found = "\n".join(problems(world, Expectations([tracked], [cancelled]), span))

    assert f"occurrence {keys[1]}: portal shows “Weekly”" in found
    assert "Google shows nothing" in found
    assert f"occurrence {keys[2]} differs" in found and "“Moved”" in found
    assert f"s1 occurrence {keys[3]} was cancelled in portal but the portal shows it again" in found
    assert f"s1 occurrence {keys[3]} was cancelled in portal but Google shows it again" in found


def test_only_the_problems_a_known_bug_accounts_for_are_excused():
    bug = KnownBug("a bug", "what it does", "its replay", events=frozenset({5}))
    scheduler = KnownBug("scheduler", "what it does", "its replay", kinds=frozenset({"overdue"}))
    about_five = Problem("#5 differs", {5, 6})
    about_seven = Problem("#7 is lost", {7})
    overdue = Problem("a delayed job is overdue", kind="overdue")
    nothing = Problem("no quiescence")

    known, others = explained([about_five, about_seven, overdue, nothing], [bug, scheduler])

    assert known == [about_five, overdue]
    assert others == [about_seven, nothing]
    assert explained([about_five], []) == ([], [about_five])
