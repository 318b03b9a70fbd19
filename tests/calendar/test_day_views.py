"""The day and three-day views, the hour the grid opens at, and what a card shows of short and
Google events."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from portal.calendar.layout import Span, build_week, view_span
from portal.calendar.timeutil import to_utc
from portal.extensions import db
from tests import factories
from tests.calendar.pages import HTMX, grid_items

ZONE = "Australia/Brisbane"  # no daylight saving: the hours below are the hours shown
WEDNESDAY = date(2031, 3, 5)  # in the week Monday 3 – Sunday 9 March 2031
TODAY = date(2031, 6, 18)  # any day far from the views asked for


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Brisbane wall-clock time, as UTC."""
    return to_utc(datetime(day.year, day.month, day.day, hour, minute), ZONE)


@pytest.fixture
def brisbane(coordinator_in):
    """A coordinator in Brisbane, logged in."""
    return coordinator_in(ZONE)


def region(client, query: str) -> str:
    """The calendar region (as htmx reloads it) for a query string."""
    response = client.get(f"/calendar?{query}", headers=HTMX)
    assert response.status_code == 200, response.text
    return response.text


# Which days each view covers


@pytest.mark.parametrize(
    ("view", "value", "expected"),
    [
        ("day", "2031-03-05", Span("day", WEDNESDAY, 1)),
        ("3day", "2031-03-05", Span("3day", WEDNESDAY, 3)),
        ("week", "2031-03-05", Span("week", date(2031, 3, 3), 7)),
        (None, "2031-03-05", Span("week", date(2031, 3, 3), 7)),
        ("month", "2031-03-05", Span("week", date(2031, 3, 3), 7)),
        ("day", None, Span("day", TODAY, 1)),
        ("day", "not a date", Span("day", TODAY, 1)),
        ("3day", "0001-01-01", Span("3day", TODAY, 3)),
    ],
)
def test_a_view_covers_its_days_from_the_date_asked_for(view, value, expected):
    assert view_span(view, value, TODAY) == expected


@pytest.mark.parametrize(
    ("first", "span", "view", "title", "previous", "following"),
    [
        (WEDNESDAY, 1, "day", "Wednesday 5 March 2031", date(2031, 3, 4), date(2031, 3, 6)),
        (
            date(2031, 3, 30),
            3,
            "3day",
            "30 March – 1 April 2031",
            date(2031, 3, 27),
            date(2031, 4, 2),
        ),
        (
            date(2031, 12, 31),
            3,
            "3day",
            "31 December 2031 – 2 January 2032",
            date(2031, 12, 28),
            date(2032, 1, 3),
        ),
        (date(2031, 3, 3), 7, "week", "3 – 9 March 2031", date(2031, 2, 24), date(2031, 3, 10)),
    ],
)
def test_a_view_is_titled_for_its_days_and_steps_by_its_span(
    first, span, view, title, previous, following
):
    shown = build_week([], first, ZONE, TODAY, span, view)
    assert [day.date for day in shown.days] == [first + timedelta(days=i) for i in range(span)]
    assert (shown.title, shown.previous, shown.next) == (title, previous, following)


def test_the_day_view_shows_that_day_only_and_links_the_days_around_it(client, brisbane):
    factories.make_event(brisbane, "Tuesday visit", at(WEDNESDAY - timedelta(days=1), 10))
    wednesday = factories.make_event(brisbane, "Wednesday visit", at(WEDNESDAY, 10))
    factories.make_event(brisbane, "Thursday visit", at(WEDNESDAY + timedelta(days=1), 10))
    db.session.commit()
    html = region(client, "view=day&date=2031-03-05")
    assert [item["data-event-id"] for item in grid_items(html)] == [str(wednesday.id)]
    assert "Wednesday 5 March 2031" in html and "Tuesday visit" not in html
    assert 'aria-label="Previous day"' in html and "view=day&amp;date=2031-03-04" in html
    assert 'aria-label="Next day"' in html and "view=day&amp;date=2031-03-06" in html
    # The other views open on the same day (the week on its Monday's week).
    assert "view=3day&amp;date=2031-03-05" in html and "week=2031-03-05" in html
    assert "Nothing booked" not in html


