"""A weekly series' day follows the start date when nobody picked the days by hand."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Event
from tests.calendar.pages import HTMX, field_errors
from tests.calendar.test_event_routes import event_form

WEDNESDAY = {"start": "2026-10-07T09:00", "end": "2026-10-07T10:00"}


def series_form(**changes) -> dict[str, str]:
    """Weekly on Monday as the form opened, with the start moved to Wednesday 7 October."""
    return event_form(repeat="weekly", weekdays="MO", ends="never", **WEDNESDAY, **changes)


def rules() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Event.recurrence)))


def test_the_new_event_form_says_its_day_follows_the_start(client, coordinator):
    page = client.get("/calendar/events/new?start=2026-10-05T09:00", headers=HTMX).text
    assert 'name="weekdays_auto" type="hidden" value="1"' in page


def test_the_day_the_form_opened_on_follows_a_moved_start(client, coordinator):
    answer = client.post("/calendar/events", data=series_form(weekdays_auto="1"), headers=HTMX)
    assert answer.status_code == 200, field_errors(answer.text)
    assert rules() == ["RRULE:FREQ=WEEKLY;BYDAY=WE"]


def test_days_picked_by_hand_are_kept_and_checked(client, coordinator):
    answer = client.post("/calendar/events", data=series_form(weekdays_auto=""), headers=HTMX)
    assert answer.status_code == 400
    # (field_errors lists the message once per weekday box of the field)
    assert set(field_errors(answer.text)["weekdays"]) == {
        "The first day is a Wednesday: tick Wednesday too, or move the start to a chosen day."
    }
    assert rules() == []


def test_several_days_are_never_changed_for_the_coordinator(client, coordinator):
    form = series_form(weekdays_auto="1")
    form["weekdays"] = ["MO", "WE"]
    answer = client.post("/calendar/events", data=form, headers=HTMX)
    assert answer.status_code == 200
    assert rules() == ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE"]
