"""Editing and deleting series with a scope (this / this and following / all), queued for Google."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.calendar.operations import EventData
from portal.calendar.queries import exceptions_of
from portal.calendar.recurrence import RecurrenceError, Window, expand
from portal.calendar.recurrence_ops import (
    create_series,
    delete_following,
    delete_occurrence,
    delete_series,
    edit_occurrence,
    edit_series,
    series_data,
    split_series,
)
from portal.extensions import db
from portal.models import Event, GoogleConnection, OutboxEntry
from tests import factories

MONDAY_NINE = datetime(2026, 10, 4, 22, tzinfo=UTC)  # Monday 5 October 2026, 9:00 Sydney
WEEKLY = "RRULE:FREQ=WEEKLY;BYDAY=MO"
CHECK_IN = EventData(
    title="Weekly check-in",
    event_type="phone",
    time_zone="Australia/Sydney",
    start_at=MONDAY_NINE,
    end_at=MONDAY_NINE + timedelta(hours=1),
)
EVER = Window(
    datetime(2026, 1, 1, tzinfo=UTC),
    datetime(2030, 1, 1, tzinfo=UTC),
    date(2026, 1, 1),
    date(2030, 1, 1),
)


def monday(n: int) -> datetime:
    """The original start of the series' nth occurrence (1 is the first), 9:00 Sydney."""
    return MONDAY_NINE + timedelta(weeks=n - 1)


def at(start: datetime) -> EventData:
    return replace(CHECK_IN, start_at=start, end_at=start + timedelta(hours=1))


def shown(master: Event) -> list[datetime]:
    """Start of everything the series shows, exceptions included, in order."""
    return sorted(o.start_at for o in expand(master, exceptions_of([master.id]), EVER))


@pytest.fixture
def owner(app):
    return factories.make_user()


@pytest.fixture
def master(owner) -> Event:
    return create_series(owner, CHECK_IN, WEEKLY + ";COUNT=10")


def live_masters(owner) -> list[Event]:
    stmt = select(Event).where(
        Event.owner_id == owner.id, Event.recurrence.is_not(None), Event.deleted_at.is_(None)
    )
    return list(db.session.scalars(stmt.order_by(Event.id)))


def test_create_series_stores_the_rule_on_the_master(owner):
    master = create_series(owner, CHECK_IN, WEEKLY)
    assert master.recurrence == WEEKLY and master.is_series and not master.is_exception
    assert shown(master)[:2] == [monday(1), monday(2)]


def test_create_series_refuses_a_rule_that_does_not_start_on_the_start(owner):
    with pytest.raises(RecurrenceError):
        create_series(owner, CHECK_IN, "RRULE:FREQ=WEEKLY;BYDAY=TU")


# This event


def test_editing_one_occurrence_makes_an_exception_and_leaves_the_rest(master):
    moved = edit_occurrence(master, monday(3), at(monday(3) + timedelta(days=1, hours=2)))
    assert moved.series_id == master.id and moved.original_start_at == monday(3)
    assert moved.recurrence is None and moved.id != master.id
    assert monday(3) not in shown(master)
    assert monday(3) + timedelta(days=1, hours=2) in shown(master)
    assert len(shown(master)) == 10


def test_editing_the_same_occurrence_again_updates_its_exception(master):
    first = edit_occurrence(master, monday(3), replace(at(monday(3)), title="Moved"))
    again = edit_occurrence(master, monday(3), replace(at(monday(3)), title="Moved again"))
    assert again.id == first.id and again.title == "Moved again"
    assert len(exceptions_of([master.id])) == 1


def test_an_occurrence_the_rule_does_not_have_cannot_be_edited(master):
    with pytest.raises(RecurrenceError):
        edit_occurrence(master, monday(3) + timedelta(hours=1), CHECK_IN)
    with pytest.raises(RecurrenceError):
        edit_occurrence(master, monday(11), CHECK_IN)


def test_deleting_one_occurrence_leaves_a_tombstoned_exception(master):
    gone = delete_occurrence(master, monday(2))
    assert gone.is_deleted and gone.deleted_by == "portal" and gone.series_id == master.id
    assert gone.original_start_at == monday(2) and gone.start_at == monday(2)
    assert monday(2) not in shown(master) and len(shown(master)) == 9


