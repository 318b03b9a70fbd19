"""The week view: the right events, on the right days, at the right hours for the viewer."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from portal.calendar.timeutil import today_in
from portal.extensions import db
from portal.models import Event
from tests import factories
from tests.calendar.pages import HTMX, grid_items, items_for
from tests.support.sql import recorded_statements

WEEK = "/calendar?week=2026-10-07"  # Monday 5 – Sunday 11 October 2026


def placement(item: dict[str, str]) -> dict[str, float]:
    """The block's --top, --height, --left and --width, in percent."""
    parts = (part.split(":") for part in item["style"].split(";") if part.strip())
    return {name.strip().lstrip("-"): float(value) for name, value in parts}


def hour_at(item: dict[str, str]) -> float:
    return round(placement(item)["top"] * 24 / 100, 2)


def test_the_week_runs_monday_to_sunday_around_any_date_in_it(client, coordinator):
    page = client.get("/calendar?week=2026-10-10").text
    assert "5 – 11 October 2026" in page
    assert 'week=2026-09-28"' in page and 'week=2026-10-12"' in page


def test_a_week_across_months_and_years_is_titled_in_full(client, coordinator):
    assert "28 September – 4 October 2026" in client.get("/calendar?week=2026-10-01").text
    assert "28 December 2026 – 3 January 2027" in client.get("/calendar?week=2027-01-01").text


@pytest.mark.parametrize("week", ["garbage", "2026-02-30", "0001-01-01", "9999-12-31", ""])
def test_a_bad_week_shows_this_week_instead_of_failing(client, coordinator, week):
    response = client.get(f"/calendar?week={week}")
    assert response.status_code == 200
    assert 'id="week"' in response.text


def test_an_event_shows_in_the_grid_and_in_the_agenda(client, coordinator):
    jordan = factories.make_participant(coordinator.business_id, name="Jordan Lee")
    visit = factories.make_event(
        coordinator, "Home visit", datetime(2026, 10, 4, 22, tzinfo=UTC), participant=jordan
    )
    db.session.commit()
    page = client.get(WEEK).text
    [block] = items_for(page, visit.id)
    assert block["data-day"] == "2026-10-05" and hour_at(block) == 9
    assert f'data-agenda-event-id="{visit.id}"' in page
    assert "Monday 5 October" in page and "9:00 am – 10:00 am" in page and "Jordan Lee" in page


def test_the_agenda_lists_the_week_in_order_grouped_by_day(client, coordinator):
    later = factories.make_event(
        coordinator, "Case conference", datetime(2026, 10, 6, 4, tzinfo=UTC)
    )
    earlier = factories.make_event(
        coordinator, "Phone check-in", datetime(2026, 10, 5, 23, tzinfo=UTC)
    )
    report = factories.make_all_day_event(coordinator, "Progress report due", date(2026, 10, 6))
    db.session.commit()
    page = client.get(WEEK).text
    positions = [page.index(f'data-agenda-event-id="{e.id}"') for e in (report, earlier, later)]
    assert positions == sorted(positions)
    assert page.index("Tuesday 6 October") < positions[0]


def test_an_event_over_midnight_shows_on_both_days(client, coordinator):
    # 10 pm Tuesday to 2 am Wednesday, Sydney time.
    night = factories.make_event(
        coordinator, "Overnight respite check", datetime(2026, 10, 6, 11, tzinfo=UTC), minutes=240
    )
    db.session.commit()
    pieces = items_for(client.get(WEEK).text, night.id)
    assert [(p["data-day"], hour_at(p)) for p in pieces] == [("2026-10-06", 22), ("2026-10-07", 0)]


def test_an_event_over_several_days_shows_on_each_day(client, coordinator):
    conference = factories.make_event(
        coordinator, "NDIS conference", datetime(2026, 10, 5, 22, tzinfo=UTC), minutes=3 * 24 * 60
    )
    camp = factories.make_all_day_event(coordinator, "Camp week", date(2026, 10, 10), days=4)
    db.session.commit()
    page = client.get(WEEK).text
    assert [p["data-day"] for p in items_for(page, conference.id)] == [
        "2026-10-06", "2026-10-07", "2026-10-08", "2026-10-09",
    ]  # fmt: skip
    assert [p["data-day"] for p in items_for(page, camp.id)] == ["2026-10-10", "2026-10-11"]
    assert "All day (day 1 of 4)" in page


