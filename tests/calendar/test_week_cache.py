"""Rendered week regions: drawn once per fingerprint, served again while the week is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.calendar.week_cache import RenderedWeeks, rendered_weeks
from portal.extensions import db
from tests import factories
from tests.calendar.pages import HTMX
from tests.calendar.test_event_routes import event_form
from tests.support.sql import recorded_statements

WEEK = "/calendar?week=2026-10-05"
MONDAY_9AM_SYDNEY = datetime(2026, 10, 4, 22, tzinfo=UTC)


def drawn(cache: RenderedWeeks, key: str, html: str) -> tuple[str, bool]:
    """(the region under key, whether it was drawn now)."""
    calls = []
    region = cache.region(key, lambda: calls.append(key) or html)
    return region, bool(calls)


def test_a_region_is_drawn_once_and_the_least_recently_used_goes_first():
    cache = RenderedWeeks(max_bytes=10)
    assert drawn(cache, "a", "aaaa") == ("aaaa", True)
    assert drawn(cache, "b", "bbbb") == ("bbbb", True)
    assert drawn(cache, "a", "other") == ("aaaa", False)
    # Over ten characters: "b", used longest ago, makes room.
    assert drawn(cache, "c", "cccc") == ("cccc", True)
    assert (len(cache), cache.size) == (2, 8)
    assert drawn(cache, "b", "bbbb") == ("bbbb", True)
    assert drawn(cache, "c", "cccc") == ("cccc", False)


def test_a_region_larger_than_the_whole_cache_is_served_but_not_kept():
    cache = RenderedWeeks(max_bytes=3)
    assert drawn(cache, "a", "aaaa") == ("aaaa", True)
    assert drawn(cache, "a", "aaaa") == ("aaaa", True)
    assert len(cache) == 0


def statements_for(client, url: str, **kwargs) -> tuple[str, int]:
    """(the response text, SQL statements it cost)."""
    with recorded_statements() as statements:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return response.text, len(statements)


def test_an_unchanged_week_is_served_again_without_reading_its_events(client, coordinator):
    jordan = factories.make_participant(coordinator.business_id, name="Jordan Lee")
    factories.make_event(coordinator, "Home visit", MONDAY_9AM_SYDNEY, participant=jordan)
    db.session.commit()
    first, drawing = statements_for(client, WEEK)
    again, serving = statements_for(client, WEEK)
    # The whole page around it is drawn each time; the region inside is the same one.
    assert again == first and "Jordan Lee" in again
    # The fingerprint, the banner's connection and (an admin's page) the team for the picker:
    # no events, no participants.
    assert serving == 3 < drawing
    region, _ = statements_for(client, WEEK, headers=HTMX)
    assert region in first
    assert rendered_weeks().hits == 2


def test_a_change_is_drawn_at_once_whoever_made_it(client, coordinator):
    visit = factories.make_event(coordinator, "Home visit", MONDAY_9AM_SYDNEY)
    jordan = factories.make_participant(coordinator.business_id, name="Jordan Lee")
    db.session.commit()
    assert "Home visit" in client.get(WEEK, headers=HTMX).text
    form = event_form(title="Home visit (moved room)", participant_id=str(jordan.id))
    assert client.post(f"/calendar/events/{visit.id}", data=form, headers=HTMX).status_code == 200
    assert "Home visit (moved room)" in client.get(WEEK, headers=HTMX).text
    jordan.name = "Jordan Lee-Smith"
    db.session.commit()
    assert "Jordan Lee-Smith" in client.get(WEEK, headers=HTMX).text


def test_each_coordinator_is_served_their_own_week(client, coordinator, auth):
    colleague = factories.make_user(coordinator.business, email="sam@example.com")
    factories.make_event(colleague, "Colleague visit", MONDAY_9AM_SYDNEY)
    db.session.commit()
    assert "Colleague visit" not in client.get(WEEK).text
    auth.logout()
    assert auth.login(colleague.email).status_code == 302
    assert "Colleague visit" in client.get(WEEK).text
    auth.logout()
    assert auth.login(coordinator.email).status_code == 302
    assert "Colleague visit" not in client.get(WEEK).text
