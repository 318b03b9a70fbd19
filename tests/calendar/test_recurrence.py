"""Recurrence rules: written as Google writes them, read back for the form, expanded by dateutil."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.calendar.recurrence import (
    Repeat,
    Window,
    expand,
    occurrence_key,
    parse_occurrence_key,
    produces,
)
from portal.calendar.rules import (
    build_rule,
    check_rule,
    occurrences_before,
    parse_rule,
    until_before,
    with_count_reduced,
)
from portal.calendar.timeutil import start_of_day
from portal.models import Event

SYDNEY, BRISBANE = "Australia/Sydney", "Australia/Brisbane"


def series(start: datetime, rule: str, zone: str = SYDNEY, minutes: int = 60) -> Event:
    """A timed master (never saved: expansion needs no database)."""
    end = start + timedelta(minutes=minutes)
    return Event(
        id=1,
        title="Check-in",
        all_day=False,
        start_at=start,
        end_at=end,
        time_zone=zone,
        recurrence=rule,
    )


def all_day_series(first: date, rule: str, days: int = 1) -> Event:
    return Event(
        id=2,
        title="Report due",
        all_day=True,
        start_date=first,
        end_date=first + timedelta(days=days),
        time_zone=SYDNEY,
        recurrence=rule,
    )


def weeks(monday: date, count: int, zone: str = SYDNEY) -> Window:
    end = monday + timedelta(days=7 * count)
    return Window(start_of_day(monday, zone), start_of_day(end, zone), monday, end)


def starts(master: Event, window: Window, exceptions: tuple[Event, ...] = ()) -> list:
    found = expand(master, exceptions, window)
    return sorted(o.start_date if master.all_day else o.start_at for o in found)


# Writing rules from the form's choices


@pytest.mark.parametrize(
    ("repeat", "first", "expected"),
    [
        (Repeat("daily"), date(2026, 10, 5), "RRULE:FREQ=DAILY"),
        (Repeat("weekly", (0, 3)), date(2026, 10, 5), "RRULE:FREQ=WEEKLY;BYDAY=MO,TH"),
        (Repeat("weekly"), date(2026, 10, 7), "RRULE:FREQ=WEEKLY;BYDAY=WE"),
        (
            Repeat("fortnightly", (3, 0), "until", date(2027, 6, 30)),
            date(2026, 10, 5),
            "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20270630T135959Z",
        ),
        (Repeat("monthly_date"), date(2026, 10, 14), "RRULE:FREQ=MONTHLY;BYMONTHDAY=14"),
        (Repeat("monthly_weekday"), date(2026, 10, 13), "RRULE:FREQ=MONTHLY;BYDAY=2TU"),
        (
            Repeat("monthly_last", ends="count", count=6),
            date(2026, 10, 30),
            "RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=6",
        ),
    ],
)
def test_choices_become_the_rrule_google_writes(repeat, first, expected):
    assert build_rule(repeat, first, all_day=False, zone_name=SYDNEY) == expected


def test_a_single_event_has_no_rule():
    assert build_rule(Repeat(), date(2026, 10, 5), False, SYDNEY) is None


def test_until_is_the_end_of_the_last_day_in_utc_or_a_bare_date_for_all_day_series():
    # Summer in Sydney (+11) and no daylight saving in Brisbane (+10).
    summer = Repeat("daily", ends="until", until=date(2026, 12, 31))
    assert build_rule(summer, date(2026, 12, 1), False, SYDNEY).endswith("UNTIL=20261231T125959Z")
    assert build_rule(summer, date(2026, 12, 1), False, BRISBANE).endswith("UNTIL=20261231T135959Z")
    assert build_rule(summer, date(2026, 12, 1), True, SYDNEY).endswith("UNTIL=20261231")


# Reading rules back into the form's choices


@pytest.mark.parametrize(
    "repeat",
    [
        Repeat("daily", (), "never"),
        Repeat("weekly", (0, 3), "count", count=10),
        Repeat("fortnightly", (0,), "until", until=date(2027, 6, 21)),
        Repeat("monthly_date", (), "never"),
        Repeat("monthly_weekday", (), "count", count=3),
    ],
)
def test_a_rule_written_from_choices_reads_back_as_the_same_choices(repeat):
    start = datetime(2026, 10, 11, 22, tzinfo=UTC)  # Monday 12 October, 9:00 Sydney
    master = series(start, build_rule(repeat, date(2026, 10, 12), False, SYDNEY))
    assert parse_rule(master) == repeat


def test_a_cut_series_reads_back_ending_on_its_last_occurrence_not_on_the_cut_day():
    start = datetime(2026, 10, 4, 22, tzinfo=UTC)  # Monday 5 October, 9:00 Sydney
    master = series(start, "RRULE:FREQ=WEEKLY;BYDAY=MO")
    master.recurrence = until_before(master, datetime(2026, 10, 25, 22, tzinfo=UTC))
    assert master.recurrence == "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261025T215959Z"
    # Saving the form unchanged must not bring back Monday 26 October.
    assert parse_rule(master).until == date(2026, 10, 19)


@pytest.mark.parametrize(
    "rule",
    [
        "RRULE:FREQ=YEARLY",
        "RRULE:FREQ=WEEKLY;BYDAY=MO;WKST=SU;INTERVAL=2",
        "RRULE:FREQ=DAILY;INTERVAL=3",
        "RRULE:FREQ=MONTHLY;BYDAY=1MO,3MO",
        "RRULE:FREQ=DAILY\nRDATE;TZID=Australia/Sydney:20261220T090000",
        "RRULE:FREQ=DAILY;COUNT=9999",
        "RRULE:FREQ=WEEKLY;BYDAY=TU",  # does not include the start (a Monday)
    ],
)
def test_a_rule_the_form_cannot_show_is_custom(rule):
    assert parse_rule(series(datetime(2026, 10, 4, 22, tzinfo=UTC), rule)) is None


# Expansion: wall-clock times across daylight saving, in the event's own zone


def test_a_nine_am_sydney_weekly_stays_at_nine_across_the_dst_start():
    master = series(datetime(2026, 9, 20, 23, tzinfo=UTC), "RRULE:FREQ=WEEKLY;BYDAY=MO")
    assert starts(master, weeks(date(2026, 9, 21), 4)) == [
        datetime(2026, 9, 20, 23, tzinfo=UTC),  # 9:00 AEST (+10)
        datetime(2026, 9, 27, 23, tzinfo=UTC),
        datetime(2026, 10, 4, 22, tzinfo=UTC),  # 9:00 AEDT (+11): an hour earlier in UTC
        datetime(2026, 10, 11, 22, tzinfo=UTC),
    ]


def test_a_nine_am_brisbane_weekly_does_not_move_in_utc():
    master = series(datetime(2026, 9, 20, 23, tzinfo=UTC), "RRULE:FREQ=WEEKLY;BYDAY=MO", BRISBANE)
    found = starts(master, weeks(date(2026, 9, 21), 4, BRISBANE))
    assert [s.hour for s in found] == [23, 23, 23, 23]
    assert [s.day for s in found] == [20, 27, 4, 11]


def test_an_all_day_monthly_report_due_on_the_14th_expands_on_dates():
    due = all_day_series(date(2026, 10, 14), "RRULE:FREQ=MONTHLY;BYMONTHDAY=14")
    found = expand(due, [], weeks(date(2026, 10, 12), 12))
    assert [(o.start_date, o.end_date) for o in found] == [
        (date(2026, 10, 14), date(2026, 10, 15)),
        (date(2026, 11, 14), date(2026, 11, 15)),
        (date(2026, 12, 14), date(2026, 12, 15)),
    ]
    assert [o.key for o in found] == ["20261014", "20261114", "20261214"]


def test_a_multi_day_all_day_series_keeps_its_length_and_overlaps_into_the_window():
    camp = all_day_series(date(2026, 10, 9), "RRULE:FREQ=WEEKLY;BYDAY=FR", days=3)
    found = expand(camp, [], weeks(date(2026, 10, 12), 1))
    # Friday 9 – Sunday 11 October is outside; Friday 16 – Sunday 18 is inside.
    assert [(o.start_date, o.end_date) for o in found] == [(date(2026, 10, 16), date(2026, 10, 19))]


def test_the_second_tuesday_and_the_last_friday_of_each_month():
    second = series(datetime(2026, 10, 12, 23, tzinfo=UTC), "RRULE:FREQ=MONTHLY;BYDAY=2TU")
    last = series(datetime(2026, 10, 29, 22, tzinfo=UTC), "RRULE:FREQ=MONTHLY;BYDAY=-1FR")
    months = weeks(date(2026, 10, 12), 14)
    assert [s.astimezone(UTC).date() for s in starts(second, months)] == [
        date(2026, 10, 12),
        date(2026, 11, 9),
        date(2026, 12, 7),
        date(2027, 1, 11),
    ]  # the UTC day before 9:00 Tuesday 13 Oct, 10 Nov, 8 Dec, 12 Jan in Sydney
    assert [s.date() for s in starts(last, months)] == [
        date(2026, 10, 29),
        date(2026, 11, 26),
        date(2026, 12, 24),
    ]  # Friday 30 Oct, 27 Nov, 25 Dec in Sydney


def test_until_and_count_end_a_series():
    start = datetime(2026, 10, 4, 22, tzinfo=UTC)
    until = series(start, "RRULE:FREQ=DAILY;UNTIL=20261007T125959Z")  # through Wed 7 Oct
    count = series(start, "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    assert len(starts(until, weeks(date(2026, 10, 5), 4))) == 3
    assert [s.day for s in starts(count, weeks(date(2026, 10, 5), 8))] == [4, 11, 18]


def exception_of_daily(
    event_id: int, title: str, original_day: int, start_day: int, start_hour: int = 22, **fields
) -> Event:
    """An hour-long exception (never saved) of series 1, replacing the 22:00 UTC occurrence on
    original_day October and starting at start_hour UTC on start_day."""
    start = datetime(2026, 10, start_day, start_hour, tzinfo=UTC)
    return Event(
        id=event_id,
        series_id=1,
        all_day=False,
        time_zone=SYDNEY,
        title=title,
        original_start_at=datetime(2026, 10, original_day, 22, tzinfo=UTC),
        start_at=start,
        end_at=start + timedelta(hours=1),
        **fields,
    )


def test_replaced_occurrences_are_left_out_and_live_exceptions_shown_where_they_went():
    master = series(datetime(2026, 10, 4, 22, tzinfo=UTC), "RRULE:FREQ=DAILY;COUNT=5")
    moved = exception_of_daily(10, "Moved", original_day=5, start_day=5)
    moved.start_at, moved.end_at = (
        moved.start_at + timedelta(hours=5),
        moved.end_at + timedelta(hours=5),
    )
    cancelled = exception_of_daily(
        11, "Gone", 6, 6, deleted_at=datetime(2026, 9, 1, tzinfo=UTC), deleted_by="portal"
    )
    found = expand(master, [moved, cancelled], weeks(date(2026, 10, 5), 1))
    assert sorted((o.start_at.day, o.start_at.hour, o.id) for o in found) == [
        (4, 22, 1),
        (6, 3, 10),
        (7, 22, 1),
        (8, 22, 1),
    ]
    assert {o.key for o in found if o.id == 10} == {"20261005T220000Z"}


def test_an_exception_shows_only_while_the_rule_still_has_its_occurrence():
    # Cut short (here or in Google) before the fourth day: as in Google, the exception that
    # replaced the fourth is kept but not shown; one moved in from a later day still is.
    master = series(datetime(2026, 10, 4, 22, tzinfo=UTC), "RRULE:FREQ=DAILY;COUNT=3")
    outside = exception_of_daily(12, "Renamed in Google", original_day=7, start_day=7)
    pulled_in = exception_of_daily(13, "Brought forward", original_day=6, start_day=1)
    found = expand(master, [outside, pulled_in], weeks(date(2026, 9, 28), 2))
    assert sorted((o.start_at.day, o.id) for o in found) == [(1, 13), (4, 1), (5, 1)]


def test_an_occurrence_reads_like_its_event_with_its_own_times():
    master = series(datetime(2026, 10, 4, 22, tzinfo=UTC), "RRULE:FREQ=WEEKLY;BYDAY=MO")
    [later] = expand(master, [], weeks(date(2026, 10, 12), 1))
    assert later.title == "Check-in" and later.id == 1 and later.time_zone == SYDNEY
    assert (later.start_at, later.end_at) == (
        datetime(2026, 10, 11, 22, tzinfo=UTC),
        datetime(2026, 10, 11, 23, tzinfo=UTC),
    )


def test_an_unreadable_rule_still_shows_its_first_occurrence():
    broken = series(datetime(2026, 10, 4, 22, tzinfo=UTC), "RRULE:FREQ=SOMETIMES")
    assert starts(broken, weeks(date(2026, 10, 5), 2)) == [datetime(2026, 10, 4, 22, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("rule", "zone"),
    [
        ("RRULE:FREQ=WEEKLY;UNTIL=20261101", SYDNEY),  # a bare date on a timed series
        ("RRULE:FREQ=WEEKLY;UNTIL=20261101T090000", SYDNEY),  # a floating time
        ("RRULE:FREQ=WEEKLY\nEXDATE;TZID=Australia/Sydney:20261012T090000", SYDNEY),
        ("RRULE:FREQ=WEEKLY\nEXDATE:20261011T220000Z", "Mars/Base"),
    ],
)
def test_rules_as_google_may_send_them_expand(rule, zone):
    master = series(datetime(2026, 10, 4, 22, tzinfo=UTC), rule, zone)
    assert len(starts(master, weeks(date(2026, 10, 5), 6))) in (3, 4, 5)


# Changing rules


def test_cutting_a_count_series_and_counting_what_came_before():
    start = datetime(2026, 10, 4, 22, tzinfo=UTC)
    master = series(start, "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\nEXDATE:20261011T220000Z")
    fourth = datetime(2026, 10, 25, 22, tzinfo=UTC)
    # The excluded occurrence still counts towards COUNT, as RFC 5545 (and Google) count.
    assert occurrences_before(master, fourth) == 3
    assert with_count_reduced(master.recurrence, 3).startswith(
        "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3\n"
    )
    assert until_before(master, fourth).startswith(
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261025T215959Z\n"
    )


def test_cutting_an_all_day_series_ends_it_the_day_before():
    due = all_day_series(date(2026, 10, 14), "RRULE:FREQ=MONTHLY;BYMONTHDAY=14;UNTIL=20271231")
    assert (
        until_before(due, date(2026, 12, 14)) == "RRULE:FREQ=MONTHLY;BYMONTHDAY=14;UNTIL=20261213"
    )


def test_a_rule_must_start_on_the_events_own_start():
    check_rule(series(datetime(2026, 10, 4, 22, tzinfo=UTC), "RRULE:FREQ=WEEKLY;BYDAY=MO"))
    with pytest.raises(ValueError, match="first occurrence"):
        check_rule(series(datetime(2026, 10, 4, 22, tzinfo=UTC), "RRULE:FREQ=WEEKLY;BYDAY=TU"))


# Naming occurrences


def test_occurrence_keys_are_googles_instance_id_suffixes_and_read_back():
    instant = datetime(2026, 11, 30, 22, tzinfo=UTC)
    assert occurrence_key(instant) == "20261130T220000Z"
    assert parse_occurrence_key("20261130T220000Z") == instant
    assert occurrence_key(date(2026, 11, 14)) == "20261114"
    assert parse_occurrence_key("20261114") == date(2026, 11, 14)


@pytest.mark.parametrize("key", ["", "x", "20261301", "2026-11-30", "20261130T220000", "00011130"])
def test_a_bad_occurrence_key_is_refused(key):
    with pytest.raises(ValueError):
        parse_occurrence_key(key)


def test_produces_knows_the_rules_occurrences_and_nothing_else():
    master = series(datetime(2026, 10, 4, 22, tzinfo=UTC), "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    assert produces(master, datetime(2026, 10, 11, 22, tzinfo=UTC))
    assert not produces(master, datetime(2026, 10, 11, 23, tzinfo=UTC))
    assert not produces(master, datetime(2026, 10, 25, 22, tzinfo=UTC))  # past the COUNT
    assert not produces(master, date(2026, 10, 12))  # an all-day key for a timed series