def test_three_days_across_two_weeks_hold_each_day_s_events(client, brisbane):
    sunday, monday = date(2031, 3, 9), date(2031, 3, 10)
    on_sunday = factories.make_event(brisbane, "Sunday visit", at(sunday, 15))
    on_monday = factories.make_event(brisbane, "Monday visit", at(monday, 9))
    factories.make_event(brisbane, "Tuesday visit", at(monday + timedelta(days=1), 9))
    db.session.commit()
    html = region(client, "view=3day&date=2031-03-08")
    days = {item["data-event-id"]: item["data-day"] for item in grid_items(html)}
    assert days == {str(on_sunday.id): "2031-03-09", str(on_monday.id): "2031-03-10"}
    assert "8 – 10 March 2031" in html and "view=3day&amp;date=2031-03-11" in html
    assert html.count('class="wk-dayhead') == 3


def test_an_empty_day_says_so_in_its_own_words(client, brisbane):
    html = region(client, "view=day&date=2031-03-05")
    assert "Nothing booked this day." in html
    assert "Nothing booked these three days." in region(client, "view=3day&date=2031-03-05")


def test_a_bare_calendar_page_offers_phones_the_day_and_a_chosen_view_does_not(client, brisbane):
    assert 'data-phone-view="/calendar?view=day"' in client.get("/calendar").text
    for query in ("week=2031-03-05", "view=week", "date=2031-03-05"):
        assert "data-phone-view" not in client.get(f"/calendar?{query}").text
    assert "data-phone-view" not in client.get("/calendar", headers=HTMX).text


# Live updates in the day views


def seen_and_poll(html: str) -> tuple[str, str]:
    """The fingerprint a region was drawn with, and its poller's whole query."""
    poller = re.search(r'<div id="week-poller"[^>]*hx-get="([^"]+)"', html).group(1)
    query = poller.split("?", 1)[1].replace("&amp;", "&")
    return re.search(r"seen=([0-9a-f]+)", query).group(1), query


def poll(client, query: str):
    """One tick of the poller (without its ticket, so the route itself answers)."""
    query = re.sub(r"&?poll=[^&]*", "", query)
    return client.get(f"/calendar/fingerprint?{query}", headers=HTMX)


def test_the_day_view_s_poller_watches_that_day(client, brisbane):
    thursday = factories.make_event(brisbane, "Thursday visit", at(WEDNESDAY + timedelta(1), 9))
    wednesday = factories.make_event(brisbane, "Wednesday visit", at(WEDNESDAY, 9))
    db.session.commit()
    seen, query = seen_and_poll(region(client, "view=day&date=2031-03-05"))
    assert "view=day" in query and "week=2031-03-05" in query
    assert poll(client, query).status_code == 204
    # The week from the same Monday is another view: its fingerprint is another one.
    week_seen, _ = seen_and_poll(region(client, "week=2031-03-05"))
    assert week_seen != seen
    # A change on another day of the week leaves the day alone; one on the day reloads it.
    thursday.title = "Thursday visit (moved)"
    thursday.version += 1
    db.session.commit()
    assert poll(client, query).status_code == 204
    wednesday.title = "Wednesday visit (moved)"
    wednesday.version += 1
    db.session.commit()
    changed = poll(client, query)
    assert changed.status_code == 200 and changed.headers["HX-Trigger"] == "calendarChanged"
    assert "Wednesday visit (moved)" in region(client, "view=day&date=2031-03-05")


def test_a_day_view_region_reloads_itself_as_the_same_view(client, brisbane):
    html = region(client, "view=3day&date=2031-03-05")
    section = re.search(r'<section id="week"[^>]*>', html).group(0)
    assert 'hx-get="/calendar?view=3day&amp;date=2031-03-05"' in section
    assert 'data-view="3day"' in section and 'data-first="2031-03-05"' in section


