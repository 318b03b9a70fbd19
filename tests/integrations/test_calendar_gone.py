"""The card and the banner when the synced calendar was deleted or unshared in Google."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from portal.calendar.operations import EventData, create_event
from portal.extensions import db
from portal.google.account.lost_calendar import lost_calendar_message
from portal.models.types import utcnow
from tests.integrations.test_google_card import POLL, card, make_connection

GONE = "was deleted or is no longer shared with you"


def gone_connection(user):
    connection = make_connection(user, state="calendar_gone", calendar_summary="Work")
    connection.last_error = lost_calendar_message(connection)
    connection.last_error_at = utcnow()
    db.session.commit()
    return connection


def add_events(user, count: int) -> None:
    start = utcnow().replace(microsecond=0) + timedelta(days=1)
    for number in range(count):
        data = EventData(
            title=f"Visit {number}",
            time_zone="Australia/Sydney",
            start_at=start,
            end_at=start + timedelta(hours=1),
        )
        create_event(user, data)
    db.session.commit()


def test_the_card_says_what_happened_and_offers_another_calendar(coordinator, client):
    gone_connection(coordinator)
    html = unescape(card(client))
    assert 'data-state="calendar_gone"' in html and "Calendar gone" in html
    assert f"Your Google calendar “Work” {GONE}" in html
    assert "Changes made here are kept and will go to the calendar you choose." in html
    assert 'id="google-choose-calendar"' in html and 'href="/google/calendar"' in html
    assert 'id="google-disconnect"' in html
    # Nothing that needs a calendar is offered, and nothing is under way.
    assert "Sync now" not in html and "privacy_level" not in html and POLL not in html


def test_the_card_counts_the_events_whose_changes_wait(coordinator, client):
    gone_connection(coordinator)
    add_events(coordinator, 2)
    assert "2 events changed here wait for the calendar you choose." in unescape(card(client))


def test_every_page_shows_the_banner_with_a_way_to_choose(coordinator, client):
    gone_connection(coordinator)
    page = unescape(client.get("/participants/").text)
    assert 'id="google-calendar-gone-banner"' in page and GONE in page
    assert "Choose another calendar" in page and 'id="google-reconnect-banner"' not in page


def test_the_picker_opens_for_a_lost_calendar_and_a_failure_is_a_message(coordinator, client):
    connection = gone_connection(coordinator)
    assert connection.may_choose_calendar and not connection.is_active
    # The card's tokens here are not real: listing the calendars cannot work, and says so.
    response = client.get("/google/calendar")
    assert response.status_code == 302
    card_page = unescape(client.get(response.headers["Location"]).text)
    assert "Coordinoter could not use its stored access to Google" in card_page
