"""What the week shows of each event: read once, escaped once, the same in grid and agenda."""

from __future__ import annotations

from datetime import UTC, timedelta

from portal.calendar.cards import Cards
from portal.calendar.recurrence import Window, expand
from portal.calendar.week_links import WeekLinks
from tests import factories
from tests.calendar.pages import HTMX, grid_items
from tests.calendar.recurrence_support import MONDAY_NINE, weekly


def test_a_card_holds_what_the_grid_and_agenda_show(app, coordinator):
    who = factories.make_participant(coordinator.business_id, name="Jordan <Lee>")
    event = factories.make_event(
        coordinator,
        "<b>Plan</b> review",
        event_type="reassessment",
        status="cancelled",
        participant_id=who.id,
        location="12 Example St",
    )
    with app.test_request_context():
        card = Cards(WeekLinks()).of(event)
    assert card.id == event.id
    assert card.classes == "type-reassessment is-cancelled"
    assert card.edit == f"/calendar/events/{event.id}/edit"
    assert str(card.title) == "&lt;b&gt;Plan&lt;/b&gt; review"
    assert (card.who, card.location, card.kind) == (
        "Jordan <Lee>",
        "12 Example St",
        "Plan reassessment",
    )
    assert (card.status, card.tone) == ("Cancelled", "bad")


def test_a_scheduled_one_off_has_no_badge_and_no_repeat_mark(app, coordinator):
    event = factories.make_event(coordinator, "Home visit")
    with app.test_request_context():
        card = Cards(WeekLinks()).of(event)
    assert (card.status, card.who, card.location) == ("", "", "")
    assert "↻" not in card.title


def test_an_occurrence_card_leads_to_its_own_form_and_is_made_once(app, coordinator):
    master = weekly(coordinator)
    start = MONDAY_NINE.astimezone(UTC)
    window = Window(start, start + timedelta(days=14), start.date(), start.date() + timedelta(14))
    first, second = expand(master, [], window)
    with app.test_request_context():
        cards = Cards(WeekLinks())
        assert cards.of(first) is cards.of(first)
        assert cards.of(first).edit != cards.of(second).edit
        assert cards.of(first).edit.endswith(f"/occurrences/{first.key}/edit")
        assert "↻" in cards.of(first).title


def test_items_open_in_the_modal_by_inheriting_its_target(client, coordinator):
    factories.make_event(coordinator, "Home visit")
    html = client.get("/calendar?week=2026-11-23", headers=HTMX).text
    [item] = grid_items(html)
    assert "hx-target" not in item
    assert '<div class="wk" hx-target="#modal" hx-swap="innerHTML">' in html
    assert 'class="agenda" aria-labelledby="agenda-title" hx-target="#modal"' in html