def test_deleting_an_edited_occurrence_tombstones_its_exception(master):
    moved = edit_occurrence(master, monday(2), at(monday(2) + timedelta(hours=3)))
    assert delete_occurrence(master, monday(2)).id == moved.id and moved.is_deleted
    assert len(shown(master)) == 9


# All events


def test_editing_all_events_keeps_the_rule_and_the_exceptions(master):
    moved = edit_occurrence(master, monday(2), at(monday(2) + timedelta(hours=3)))
    edit_series(master, replace(CHECK_IN, title="Fortnightly?"))
    assert master.title == "Fortnightly?" and master.recurrence == WEEKLY + ";COUNT=10"
    assert not moved.is_deleted and moved.title == "Weekly check-in"


def test_editing_all_events_can_change_the_rule(master):
    edit_series(master, CHECK_IN, "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=3")
    assert shown(master) == [monday(1), monday(3), monday(5)]


def test_a_google_series_whose_start_is_off_its_rule_can_still_be_renamed(owner):
    odd = factories.make_event(
        owner, "From Google", MONDAY_NINE, recurrence="RRULE:FREQ=WEEKLY;BYDAY=TU"
    )
    edit_series(odd, replace(CHECK_IN, title="Renamed"), odd.recurrence)
    assert odd.title == "Renamed"
    with pytest.raises(RecurrenceError):
        edit_series(odd, at(monday(2)))


def test_a_series_that_stops_repeating_loses_its_exceptions(master):
    moved = edit_occurrence(master, monday(2), at(monday(2) + timedelta(hours=3)))
    edit_series(master, CHECK_IN, None)
    assert not master.is_series and moved.is_deleted


def test_an_edit_of_one_occurrence_applied_to_all_moves_the_series_the_same_way(master):
    # The third occurrence's form said Tuesday 10:30: every occurrence moves a day and 90 min.
    clicked = at(monday(3) + timedelta(days=1, minutes=90))
    data = series_data(master, monday(3), clicked)
    assert data.start_at == monday(1) + timedelta(days=1, minutes=90)
    assert data.end_at - data.start_at == timedelta(hours=1)


def test_an_unchanged_moved_occurrence_applied_to_all_leaves_the_series_times(master):
    moved_to = monday(3) + timedelta(days=1, hours=6)
    edit_occurrence(master, monday(3), at(moved_to))
    data = series_data(master, moved_to, replace(at(moved_to), title="Renamed"))
    assert (data.start_at, data.title) == (monday(1), "Renamed")


def test_a_series_shift_keeps_the_wall_clock_time_across_daylight_saving(owner):
    # A series from Monday 28 September (standard time); its 5 October occurrence is edited.
    first = datetime(2026, 9, 27, 23, tzinfo=UTC)
    master = create_series(owner, at(first), WEEKLY)
    data = series_data(master, monday(1), at(monday(1) + timedelta(hours=1)))  # to 10:00
    assert data.start_at == first + timedelta(hours=1)  # 10:00 on 28 September, +10


# This and following


def test_splitting_ends_the_old_series_and_starts_a_new_one_there(owner):
    master = create_series(owner, CHECK_IN, WEEKLY)
    earlier = edit_occurrence(master, monday(2), replace(at(monday(2)), title="Earlier"))
    later = edit_occurrence(master, monday(6), replace(at(monday(6)), title="Later"))
    new = split_series(master, monday(4), replace(at(monday(4)), title="New time"))
    assert master.recurrence == "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261025T215959Z"
    assert new.recurrence == WEEKLY and new.start_at == monday(4) and new.title == "New time"
    assert shown(master) == [monday(1), monday(2), monday(3)]
    assert not earlier.is_deleted and later.is_deleted  # Google drops them too
    assert shown(new)[:2] == [monday(4), monday(5)]


