"""Recurring series both ways: series, moved occurrences and cancelled occurrences."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.google.sync.outbox import record_change
from portal.google.worker.enqueue import enqueue_pull, kick
from portal.models import Event
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import google_events, link_of, live_events
from tests.support.occurrences import google_shown, portal_shown
from tests.support.worker import run_jobs

# A Monday at 9:00 in Sydney, before daylight saving starts on 4 October 2026.
FIRST = datetime(2026, 9, 21, 23, 0, tzinfo=UTC)
WEEKLY = "RRULE:FREQ=WEEKLY;COUNT=6"


def pull(connection) -> None:
    enqueue_pull(connection.id)
    run_jobs()


def google_series(google, summary="Weekly check-in", rule=WEEKLY) -> dict:
    return google.state.user_insert_event(
        GOOGLE_USER,
        {
            "summary": summary,
            "start": {"dateTime": "2026-09-22T09:00:00+10:00", "timeZone": "Australia/Sydney"},
            "end": {"dateTime": "2026-09-22T10:00:00+10:00", "timeZone": "Australia/Sydney"},
            "recurrence": [rule],
        },
    )


def test_a_google_series_arrives_whole_with_its_moved_and_cancelled_occurrences(
    connected, coordinator, google
):
    series = google_series(google)
    # Third occurrence (6 Oct, after the DST change: 9:00 local is 22:00 UTC the day before).
    third = f"{series['id']}_20261005T220000Z"
    google.state.user_patch_event(
        GOOGLE_USER,
        third,
        {
            "summary": "Weekly check-in (moved)",
            "start": {"dateTime": "2026-10-06T14:00:00+11:00", "timeZone": "Australia/Sydney"},
            "end": {"dateTime": "2026-10-06T15:00:00+11:00", "timeZone": "Australia/Sydney"},
        },
    )
    google.state.user_delete_event(GOOGLE_USER, f"{series['id']}_20261012T220000Z")
    pull(connected)
    rows = db.session.scalars(select(Event).where(Event.owner_id == coordinator.id)).all()
    [master] = [e for e in rows if e.is_series]
    assert master.recurrence == WEEKLY
    assert master.start_at == FIRST and master.time_zone == "Australia/Sydney"
    moved = next(e for e in rows if e.is_exception and not e.is_deleted)
    assert moved.series_id == master.id
    assert moved.original_start_at == datetime(2026, 10, 5, 22, 0, tzinfo=UTC)
    assert moved.start_at == datetime(2026, 10, 6, 3, 0, tzinfo=UTC)
    assert moved.title == "Weekly check-in (moved)"
    cancelled = next(e for e in rows if e.is_exception and e.is_deleted)
    assert cancelled.original_start_at == datetime(2026, 10, 12, 22, 0, tzinfo=UTC)
    assert cancelled.deleted_by == "google"
    assert len(rows) == 3


def test_deleting_a_series_in_google_tombstones_it_and_its_occurrences(
    connected, coordinator, google
):
    series = google_series(google)
    google.state.user_patch_event(
        GOOGLE_USER, f"{series['id']}_20260928T230000Z", {"summary": "Moved one"}
    )
    pull(connected)
    google.state.user_delete_event(GOOGLE_USER, series["id"])
    pull(connected)
    assert live_events(coordinator.id) == []


def add_series(user, title="Fortnightly team meeting", **fields) -> Event:
    event = Event(
        business_id=user.business_id,
        owner_id=user.id,
        title=title,
        time_zone="Australia/Sydney",
        start_at=FIRST,
        end_at=FIRST + timedelta(hours=1),
        recurrence="RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=5",
        **fields,
    )
    db.session.add(event)
    db.session.flush()
    record_change(event)
    db.session.commit()
    kick(user.id)
    return event


def add_exception(series: Event, original: datetime, **fields) -> Event:
    exception = Event(
        business_id=series.business_id,
        owner_id=series.owner_id,
        title=fields.pop("title", series.title),
        time_zone=series.time_zone,
        series_id=series.id,
        original_start_at=original,
        start_at=fields.pop("start_at", original),
        end_at=fields.pop("end_at", original + timedelta(hours=1)),
        **fields,
    )
    db.session.add(exception)
    db.session.flush()
    record_change(exception)
    db.session.commit()
    kick(series.owner_id)
    return exception


def test_a_portal_series_goes_to_google_as_one_series_with_its_exceptions(
    connected, coordinator, google
):
    series = add_series(coordinator)
    run_jobs()
    [item] = google_events(google)
    assert item["recurrence"] == ["RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=5"]
    assert item["start"] == {
        "dateTime": "2026-09-22T09:00:00+10:00",
        "timeZone": "Australia/Sydney",
    }
    # Move the second occurrence (6 Oct, now daylight time) and cancel the third.
    second = datetime(2026, 10, 5, 22, 0, tzinfo=UTC)
    add_exception(
        series,
        second,
        title="Team meeting (moved)",
        start_at=second + timedelta(hours=2),
        end_at=second + timedelta(hours=3),
    )
    add_exception(
        series,
        datetime(2026, 10, 19, 22, 0, tzinfo=UTC),
        deleted_at=datetime.now(UTC),
        deleted_by="portal",
    )
    run_jobs()
    instances = google.state.expand(GOOGLE_USER, "2026-09-01T00:00:00Z", "2027-01-01T00:00:00Z")
    starts = [(i["start"]["dateTime"], i.get("summary")) for i in instances]
    assert starts == [
        ("2026-09-22T09:00:00+10:00", "Fortnightly team meeting"),
        ("2026-10-06T11:00:00+11:00", "Team meeting (moved)"),
        ("2026-11-03T09:00:00+11:00", "Fortnightly team meeting"),
        ("2026-11-17T09:00:00+11:00", "Fortnightly team meeting"),
    ]
    # Our own writes come back as echoes: nothing changes in the portal.
    versions = {e.id: e.version for e in db.session.scalars(select(Event))}
    pull(connected)
    assert {e.id: e.version for e in db.session.scalars(select(Event))} == versions
    assert len(db.session.scalars(select(Event)).all()) == 3


def test_an_all_day_monthly_series_round_trips(connected, coordinator, google):
    event = Event(
        business_id=coordinator.business_id,
        owner_id=coordinator.id,
        title="Progress report due",
        time_zone="Australia/Brisbane",
        all_day=True,
        start_date=date(2026, 12, 14),
        end_date=date(2026, 12, 15),
        recurrence="RRULE:FREQ=MONTHLY;BYMONTHDAY=14;COUNT=12",
    )
    db.session.add(event)
    db.session.flush()
    record_change(event)
    db.session.commit()
    kick(coordinator.id)
    run_jobs()
    instances = google.state.expand(GOOGLE_USER, "2026-12-01T00:00:00Z", "2028-01-01T00:00:00Z")
    assert [i["start"]["date"] for i in instances][:3] == ["2026-12-14", "2027-01-14", "2027-02-14"]
    assert len(instances) == 12
    google_id = link_of(event).google_event_id
    google.state.user_delete_event(GOOGLE_USER, f"{google_id}_20270214")
    pull(connected)
    cancelled = db.session.scalar(select(Event).where(Event.series_id == event.id))
    assert cancelled.original_start_date == date(2027, 2, 14) and cancelled.is_deleted


# -- The occurrence sets on both sides agree over a year ------------------------------------

YEAR_START = datetime(2026, 9, 1, tzinfo=UTC)
YEAR_END = datetime(2027, 9, 1, tzinfo=UTC)


def portal_occurrences(user_id: int) -> list[tuple[str, str]]:
    """Every occurrence the portal shows in the year, as (UTC start or date, title)."""
    return sorted((s.start, s.title) for s in portal_shown(user_id, YEAR_START, YEAR_END))


def google_occurrences(google) -> list[tuple[str, str]]:
    """Every instance Google shows in the year (its own expansion, like singleEvents=true)."""
    shown = google_shown(google.state, GOOGLE_USER, YEAR_START, YEAR_END)
    return sorted((s.start, s.title) for s in shown)


def sydney_nine(day: date) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(
        day.year, day.month, day.day, 9, tzinfo=ZoneInfo("Australia/Sydney")
    ).astimezone(UTC)


def test_portal_edits_of_each_scope_reach_google_occurrence_for_occurrence(
    connected, coordinator, google
):
    from portal.calendar.operations import EventData
    from portal.calendar.recurrence_ops import (
        create_series,
        delete_occurrence,
        edit_occurrence,
        split_series,
    )

    start = sydney_nine(date(2026, 9, 22))
    data = EventData(
        title="Weekly check-in",
        time_zone="Australia/Sydney",
        start_at=start,
        end_at=start + timedelta(hours=1),
    )
    master = create_series(coordinator, data, "RRULE:FREQ=WEEKLY;COUNT=30")
    db.session.commit()
    kick(coordinator.id)
    run_jobs()
    assert portal_occurrences(coordinator.id) == google_occurrences(google)
    assert len(google_occurrences(google)) == 30

    # This event: move the 6 Oct one (across DST) to the afternoon; cancel 13 Oct.
    moved_from = sydney_nine(date(2026, 10, 6))
    afternoon = EventData(
        title="Check-in (afternoon)",
        time_zone="Australia/Sydney",
        start_at=moved_from + timedelta(hours=5),
        end_at=moved_from + timedelta(hours=6),
    )
    edit_occurrence(master, moved_from, afternoon)
    delete_occurrence(master, sydney_nine(date(2026, 10, 13)))
    db.session.commit()
    kick(coordinator.id)
    run_jobs()
    assert portal_occurrences(coordinator.id) == google_occurrences(google)

    # This and following: from 3 Nov on, a new title.
    split_from = sydney_nine(date(2026, 11, 3))
    new_format = EventData(
        title="Check-in (new format)",
        time_zone="Australia/Sydney",
        start_at=split_from,
        end_at=split_from + timedelta(hours=1),
    )
    split_series(master, split_from, new_format)
    db.session.commit()
    kick(coordinator.id)
    run_jobs()
    both = portal_occurrences(coordinator.id)
    assert both == google_occurrences(google)
    assert len(both) == 29  # 30, less the cancelled one
    assert sum(title == "Check-in (new format)" for _, title in both) == 24


def test_google_edits_of_each_scope_reach_the_portal_occurrence_for_occurrence(
    connected, coordinator, google
):
    series = google_series(google, rule="RRULE:FREQ=WEEKLY;COUNT=20")
    pull(connected)
    assert portal_occurrences(coordinator.id) == google_occurrences(google)
    # One occurrence moved, one cancelled, in Google Calendar.
    google.state.user_patch_event(
        GOOGLE_USER, f"{series['id']}_20261005T220000Z", {"summary": "Moved in Google"}
    )
    google.state.user_delete_event(GOOGLE_USER, f"{series['id']}_20261019T220000Z")
    pull(connected)
    assert portal_occurrences(coordinator.id) == google_occurrences(google)
    # "This and following" as Google does it: the series ends, a new one starts.
    google.state.user_patch_event(
        GOOGLE_USER, series["id"], {"recurrence": ["RRULE:FREQ=WEEKLY;UNTIL=20261101T000000Z"]}
    )
    google.state.user_insert_event(
        GOOGLE_USER,
        {
            "summary": "Weekly check-in (Thursdays)",
            "start": {"dateTime": "2026-11-05T09:00:00+11:00", "timeZone": "Australia/Sydney"},
            "end": {"dateTime": "2026-11-05T10:00:00+11:00", "timeZone": "Australia/Sydney"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=10"],
        },
    )
    pull(connected)
    assert portal_occurrences(coordinator.id) == google_occurrences(google)
    # And the whole series, renamed.
    google.state.user_patch_event(GOOGLE_USER, series["id"], {"summary": "Renamed series"})
    pull(connected)
    assert portal_occurrences(coordinator.id) == google_occurrences(google)


def test_with_busy_only_changing_a_google_series_here_keeps_its_google_titles(
    connected, coordinator, google
):
    from dataclasses import replace

    from portal.calendar.operations import EventData
    from portal.calendar.recurrence_ops import edit_occurrence, split_series

    connected.privacy_level = "busy"
    db.session.commit()
    series = google_series(google)
    pull(connected)
    master = db.session.scalar(select(Event).where(Event.recurrence.is_not(None)))
    # One occurrence moved an hour later, then this and following from the fifth on.
    second, fifth = FIRST + timedelta(weeks=1), FIRST + timedelta(weeks=4) - timedelta(hours=1)
    moved = replace(EventData.of(master), start_at=second + timedelta(hours=1))
    edit_occurrence(master, second, replace(moved, end_at=second + timedelta(hours=2)))
    later = replace(EventData.of(master), start_at=fifth + timedelta(hours=2))
    split_series(master, fifth, replace(later, end_at=fifth + timedelta(hours=3)))
    db.session.commit()
    kick(coordinator.id)
    run_jobs()
    span = (FIRST - timedelta(days=1), FIRST + timedelta(weeks=8))
    there = google_shown(google.state, GOOGLE_USER, *span)
    assert [s.title for s in there] == ["Weekly check-in"] * 6
    assert [s[:3] for s in portal_shown(coordinator.id, *span)] == [s[:3] for s in there]
    assert google.state.get_event(GOOGLE_USER, series["id"])["summary"] == "Weekly check-in"
