"""Races the random chaos run rarely hits, or found, replayed in a fixed order.

A coordinator's save loads the event, then writes it back; a pull job may commit a Google
change to the same event in between. A worker may die with a job it took off the queue. Two
processes may enqueue the same connection's pull at the same moment. A deletion may commit
while a batch push is on its way. And occurrences of a series may be changed on both sides at
once: the series tests below replay product bugs the chaos run found (seeds in each).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.calendar.operations import EventData, create_event, delete_event, update_event
from portal.calendar.recurrence import occurrence_key
from portal.calendar.recurrence_ops import (
    create_series,
    delete_occurrence,
    edit_occurrence,
    edit_series,
    split_series,
)
from portal.extensions import db
from portal.google.worker.enqueue import kick
from portal.google.worker.jobs import pull_job
from portal.models import Event, EventLink
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import link_of, pending_outbox
from tests.support.occurrences import google_shown, portal_shown
from tests.support.processes import wait_for
from tests.support.worker import run_jobs

SOON = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)


def push_now(coordinator) -> None:
    """Commit the coordinator's changes and push them to Google right here."""
    db.session.commit()
    kick(coordinator.id)
    run_jobs()


@pytest.fixture
def synced_event(app, db_backend_is_postgresql, chaos_connection, coordinator) -> Event:
    """A portal event already on Google."""
    event = create_event(
        coordinator,
        EventData(
            "Home visit", "Australia/Sydney", start_at=SOON, end_at=SOON + timedelta(hours=1)
        ),
    )
    push_now(coordinator)
    return db.session.get(Event, event.id)


def test_a_save_that_races_a_pull_of_the_same_event_still_reaches_google(
    app, synced_event, google, chaos_connection
):
    link = db.session.scalar(select(EventLink).where(EventLink.event_id == synced_event.id))
    # The coordinator opens the event in the portal (the request loads the row) ...
    event = db.session.get(Event, synced_event.id)
    data = replace(EventData.of(event), title="Home visit (moved to the office)")
    # ... meanwhile someone renames it in Google and a worker pulls that change in ...
    google.state.user_patch_event(
        GOOGLE_USER, link.google_event_id, {"summary": "Renamed in Google"}
    )
    with app.app_context():
        pull_job(chaos_connection.id)
    # ... and then the coordinator's save commits, later than Google's change.
    update_event(event, data)
    db.session.commit()
    kick(event.owner_id)
    run_jobs()

    on_google = google.state.get_event(GOOGLE_USER, link.google_event_id)["summary"]
    db.session.expire_all()
    in_portal = db.session.get(Event, event.id).title
    # Either the later save wins on both sides, or the two sides at least agree.
    assert (in_portal, on_google) == ("Home visit (moved to the office)",) * 2


def test_a_push_lost_with_its_worker_is_re_enqueued_by_the_sweeper(
    app, db_backend_is_postgresql, chaos_connection, coordinator, google
):
    from portal.core.queue import get_queue, redis_connection

    event = create_event(
        coordinator,
        EventData(
            "Home visit", "Australia/Sydney", start_at=SOON, end_at=SOON + timedelta(hours=1)
        ),
    )
    db.session.commit()
    kick(coordinator.id)
    # A worker takes the job off the queue and is SIGKILLed before the job starts: RQ's
    # worker moves it into the queue's intermediate list (LMOVE), where it stays.
    queue = get_queue()
    [job_id] = queue.job_ids
    redis_connection().lmove(queue.key, queue.intermediate_queue_key)
    assert queue.job_ids == []
    # The clock's sweep comes a minute later: by then the job's marker is that old.
    marker = f"coordinoter:pending:push:{chaos_connection.id}"
    redis_connection().set(marker, f"{job_id} {time.time() - 60:.3f}", ex=900)
    # The operator's sweep (also what the clock runs every minute) should notice the row.
    app.test_cli_runner().invoke(args=["google", "sweep"])
    run_jobs()
    assert link_of(event) is not None, "the event never reached Google"


def test_two_enqueuers_at_the_same_moment_queue_one_pull(
    app, db_backend_is_postgresql, chaos_connection
):
    from portal.core.queue import get_queue, redis_connection
    from portal.google.worker.enqueue import enqueue_pull

    # Another web process has just claimed the marker and is about to enqueue its job.
    run_jobs()
    marker = f"coordinoter:pending:pull:{chaos_connection.id}"
    in_flight = f"pull-{chaos_connection.id}-in-flight"
    assert redis_connection().set(marker, f"{in_flight} {time.time():.3f}", nx=True, ex=900)
    assert enqueue_pull(chaos_connection.id) is False
    assert get_queue().count == 0


# -- Found by the chaos run with series (seeds in the docstrings) ------------------------------


@pytest.fixture
def synced_series(db_backend_is_postgresql, app, chaos_connection, coordinator, google) -> Event:
    """A weekly portal series of four, already on Google."""
    data = EventData(
        "Weekly check-in", "Australia/Sydney", start_at=SOON, end_at=SOON + timedelta(hours=1)
    )
    master = create_series(coordinator, data, "RRULE:FREQ=WEEKLY;COUNT=4")
    push_now(coordinator)
    google.state.wait_notifications()
    run_jobs()
    return db.session.get(Event, master.id)