def test_splitting_a_count_series_keeps_the_total_number_of_occurrences(owner, master):
    new = split_series(master, monday(4), at(monday(4) + timedelta(hours=2)))
    assert new.recurrence == WEEKLY + ";COUNT=7"
    assert len(shown(master)) + len(shown(new)) == 10
    assert shown(new)[-1] == monday(10) + timedelta(hours=2)


def test_a_new_count_given_when_splitting_counts_from_the_old_series_start(owner, master):
    new = split_series(master, monday(4), at(monday(4)), WEEKLY + ";COUNT=5")
    assert len(shown(master)) + len(shown(new)) == 5


def test_a_count_already_used_up_is_refused(master):
    with pytest.raises(RecurrenceError) as refused:
        split_series(master, monday(4), at(monday(4)), WEEKLY + ";COUNT=3")
    assert refused.value.field == "count"


def test_splitting_at_the_first_occurrence_edits_the_whole_series(owner, master):
    same = split_series(master, monday(1), replace(CHECK_IN, title="Renamed"))
    assert same.id == master.id and master.title == "Renamed"
    assert len(live_masters(owner)) == 1


def test_an_all_day_series_splits_on_dates(owner):
    due = EventData(
        title="Report due",
        event_type="report_due",
        time_zone="Australia/Sydney",
        all_day=True,
        start_date=date(2026, 10, 14),
        end_date=date(2026, 10, 15),
    )
    master = create_series(owner, due, "RRULE:FREQ=MONTHLY;BYMONTHDAY=14;COUNT=6")
    new = split_series(
        master,
        date(2026, 12, 14),
        replace(due, start_date=date(2026, 12, 14), end_date=date(2026, 12, 15)),
    )
    assert master.recurrence == "RRULE:FREQ=MONTHLY;BYMONTHDAY=14;UNTIL=20261213"
    assert new.recurrence == "RRULE:FREQ=MONTHLY;BYMONTHDAY=14;COUNT=4"
    both = expand(master, [], EVER) + expand(new, [], EVER)
    assert sorted(o.start_date.month for o in both) == [1, 2, 3, 10, 11, 12]


# Deleting following, and all


def test_deleting_following_ends_the_series_and_tombstones_later_exceptions(master):
    later = edit_occurrence(master, monday(5), at(monday(5) + timedelta(hours=1)))
    delete_following(master, monday(4))
    assert master.recurrence == "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261025T215959Z"
    assert later.is_deleted and not master.is_deleted
    assert shown(master) == [monday(1), monday(2), monday(3)]


def test_deleting_following_from_the_first_deletes_the_series(master):
    delete_following(master, monday(1))
    assert master.is_deleted


def test_deleting_all_tombstones_the_master_and_every_exception(master):
    moved = edit_occurrence(master, monday(2), at(monday(2) + timedelta(hours=3)))
    cancelled = delete_occurrence(master, monday(3))
    delete_series(master)
    assert master.is_deleted and moved.is_deleted and cancelled.is_deleted
    assert {e.deleted_by for e in (master, moved, cancelled)} == {"portal"}


# Google hears of every row


def test_every_row_created_or_changed_is_queued_for_google(owner):
    db.session.add(
        GoogleConnection(user_id=owner.id, business_id=owner.business_id, state="connected")
    )
    master = create_series(owner, CHECK_IN, WEEKLY)
    moved = edit_occurrence(master, monday(2), at(monday(2) + timedelta(hours=3)))
    cancelled = delete_occurrence(master, monday(3))
    later = edit_occurrence(master, monday(6), at(monday(6) + timedelta(hours=1)))
    new = split_series(master, monday(5), at(monday(5)))
    db.session.commit()
    queued = {
        (entry.event_id, entry.event_version)
        for entry in db.session.scalars(select(OutboxEntry).where(OutboxEntry.user_id == owner.id))
    }
    for row in (master, moved, cancelled, later, new):
        assert (row.id, row.version) in queued, row
    assert later.is_deleted and master.version > 2


def test_nothing_is_queued_without_a_google_connection(owner):
    master = create_series(owner, CHECK_IN, WEEKLY)
    delete_occurrence(master, monday(2))
    assert db.session.scalars(select(OutboxEntry)).all() == []
