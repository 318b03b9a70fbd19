"""Repeating events through the form and the week view: the rule written, how a series shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.extensions import db
from tests import factories
from tests.calendar.pages import HTMX, field_errors, grid_items, items_for
from tests.calendar.recurrence_support import (
    MONDAY_NINE,
    WEEK,
    WEEKLY,
    events,
    occurrence_url,
    series_form,
    stored_rule,
    weekly,
)
from tests.calendar.test_week_view import hour_at
from tests.support.sql import recorded_statements

# Creating from the form


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"repeat": "daily"}, "RRULE:FREQ=DAILY"),
        ({"weekdays": ["MO", "TH"]}, "RRULE:FREQ=WEEKLY;BYDAY=MO,TH"),
        ({"weekdays": None}, "RRULE:FREQ=WEEKLY;BYDAY=MO"),  # no day ticked: the start's
        (
            {
                "repeat": "fortnightly",
                "weekdays": ["TH", "MO"],
                "ends": "until",
                "until": "2027-06-30",
            },
            "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20270630T135959Z",
        ),
        (
            {"repeat": "monthly_date", "ends": "count", "count": "12"},
            "RRULE:FREQ=MONTHLY;BYMONTHDAY=5;COUNT=12",
        ),
        (
            {"repeat": "monthly_weekday", "start": "2026-10-13T09:00", "end": "2026-10-13T10:00"},
            "RRULE:FREQ=MONTHLY;BYDAY=2TU",
        ),
        (
            {"repeat": "monthly_last", "start": "2026-10-30T09:00", "end": "2026-10-30T10:00"},
            "RRULE:FREQ=MONTHLY;BYDAY=-1FR",
        ),
        ({"repeat": "none", "ends": "garbage", "count": "-4"}, None),
    ],
)
def test_the_form_writes_the_rule_google_would(client, coordinator, changes, rule):
    form = {k: v for k, v in series_form(**changes).items() if v is not None}
    response = client.post("/calendar/events", data=form, headers=HTMX)
    assert response.status_code == 200, field_errors(response.text)
    assert stored_rule() == rule


def test_an_all_day_series_ends_on_a_bare_date(client, coordinator):
    form = series_form(
        all_day="y",
        repeat="monthly_date",
        ends="until",
        until="2027-10-14",
        start_date="2026-10-14",
        end_date="2026-10-14",
    )
    assert client.post("/calendar/events", data=form, headers=HTMX).status_code == 200
    assert stored_rule() == "RRULE:FREQ=MONTHLY;BYMONTHDAY=14;UNTIL=20271014"


BAD_SERIES = [
    ("until", {"ends": "until", "until": "2026-10-04"}),
    ("until", {"ends": "until", "until": ""}),
    ("until", {"ends": "until", "until": "2026-02-30"}),
    ("count", {"ends": "count", "count": "0"}),
    ("count", {"ends": "count", "count": "731"}),
    ("count", {"ends": "count", "count": "twice"}),
    ("count", {"ends": "count", "count": ""}),
    ("weekdays", {"weekdays": ["TU", "TH"]}),
    ("weekdays", {"weekdays": ["XX"]}),
    ("repeat", {"repeat": "monthly_last"}),
    ("repeat", {"repeat": "yearly"}),
    ("repeat", {"repeat": "custom"}),
    ("ends", {"ends": "sometimes"}),
]


@pytest.mark.parametrize(("field", "changes"), BAD_SERIES)
def test_a_bad_series_is_a_400_with_the_message_beside_the_field(
    client, coordinator, field, changes
):
    response = client.post("/calendar/events", data=series_form(**changes), headers=HTMX)
    assert response.status_code == 400
    assert list(field_errors(response.text)) == [field], field_errors(response.text)
    assert events() == []


def test_an_end_before_the_start_says_so(client, coordinator):
    form = series_form(ends="until", until="2026-10-01")
    response = client.post("/calendar/events", data=form, headers=HTMX)
    assert field_errors(response.text)["until"] == ["The series cannot end before its first day."]


# The week view


def test_a_series_shows_each_occurrence_with_a_marker_and_its_own_link(client, coordinator):
    master = weekly(coordinator, recurrence="RRULE:FREQ=DAILY;COUNT=3")
    page = client.get(WEEK).text
    pieces = items_for(page, master.id)
    assert [p["data-day"] for p in pieces] == ["2026-10-05", "2026-10-06", "2026-10-07"]
    assert pieces[1]["hx-get"] == occurrence_url(master, MONDAY_NINE + timedelta(days=1), "/edit")
    assert page.count("↻") == 6  # three blocks and three agenda lines
    assert client.get("/calendar?week=2026-10-12").text.count("↻") == 0


@pytest.mark.parametrize("zone_name", ["Australia/Sydney", "Australia/Brisbane"])
def test_a_nine_am_weekly_stays_at_nine_either_side_of_the_dst_start(
    client, coordinator_in, zone_name
):
    viewer = coordinator_in(zone_name)
    # Monday 28 September 2026, 9:00 where it happens (Sydney: before daylight saving, +10).
    master = factories.make_event(
        viewer,
        "Check-in",
        datetime(2026, 9, 27, 23, tzinfo=UTC),
        time_zone=zone_name,
        recurrence=WEEKLY,
    )
    db.session.commit()
    before = items_for(client.get("/calendar?week=2026-09-28").text, master.id)
    after = items_for(client.get(WEEK).text, master.id)
    assert [hour_at(p) for p in before + after] == [9, 9]
    expected_utc_hour = 22 if zone_name == "Australia/Sydney" else 23
    assert after[0]["hx-get"].endswith(f"/occurrences/20261004T{expected_utc_hour}0000Z/edit")


def test_a_moved_and_a_cancelled_occurrence_show_as_they_are(client, coordinator):
    master = weekly(coordinator, recurrence="RRULE:FREQ=DAILY;COUNT=5")
    tuesday, wednesday = MONDAY_NINE + timedelta(days=1), MONDAY_NINE + timedelta(days=2)
    moved = factories.make_event(
        coordinator,
        "Check-in (moved)",
        datetime(2026, 10, 8, 4, tzinfo=UTC),
        series_id=master.id,
        original_start_at=tuesday,
    )
    factories.make_event(
        coordinator,
        "Check-in",
        wednesday,
        series_id=master.id,
        original_start_at=wednesday,
        deleted_at=datetime(2026, 10, 1, tzinfo=UTC),
        deleted_by="portal",
    )
    db.session.commit()
    page = client.get(WEEK).text
    assert [p["data-day"] for p in items_for(page, master.id)] == [
        "2026-10-05",
        "2026-10-08",
        "2026-10-09",
    ]
    [block] = items_for(page, moved.id)
    assert block["data-day"] == "2026-10-08" and hour_at(block) == 15
    assert block["hx-get"] == occurrence_url(master, tuesday, "/edit")
    assert "Check-in (moved)" in page and len(grid_items(page)) == 4


def test_an_all_day_monthly_report_due_shows_on_the_14th(client, coordinator):
    due = factories.make_all_day_event(
        coordinator,
        "Progress report due",
        date(2026, 9, 14),
        recurrence="RRULE:FREQ=MONTHLY;BYMONTHDAY=14",
    )
    db.session.commit()
    [chip] = items_for(client.get("/calendar?week=2026-10-14").text, due.id)
    assert chip["data-day"] == "2026-10-14"
    assert chip["hx-get"] == f"/calendar/events/{due.id}/occurrences/20261014/edit"


def test_series_and_their_exceptions_load_in_a_fixed_number_of_queries(client, coordinator):
    made: list[int] = []

    def queries_for_week(count: int) -> int:
        for n in range(count):
            made.append(n)
            person = factories.make_participant(coordinator.business_id, name=f"P{n}")
            # The series' occurrence in the week is at 9 + n o'clock; it began n weeks before,
            # at the same wall-clock time (aware arithmetic in Sydney keeps it across DST).
            original = MONDAY_NINE + timedelta(hours=n)
            local = original.astimezone(ZoneInfo("Australia/Sydney")) - timedelta(weeks=n)
            master = factories.make_event(
                coordinator,
                f"Series {n}",
                local.astimezone(UTC),
                recurrence=WEEKLY,
                participant=person,
            )
            factories.make_event(
                coordinator,
                f"Moved {n}",
                original + timedelta(days=1),
                series_id=master.id,
                original_start_at=original,
            )
        db.session.commit()
        with recorded_statements() as statements:
            page = client.get(WEEK).text
        assert page.count("Moved ") == 2 * len(made)  # block and agenda line
        return len(statements)

    assert queries_for_week(2) == queries_for_week(8)