def both_sides_show(coordinator, google) -> tuple[list, list]:
    """(start, end, title) of everything each side shows in the next two months."""
    span = (SOON - timedelta(days=1), SOON + timedelta(days=60))
    here = [s[:3] for s in portal_shown(coordinator.id, *span)]
    there = [s[:3] for s in google_shown(google.state, GOOGLE_USER, *span)]
    return here, there


def change_occurrence(
    master: Event, original: datetime, title: str, later_by: timedelta = timedelta()
) -> None:
    """Edit one hour-long occurrence here: a new title, and moved later_by."""
    start = original + later_by
    data = replace(EventData.of(master), title=title, start_at=start)
    edit_occurrence(master, original, replace(data, end_at=start + timedelta(hours=1)))


def synced_both_ways(app, connection, coordinator, google) -> tuple[list, list]:
    """Push the coordinator's changes, then pull Google's: what each side shows then."""
    push_now(coordinator)
    pull_now(app, connection)
    return both_sides_show(coordinator, google)


def pull_now(app, connection) -> None:
    """Run a pull right here, whatever is queued or put off (the order is the test's)."""
    with app.app_context():
        pull_job(connection.id)
    db.session.expire_all()


def test_an_occurrence_cancelled_here_while_google_edits_it_does_not_block_the_outbox(
    app, synced_series, chaos_connection, coordinator, google
):
    """Chaos seeds 310349831 (busy), 854193694 (full): the pull made a second exception of the
    occurrence, and the push's link to the same instance failed on every retry."""
    google_id = link_of(synced_series).google_event_id
    second = SOON + timedelta(weeks=1)
    # The coordinator cancels the second occurrence; before that reaches Google, the same
    # occurrence is renamed in Google and the rename is pulled in.
    delete_occurrence(synced_series, second)
    db.session.commit()
    instance = f"{google_id}_{occurrence_key(second)}"
    google.state.user_patch_event(GOOGLE_USER, instance, {"summary": "Renamed in Google"})
    google.state.wait_notifications()
    pull_now(app, chaos_connection)
    assert db.session.scalar(
        select(EventLink.event_id).where(EventLink.google_event_id == instance)
    ), "the pull should have linked Google's edit of the occurrence"
    kick(coordinator.id)
    run_jobs()
    # The coordinator's later series must still reach Google, and nothing stay unpushed.
    start = SOON + timedelta(days=1)
    data = EventData("Later", "Australia/Sydney", start_at=start, end_at=start + timedelta(hours=1))
    later = create_series(coordinator, data, "RRULE:FREQ=DAILY;COUNT=2")
    push_now(coordinator)
    assert db.session.scalar(select(EventLink.id).where(EventLink.event_id == later.id))
    assert pending_outbox() == []
    here, there = both_sides_show(coordinator, google)
    assert here == there


