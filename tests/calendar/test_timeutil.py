"""Wall-clock times in Australian zones become the right UTC instants, across daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.calendar.timeutil import (
    NonexistentLocalTime,
    start_of_day,
    to_local,
    to_utc,
)
from portal.core.timezones import format_time

NINE_AM_CASES = [
    # Sydney moves to daylight time (UTC+11) on Sunday 4 October 2026; Brisbane never does.
    ("Australia/Sydney", datetime(2026, 10, 3, 9), datetime(2026, 10, 2, 23, tzinfo=UTC)),
    ("Australia/Sydney", datetime(2026, 10, 4, 9), datetime(2026, 10, 3, 22, tzinfo=UTC)),
    ("Australia/Sydney", datetime(2026, 10, 5, 9), datetime(2026, 10, 4, 22, tzinfo=UTC)),
    ("Australia/Brisbane", datetime(2026, 10, 3, 9), datetime(2026, 10, 2, 23, tzinfo=UTC)),
    ("Australia/Brisbane", datetime(2026, 10, 5, 9), datetime(2026, 10, 4, 23, tzinfo=UTC)),
    # Sydney goes back to standard time (UTC+10) on Sunday 5 April 2026.
    ("Australia/Sydney", datetime(2026, 4, 4, 9), datetime(2026, 4, 3, 22, tzinfo=UTC)),
    ("Australia/Sydney", datetime(2026, 4, 6, 9), datetime(2026, 4, 5, 23, tzinfo=UTC)),
    ("Australia/Brisbane", datetime(2026, 4, 4, 9), datetime(2026, 4, 3, 23, tzinfo=UTC)),
    ("Australia/Brisbane", datetime(2026, 4, 6, 9), datetime(2026, 4, 5, 23, tzinfo=UTC)),
    # Adelaide is half an hour behind the east: +9:30 in winter, +10:30 in summer.
    ("Australia/Adelaide", datetime(2026, 7, 1, 9), datetime(2026, 6, 30, 23, 30, tzinfo=UTC)),
    ("Australia/Adelaide", datetime(2026, 10, 5, 9), datetime(2026, 10, 4, 22, 30, tzinfo=UTC)),
    ("Australia/Perth", datetime(2026, 10, 5, 9), datetime(2026, 10, 5, 1, tzinfo=UTC)),
]


@pytest.mark.parametrize(("zone_name", "local", "instant"), NINE_AM_CASES)
def test_a_nine_am_appointment_becomes_the_right_utc_instant(zone_name, local, instant):
    assert to_utc(local, zone_name) == instant


@pytest.mark.parametrize(("zone_name", "local", "instant"), NINE_AM_CASES)
def test_the_utc_instant_reads_back_as_the_same_wall_clock_time(zone_name, local, instant):
    assert to_local(instant, zone_name).replace(tzinfo=None) == local


def test_the_skipped_half_past_two_in_sydney_is_refused_with_a_clear_reason():
    with pytest.raises(NonexistentLocalTime, match="does not exist in Australia/Sydney"):
        to_utc(datetime(2026, 10, 4, 2, 30), "Australia/Sydney")


def test_the_skipped_hour_exists_in_brisbane():
    assert to_utc(datetime(2026, 10, 4, 2, 30), "Australia/Brisbane") == datetime(
        2026, 10, 3, 16, 30, tzinfo=UTC
    )


def test_the_repeated_half_past_two_in_sydney_means_the_first_one_on_daylight_time():
    assert to_utc(datetime(2026, 4, 5, 2, 30), "Australia/Sydney") == datetime(
        2026, 4, 4, 15, 30, tzinfo=UTC
    )


def test_an_aware_time_is_refused_because_its_zone_would_be_ambiguous():
    with pytest.raises(ValueError):
        to_utc(datetime(2026, 10, 5, 9, tzinfo=UTC), "Australia/Sydney")


def test_a_day_starts_at_local_midnight():
    assert start_of_day(date(2026, 10, 5), "Australia/Sydney") == datetime(
        2026, 10, 4, 13, tzinfo=UTC
    )
    assert start_of_day(date(2026, 10, 5), "Australia/Adelaide") == datetime(
        2026, 10, 4, 13, 30, tzinfo=UTC
    )


def test_a_day_whose_midnight_is_skipped_starts_at_the_first_real_instant():
    # Cuba springs forward from midnight straight to 1:00 (8 March 2026).
    begins = start_of_day(date(2026, 3, 8), "America/Havana")
    assert to_local(begins, "America/Havana").replace(tzinfo=None) == datetime(2026, 3, 8, 1)


def test_times_read_the_way_coordinators_write_them():
    assert format_time(datetime(2026, 1, 1, 0, 5)) == "12:05 am"
    assert format_time(datetime(2026, 1, 1, 9, 0)) == "9:00 am"
    assert format_time(datetime(2026, 1, 1, 12, 30)) == "12:30 pm"
    assert format_time(datetime(2026, 1, 1, 17, 45)) == "5:45 pm"