def test_deleted_events_are_hidden_and_google_deletions_stay_in_the_database(client, coordinator):
    now = datetime(2026, 10, 1, tzinfo=UTC)
    factories.make_event(coordinator, "Deleted here", deleted_at=now, deleted_by="portal")
    gone = factories.make_event(
        coordinator, "Deleted in Google", datetime(2026, 10, 5, 1, tzinfo=UTC),
        deleted_at=now, deleted_by="google",
    )  # fmt: skip
    half_applied = factories.make_event(
        coordinator,
        "Google said deleted",
        datetime(2026, 10, 5, 2, tzinfo=UTC),
        deleted_by="google",
    )
    db.session.commit()
    page = client.get(WEEK).text
    assert grid_items(page) == []
    assert "Deleted in Google" not in page and "Google said deleted" not in page
    assert db.session.get(Event, gone.id) is not None
    assert db.session.get(Event, half_applied.id) is not None


def test_cancelled_events_stay_on_the_calendar_struck_through(client, coordinator):
    cancelled = factories.make_event(
        coordinator, "Cancelled visit", datetime(2026, 10, 5, 1, tzinfo=UTC),
        status="cancelled", cancel_reason="Participant in hospital",
    )  # fmt: skip
    db.session.commit()
    [block] = items_for(client.get(WEEK).text, cancelled.id)
    assert "is-cancelled" in block["class"].split()


def test_only_the_coordinators_own_events_are_shown(client, coordinator, other_business_user):
    colleague = factories.make_user(business=coordinator.business, email="colleague@example.com")
    factories.make_event(colleague, "Colleague's visit", datetime(2026, 10, 5, 1, tzinfo=UTC))
    factories.make_event(
        other_business_user, "Other practice", datetime(2026, 10, 5, 1, tzinfo=UTC)
    )
    mine = factories.make_event(coordinator, "My visit", datetime(2026, 10, 5, 1, tzinfo=UTC))
    db.session.commit()
    assert [i["data-event-id"] for i in grid_items(client.get(WEEK).text)] == [str(mine.id)]


def test_a_brisbane_coordinator_sees_a_sydney_appointment_at_the_brisbane_hour(
    client, coordinator_in
):
    viewer = coordinator_in("Australia/Brisbane")
    # 9:00 in Sydney on Monday 5 October 2026 (daylight time) is 8:00 in Brisbane.
    sydney = factories.make_event(
        viewer, "Provider meeting in Sydney", datetime(2026, 10, 4, 22, tzinfo=UTC),
        time_zone="Australia/Sydney",
    )  # fmt: skip
    db.session.commit()
    page = client.get(WEEK).text
    [block] = items_for(page, sydney.id)
    assert block["data-day"] == "2026-10-05" and hour_at(block) == 8
    assert "8:00 am – 9:00 am (9:00 am Sydney time)" in page
    assert "Times in Brisbane" in page and "AEST" not in page


def test_an_adelaide_coordinator_sees_the_half_hour(client, coordinator_in):
    viewer = coordinator_in("Australia/Adelaide")
    sydney = factories.make_event(
        viewer, "Call", datetime(2026, 10, 4, 22, tzinfo=UTC), time_zone="Australia/Sydney"
    )
    db.session.commit()
    [block] = items_for(client.get(WEEK).text, sydney.id)
    assert hour_at(block) == 8.5


@pytest.mark.parametrize("zone_name", ["Australia/Brisbane", "Australia/Perth", "Pacific/Honolulu"])
def test_all_day_events_keep_their_dates_whatever_the_viewers_zone(
    client, coordinator_in, zone_name
):
    viewer = coordinator_in(zone_name)
    due = factories.make_all_day_event(viewer, "Plan review report due", date(2026, 10, 5))
    db.session.commit()
    assert [p["data-day"] for p in items_for(client.get(WEEK).text, due.id)] == ["2026-10-05"]


