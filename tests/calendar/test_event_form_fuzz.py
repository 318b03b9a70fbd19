"""Whatever arrives in the event form, the answer is a saved event or a 400, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from tests import factories
from tests.calendar.pages import HTMX

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def either(*plausible: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(plausible), st.text(max_size=40))


FORMS = st.fixed_dictionaries(
    {
        "title": either("Home visit", "", "x" * 201),
        "event_type": either("visit", "phone"),
        "participant_id": either("", "1", "-1", "99999999999999999999"),
        "all_day": either("y", "", "false"),
        "start": either(
            "2026-10-05T09:00", "2026-10-04T02:30", "2026-02-30T09:00", "9999-12-31T23:59"
        ),
        "end": either("2026-10-05T10:00", "2026-04-05T02:30", "0001-01-01T00:00"),
        "start_date": either("2026-10-05", "2026-02-30", "9999-12-31"),
        "end_date": either("2026-10-06", "0001-01-01", "2026-13-01"),
        "time_zone": either("Australia/Sydney", "Australia/Brisbane", "UTC", "../../etc/passwd"),
        "location": either("", "Zoom"),
        "notes": either("", "\x00"),
        "status": either("scheduled", "cancelled", "no_show"),
        "cancel_reason": either("", "Participant unwell"),
        "repeat": either(
            "none",
            "daily",
            "weekly",
            "fortnightly",
            "monthly_date",
            "monthly_weekday",
            "monthly_last",
            "custom",
        ),
        "weekdays": st.lists(either("MO", "TH", "SU"), max_size=3),
        "ends": either("never", "until", "count"),
        "until": either("2027-06-30", "2026-10-01", "2026-02-30", "9999-12-31"),
        "count": either("1", "730", "731", "0", "-1", "99999999999999999999", "1e3"),
        "scope": either("this", "following", "all"),
    }
)


@FUZZ
@given(form=FORMS)
def test_any_new_event_form_is_saved_or_refused_cleanly(client, coordinator, form):
    response = client.post("/calendar/events", data=form, headers=HTMX)
    assert response.status_code in (200, 400), response.text


@FUZZ
@given(form=FORMS)
def test_any_change_to_an_event_is_saved_or_refused_cleanly(client, coordinator, form):
    event = factories.make_event(coordinator)
    response = client.post(f"/calendar/events/{event.id}", data=form, headers=HTMX)
    assert response.status_code in (200, 400), response.text


@FUZZ
@given(form=FORMS, custom=st.booleans())
def test_any_change_to_an_occurrence_is_saved_or_refused_cleanly(client, coordinator, form, custom):
    rule = "RRULE:FREQ=YEARLY;BYMONTHDAY=5" if custom else "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=9"
    start = datetime(2026, 10, 4, 22, tzinfo=UTC)  # Monday 5 October 2026, 9:00 Sydney
    master = factories.make_event(coordinator, "Check-in", start, recurrence=rule)
    db.session.commit()
    url = f"/calendar/events/{master.id}/occurrences/20261011T220000Z"
    if custom:
        url = f"/calendar/events/{master.id}/occurrences/20261004T220000Z"
    response = client.post(url, data=form, headers=HTMX)
    assert response.status_code in (200, 400), response.text
    delete = client.post(url + "/delete", data={"scope": form["scope"]}, headers=HTMX)
    assert delete.status_code in (200, 400, 404), delete.text


@FUZZ
@given(week=st.text(max_size=30), start=st.text(max_size=30))
def test_any_week_or_slot_in_the_address_is_answered(client, coordinator, week, start):
    assert client.get("/calendar", query_string={"week": week}).status_code == 200
    query = {"start": start, "all_day": "1"}
    assert client.get("/calendar/events/new", query_string=query, headers=HTMX).status_code == 200