# Where the grid opens


def scroll_hour(html: str) -> int:
    return int(re.search(r'data-scroll-hour="(\d+)"', html).group(1))


def test_the_grid_opens_at_seven_or_at_an_earlier_first_start(client, brisbane):
    assert scroll_hour(region(client, "week=2031-03-05")) == 7
    factories.make_event(brisbane, "Late visit", at(WEDNESDAY, 10))
    db.session.commit()
    assert scroll_hour(region(client, "week=2031-03-05")) == 7
    factories.make_event(brisbane, "Early flight", at(date(2031, 3, 7), 5, 30))
    db.session.commit()
    assert scroll_hour(region(client, "week=2031-03-05")) == 5
    # The day view of Wednesday does not hold Friday's early start.
    assert scroll_hour(region(client, "view=day&date=2031-03-05")) == 7


def test_an_event_continued_from_the_day_before_does_not_open_the_grid_at_midnight(
    client, brisbane
):
    overnight = at(WEDNESDAY - timedelta(days=1), 22)
    factories.make_event(brisbane, "Overnight respite check", overnight, minutes=5 * 60)
    db.session.commit()
    html = region(client, "view=day&date=2031-03-05")
    [piece] = grid_items(html)
    assert piece["data-day"] == "2031-03-05" and scroll_hour(html) == 7
    factories.make_event(brisbane, "Very early call", at(WEDNESDAY, 0, 15), minutes=15)
    db.session.commit()
    assert scroll_hour(region(client, "view=day&date=2031-03-05")) == 0


# What the cards show


def test_a_short_event_is_one_line_with_its_start_and_keeps_the_rest_for_focus(client, brisbane):
    jordan = factories.make_participant(brisbane.business_id, name="Jordan Lee")
    call = factories.make_event(
        brisbane, "Phone check-in", at(WEDNESDAY, 10), minutes=30, participant=jordan
    )
    visit = factories.make_event(brisbane, "Home visit", at(WEDNESDAY, 13), minutes=60)
    db.session.commit()
    html = region(client, "view=day&date=2031-03-05")
    short = re.search(rf'<button[^>]*data-event-id="{call.id}".*?</button>', html, re.S).group(0)
    assert "is-short" in short and '<span class="wk-event-start">10:00 am</span>' in short
    # Still in the button (its accessible name), shown when hover or focus opens the card.
    assert "10:00 am – 10:30 am" in short and "Jordan Lee" in short
    whole = re.search(rf'<button[^>]*data-event-id="{visit.id}".*?</button>', html, re.S).group(0)
    assert "is-short" not in whole and "wk-event-start" not in whole


def test_an_ordinary_google_event_is_marked_as_from_google(client, brisbane):
    mine = factories.make_event(brisbane, "Home visit", at(WEDNESDAY, 9))
    theirs = factories.make_event(brisbane, "Dentist", at(WEDNESDAY, 13), origin="google")
    invited = factories.make_event(
        brisbane, "Plan review", at(WEDNESDAY, 15), origin="google", google_kind="invitation"
    )
    db.session.commit()
    html = region(client, "view=day&date=2031-03-05")

    def card(event) -> str:
        pattern = rf'<button[^>]*data-event-id="{event.id}".*?</button>'
        return re.search(pattern, html, re.S).group(0)

    assert "source-google" in card(theirs) and ">from </span>Google" in card(theirs)
    assert "source-google" not in card(mine)
    # An invitation says what it is instead (and who organises it, in the dialog).
    assert "source-google" not in card(invited) and "Invitation" in card(invited)
    # The agenda names where it came from and gives it no made-up type.
    agenda = html.split('class="agenda"', 1)[1]
    dentist = re.search(rf'data-agenda-event-id="{theirs.id}".*?</li>', agenda, re.S).group(0)
    assert "From Google" in dentist and "Other" not in dentist