def test_the_hour_grid_follows_the_viewer_across_the_dst_change(client, coordinator):
    # 9:00 Sydney on Saturday (standard time) and on Monday (daylight time) both sit at 9.
    saturday = factories.make_event(coordinator, "Before", datetime(2026, 10, 2, 23, tzinfo=UTC))
    monday = factories.make_event(coordinator, "After", datetime(2026, 10, 4, 22, tzinfo=UTC))
    db.session.commit()
    page = client.get("/calendar?week=2026-10-01").text + client.get(WEEK).text
    assert hour_at(items_for(page, saturday.id)[0]) == 9
    assert hour_at(items_for(page, monday.id)[0]) == 9


def test_overlapping_events_sit_side_by_side(client, coordinator):
    first = factories.make_event(coordinator, "Visit", datetime(2026, 10, 4, 22, tzinfo=UTC))
    second = factories.make_event(coordinator, "Call", datetime(2026, 10, 4, 22, 30, tzinfo=UTC))
    db.session.commit()
    page = client.get(WEEK).text
    left, right = (placement(items_for(page, e.id)[0]) for e in (first, second))
    assert (left["left"], left["width"]) == (0, 50) and (right["left"], right["width"]) == (50, 50)


def test_htmx_gets_the_week_region_alone_and_a_browser_gets_the_page(client, coordinator):
    fragment = client.get(WEEK, headers=HTMX).text
    assert 'id="week"' in fragment and "<html" not in fragment
    page = client.get(WEEK).text
    assert "<html" in page and "css/calendar.css" in page and 'id="week"' in page


def test_the_week_loads_participants_in_a_fixed_number_of_queries(client, coordinator, app):
    def queries_for_week(count: int) -> int:
        for n in range(count):
            person = factories.make_participant(coordinator.business_id, name=f"P{n}")
            factories.make_event(
                coordinator, f"Visit {n}", datetime(2026, 10, 5, n, tzinfo=UTC), participant=person
            )
        db.session.commit()
        with recorded_statements() as statements:
            assert client.get(WEEK).status_code == 200
        return len(statements)

    assert queries_for_week(2) == queries_for_week(10)


def test_the_calendar_needs_a_login(client, app):
    response = client.get("/calendar")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_event_in_a_zone_this_machine_does_not_know_still_shows(client, coordinator):
    odd = factories.make_event(
        coordinator, "From Google", datetime(2026, 10, 5, 1, tzinfo=UTC), time_zone="Mars/Base"
    )
    db.session.commit()
    assert len(items_for(client.get(WEEK).text, odd.id)) == 1
    form = client.get(f"/calendar/events/{odd.id}/edit", headers=HTMX)
    assert form.status_code == 200 and 'value="Mars/Base"' in form.text


def new_event_button(page: str) -> str:
    """Where the header's New event button opens the form (the hour slots have links too)."""
    return re.search(r'<button[^>]*hx-get="([^"]*)"[^>]*>New event</button>', page).group(1)


def test_new_event_in_another_week_starts_on_that_mondays_morning(client, coordinator):
    # Five weeks from today, so never today's week (where New event starts at the next hour).
    wednesday = today_in(coordinator.time_zone) + timedelta(weeks=5)
    wednesday += timedelta(days=2 - wednesday.weekday())
    page = client.get(f"/calendar?week={wednesday.isoformat()}").text
    monday = wednesday - timedelta(days=2)
    assert new_event_button(page) == f"/calendar/events/new?start={monday.isoformat()}T09:00"


def test_new_event_in_this_week_starts_at_the_next_hour(client, coordinator):
    assert new_event_button(client.get("/calendar").text) == "/calendar/events/new"


def test_the_week_never_reads_notes_it_does_not_show(client, coordinator):
    # Case notes can be pages long; the week shows titles, times, people and places.
    factories.make_event(
        coordinator, "Home visit", datetime(2026, 10, 5, 23, tzinfo=UTC), notes="Long case notes"
    )
    factories.make_event(
        coordinator,
        "Weekly check-in",
        datetime(2026, 10, 4, 22, tzinfo=UTC),
        time_zone="Australia/Sydney",
        recurrence="RRULE:FREQ=WEEKLY;BYDAY=MO",
        internal_notes="Private to the team",
    )
    db.session.commit()
    with recorded_statements() as statements:
        page = client.get(WEEK).text
    assert "Home visit" in page and "Weekly check-in" in page
    assert not [s for s in statements if "notes" in s], statements
