"""The card lists the Google events a pull had to leave out, with their titles and why."""

from __future__ import annotations

from html import unescape

from portal.extensions import db
from portal.models import SyncLog
from tests.integrations.test_google_card import card, make_connection


def skipped(connection, title: str, reason: str = "its time cannot be read", **fields) -> None:
    calendar_id = fields.pop("calendar_id", connection.calendar_id)
    db.session.add(
        SyncLog(
            connection_id=connection.id,
            user_id=connection.user_id,
            kind="error",
            direction="from_google",
            outcome="skipped",
            message=f"“{title}” could not be brought in from Google: {reason}",
            detail={"title": title, "reason": reason, "calendar_id": calendar_id},
            **fields,
        )
    )
    db.session.commit()


def test_the_card_names_each_event_left_out_and_why(coordinator, client):
    connection = make_connection(coordinator)
    skipped(connection, "Old import", google_event_id="a1")
    skipped(connection, "Board meeting", "it clashes with an event", google_event_id="a2")
    html = unescape(card(client))
    assert "2 Google events could not be brought in:" in html
    assert "“Old import” — its time cannot be read" in html
    assert "“Board meeting” — it clashes with an event" in html
    assert "Everything else syncs as usual." in html


def test_one_event_left_out_is_said_in_the_singular(coordinator, client):
    skipped(make_connection(coordinator), "Old import", google_event_id="a1")
    assert "1 Google event could not be brought in:" in unescape(card(client))


def test_events_that_came_in_since_or_belong_to_another_calendar_are_not_listed(
    coordinator, client
):
    connection = make_connection(coordinator)
    skipped(connection, "Came in later", google_event_id="a1", reviewed=True)
    skipped(connection, "Old calendar's", google_event_id="a2", calendar_id="old@example.com")
    assert "could not be brought in:" not in card(client)


def test_a_long_list_shows_five_and_says_how_many_more(coordinator, client):
    connection = make_connection(coordinator)
    for number in range(7):
        skipped(connection, f"Import {number}", google_event_id=f"id{number}")
    html = unescape(card(client))
    assert "7 Google events could not be brought in:" in html
    assert html.count("— its time cannot be read") == 5 and "and 2 more" in html
