"""The week view's links, built once per kind, lead exactly where url_for would."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from flask import url_for

from portal.calendar.recurrence import Window, expand
from portal.calendar.week_links import WeekLinks
from tests import factories
from tests.calendar.recurrence_support import MONDAY_NINE, weekly


def test_every_kind_of_link_matches_url_for(app, coordinator):
    master = weekly(coordinator)
    start = MONDAY_NINE.astimezone(UTC)
    window = Window(start, start + timedelta(days=21), start.date(), start.date() + timedelta(21))
    [first, *_] = expand(master, [], window)
    one_off = factories.make_event(coordinator, "Home visit", MONDAY_NINE)
    with app.test_request_context():
        links = WeekLinks()
        assert links.edit(master) == url_for("calendar.edit", event_id=master.id)
        assert links.edit(first) == url_for(
            "calendar.occurrence_form", event_id=master.id, key=first.key
        )
        assert links.new() == url_for("calendar.new")
        assert links.new("2031-03-03T09:00") == url_for("calendar.new", start="2031-03-03T09:00")
        assert links.new("2031-03-03", all_day=True) == url_for(
            "calendar.new", start="2031-03-03", all_day=1
        )
        slots = links.slots(date(2031, 3, 3), [(0, "12 am"), (13, "1 pm")])
        assert slots == [
            ("12 am", url_for("calendar.new", start="2031-03-03T00:00")),
            ("1 pm", url_for("calendar.new", start="2031-03-03T13:00")),
        ]
        assert "↻" in links.repeats(first) and links.repeats(one_off) == ""