def test_occurrences_changed_here_after_google_removed_them_converge(
    app, synced_series, chaos_connection, coordinator, google
):
    """Chaos seeds 555802708 (busy), 423569000 (full): Google answered 410 and 404, the push
    recorded "Google refused" and the portal went on showing both occurrences."""
    google_id = link_of(synced_series).google_event_id
    second, fourth = SOON + timedelta(weeks=1), SOON + timedelta(weeks=3)
    # In Google: the second occurrence cancelled, the series cut short before the fourth.
    # The notifications are lost, so the portal does not know.
    google.state.set_notification_faults(drop=2)
    google.state.user_delete_event(GOOGLE_USER, f"{google_id}_{occurrence_key(second)}")
    until = (fourth - timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")
    google.state.user_patch_event(
        GOOGLE_USER, google_id, {"recurrence": [f"RRULE:FREQ=WEEKLY;UNTIL={until}"]}
    )
    google.state.wait_notifications()
    # In the portal, before any pull: both occurrences moved.
    for original in (second, fourth):
        change_occurrence(synced_series, original, "Moved here", later_by=timedelta(hours=2))
    here, there = synced_both_ways(app, chaos_connection, coordinator, google)
    assert here == there


def test_an_occurrence_google_changed_is_not_shown_after_this_and_following_here_cut_it_off(
    app, synced_series, chaos_connection, coordinator, google
):
    """Chaos seed 49113334 (private title): the pulled exception lay outside its series' rule
    and the portal showed it, where Google (like the rule) does not."""
    google_id = link_of(synced_series).google_event_id
    third = SOON + timedelta(weeks=2)
    # Renamed in Google; the notification is lost, so the portal does not know yet.
    google.state.set_notification_faults(drop=1)
    instance = f"{google_id}_{occurrence_key(third)}"
    google.state.user_patch_event(GOOGLE_USER, instance, {"summary": "Renamed in Google"})
    google.state.wait_notifications()
    # The coordinator changes "this and following" from that occurrence on.
    data = replace(EventData.of(synced_series), title="New format", start_at=third)
    data = replace(data, end_at=third + timedelta(hours=1))
    split_series(synced_series, third, data)
    here, there = synced_both_ways(app, chaos_connection, coordinator, google)
    assert here == there


def test_all_events_moved_on_either_side_after_one_was_edited_converge(
    app, synced_series, chaos_connection, coordinator, google
):
    """Moving every occurrence leaves an edited one's exception without its occurrence: both
    sides then show the moved series alone (the chaos run's "all events" edits change text
    only, so this replays the move in a fixed order)."""
    google_id = link_of(synced_series).google_event_id
    change_occurrence(synced_series, SOON + timedelta(weeks=1), "Edited here")
    push_now(coordinator)
    # The portal moves all events an hour later; then Google moves them another hour.
    later = replace(EventData.of(synced_series), start_at=SOON + timedelta(hours=1))
    edit_series(synced_series, replace(later, end_at=SOON + timedelta(hours=2)))
    here, there = synced_both_ways(app, chaos_connection, coordinator, google)
    assert here == there and len(here) == 4 and "Edited here" not in {s[2] for s in here}
    zone = {"timeZone": "Australia/Sydney"}
    google.state.user_patch_event(
        GOOGLE_USER,
        google_id,
        {
            "start": {"dateTime": (SOON + timedelta(hours=2)).isoformat(), **zone},
            "end": {"dateTime": (SOON + timedelta(hours=3)).isoformat(), **zone},
        },
    )
    google.state.wait_notifications()
    run_jobs()
    pull_now(app, chaos_connection)
    here, there = both_sides_show(coordinator, google)
    assert here == there and len(here) == 4


def test_a_series_renamed_here_after_google_split_it_keeps_google_s_split(
    app, synced_series, chaos_connection, coordinator, google
):
    """Chaos seed 557312574 (full, bench.chaos): the rename won the conflict and sent the
    portal's old rule with it, so Google's series got back the occurrences its split had
    moved to a new series; one of them the portal had already taken as gone."""
    google_id = link_of(synced_series).google_event_id
    third = SOON + timedelta(weeks=2)
    # The coordinator moves the third occurrence; before that reaches Google, Google's user
    # changes "this and following" from it (the notifications are lost for now).
    change_occurrence(synced_series, third, "Weekly check-in", later_by=timedelta(hours=1))
    db.session.commit()
    google.state.set_notification_faults(drop=2)
    until = (third - timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")
    google.state.user_patch_event(
        GOOGLE_USER, google_id, {"recurrence": [f"RRULE:FREQ=WEEKLY;UNTIL={until}"]}
    )
    zone = "Australia/Sydney"
    google.state.user_insert_event(
        GOOGLE_USER,
        {
            "summary": "Weekly check-in (new format)",
            "start": {"dateTime": third.isoformat(), "timeZone": zone},
            "end": {"dateTime": (third + timedelta(hours=1)).isoformat(), "timeZone": zone},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"],
        },
    )
    google.state.wait_notifications()
    # Then the coordinator renames all events, later than Google's split.
    edit_series(synced_series, replace(EventData.of(synced_series), title="Check-in"))
    here, there = synced_both_ways(app, chaos_connection, coordinator, google)
    assert here == there
    # Two of the old series, then the new one: nothing brought back, nothing twice.
    assert [title for _, _, title in here] == ["Check-in"] * 2 + [
        "Weekly check-in (new format)"
    ] * 2


def _work_the_queue(app) -> None:
    with app.app_context():
        run_jobs()


def test_a_deletion_committed_while_a_batch_push_runs_still_reaches_google(
    app, db_backend_is_postgresql, chaos_connection, coordinator, google
):
    from portal.core.queue import redis_connection
    from portal.google.sync.push import BATCH_SIZE

    data = EventData("Visit", "Australia/Sydney", start_at=SOON, end_at=SOON + timedelta(hours=1))
    events = [
        create_event(coordinator, replace(data, title=f"Visit {n}")) for n in range(BATCH_SIZE + 2)
    ]
    push_now(coordinator)
    for event in events:
        update_event(event, replace(EventData.of(event), title=f"{event.title} (moved)"))
    db.session.commit()
    # Google is slow to answer the first batch: the second waits, its events already loaded.
    # (Found by chaos seed 545050600: the rows were read after the events were loaded, so the
    # deletion's row was closed with the edit's version pushed.)
    google.state.add_fault("batch", None, delay=1.0)
    kick(coordinator.id)
    pushing = threading.Thread(target=_work_the_queue, args=(app,))
    pushing.start()
    try:
        running = f"coordinoter:running:push:{chaos_connection.id}"
        wait_for(lambda: redis_connection().exists(running))
        time.sleep(0.3)
        # Meanwhile the coordinator deletes the last appointment (in the second batch).
        last = db.session.get(Event, events[-1].id)
        delete_event(last)
        db.session.commit()
        kick(coordinator.id)
    finally:
        pushing.join()
    run_jobs()
    google_id = link_of(last).google_event_id
    assert google.state.get_event(GOOGLE_USER, google_id, include_deleted=False) is None
    assert pending_outbox() == []
