"""Creating, editing and deleting events through the htmx modal form."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Event
from tests import factories
from tests.calendar.pages import HTMX, field_errors, saved_day


def event_form(**changes) -> dict[str, str]:
    """A valid form for 9:00–10:00 on Monday 5 October 2026 in Sydney, with changes."""
    form = {
        "title": "Home visit",
        "event_type": "visit",
        "participant_id": "",
        "start": "2026-10-05T09:00",
        "end": "2026-10-05T10:00",
        "start_date": "2026-10-05",
        "end_date": "2026-10-05",
        "time_zone": "Australia/Sydney",
        "location": "12 Example St, Parramatta",
        "notes": "",
        "internal_notes": "",
        "status": "scheduled",
        "cancel_reason": "",
    }
    form.update(changes)
    return {name: value for name, value in form.items() if value is not None}


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


def only_event() -> Event:
    db.session.expire_all()
    return db.session.scalars(select(Event)).one()


# Creating


def test_creating_an_event_closes_the_modal_and_tells_the_week_to_reload(client, coordinator):
    response = client.post("/calendar/events", data=event_form(), headers=HTMX)
    assert response.status_code == 200 and response.text == ""
    assert saved_day(response) == "2026-10-05"  # 9 am in Sydney
    event = only_event()
    assert (event.owner_id, event.business_id) == (coordinator.id, coordinator.business_id)
    assert event.start_at == datetime(2026, 10, 4, 22, tzinfo=UTC)
    assert event.end_at == datetime(2026, 10, 4, 23, tzinfo=UTC)
    assert event.version == 1 and event.time_zone == "Australia/Sydney"


def test_without_htmx_creating_returns_to_the_events_week(client, coordinator):
    response = client.post("/calendar/events", data=event_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/calendar?week=2026-10-05")


@pytest.mark.parametrize(
    ("zone_name", "local", "expected"),
    [
        ("Australia/Sydney", "2026-10-03T09:00", datetime(2026, 10, 2, 23, tzinfo=UTC)),
        ("Australia/Sydney", "2026-10-05T09:00", datetime(2026, 10, 4, 22, tzinfo=UTC)),
        ("Australia/Brisbane", "2026-10-03T09:00", datetime(2026, 10, 2, 23, tzinfo=UTC)),
        ("Australia/Brisbane", "2026-10-05T09:00", datetime(2026, 10, 4, 23, tzinfo=UTC)),
        ("Australia/Sydney", "2026-04-04T09:00", datetime(2026, 4, 3, 22, tzinfo=UTC)),
        ("Australia/Sydney", "2026-04-06T09:00", datetime(2026, 4, 5, 23, tzinfo=UTC)),
        ("Australia/Brisbane", "2026-04-04T09:00", datetime(2026, 4, 3, 23, tzinfo=UTC)),
        ("Australia/Brisbane", "2026-04-06T09:00", datetime(2026, 4, 5, 23, tzinfo=UTC)),
        ("Australia/Adelaide", "2026-07-01T09:00", datetime(2026, 6, 30, 23, 30, tzinfo=UTC)),
        ("Australia/Adelaide", "2026-10-05T09:00", datetime(2026, 10, 4, 22, 30, tzinfo=UTC)),
    ],
)
def test_a_nine_am_appointment_is_stored_as_the_right_utc_instant(
    client, coordinator, zone_name, local, expected
):
    end = local.replace("T09:", "T10:")
    form = event_form(start=local, end=end, time_zone=zone_name)
    assert client.post("/calendar/events", data=form, headers=HTMX).status_code == 200
    assert only_event().start_at == expected


def test_any_iana_zone_is_accepted(client, coordinator):
    form = event_form(time_zone="Pacific/Auckland")
    assert client.post("/calendar/events", data=form, headers=HTMX).status_code == 200
    assert only_event().start_at == datetime(2026, 10, 4, 20, tzinfo=UTC)


def test_an_all_day_event_takes_an_inclusive_last_day_and_stores_it_exclusive(client, coordinator):
    form = event_form(all_day="y", start_date="2026-10-05", end_date="2026-10-07", start="garbage")
    assert client.post("/calendar/events", data=form, headers=HTMX).status_code == 200
    event = only_event()
    assert event.all_day and (event.start_date, event.end_date) == (
        date(2026, 10, 5),
        date(2026, 10, 8),
    )
    assert event.start_at is None and event.end_at is None


def test_an_event_can_be_linked_to_one_of_the_practices_participants(client, coordinator):
    jordan = factories.make_participant(coordinator.business_id)
    db.session.commit()
    form = event_form(participant_id=str(jordan.id))
    assert client.post("/calendar/events", data=form, headers=HTMX).status_code == 200
    assert only_event().participant_id == jordan.id


def test_a_cancelled_event_records_when_and_why(client, coordinator):
    form = event_form(status="cancelled", cancel_reason="Participant unwell")
    assert client.post("/calendar/events", data=form, headers=HTMX).status_code == 200
    event = only_event()
    assert event.cancelled_at is not None and event.cancel_reason == "Participant unwell"


# Bad input: a 400 with the form and the message beside the field, and nothing saved.

BAD_INPUT = [
    ("title", {"title": ""}),
    ("title", {"title": "   "}),
    ("title", {"title": "x" * 201}),
    ("end", {"end": "2026-10-05T08:00"}),
    ("end", {"end": "2026-10-05T09:00"}),
    ("time_zone", {"time_zone": "Mars/Olympus_Mons"}),
    ("time_zone", {"time_zone": ""}),
    ("start", {"start": "2026-02-30T09:00"}),
    ("start", {"start": "garbage"}),
    ("start", {"start": ""}),
    ("start", {"start": "0001-01-01T09:00"}),
    ("start", {"start": "2026-10-04T02:30", "end": "2026-10-04T04:00"}),
    ("end", {"end": "2026-10-04T02:15", "start": "2026-10-04T01:00"}),
    ("start_date", {"all_day": "y", "start_date": "2026-02-30"}),
    ("end_date", {"all_day": "y", "end_date": "2026-10-04"}),
    ("end_date", {"all_day": "y", "end_date": "9999-12-31"}),
    ("location", {"location": "x" * 501}),
    ("notes", {"notes": "x" * 10_001}),
    ("participant_id", {"participant_id": "999999"}),
    ("participant_id", {"participant_id": "abc"}),
    ("event_type", {"event_type": "party"}),
    ("status", {"status": "postponed"}),
    ("cancel_reason", {"status": "cancelled", "cancel_reason": ""}),
]


@pytest.mark.parametrize(("field", "changes"), BAD_INPUT)
def test_bad_input_is_a_400_with_the_message_beside_the_field(client, coordinator, field, changes):
    response = client.post("/calendar/events", data=event_form(**changes), headers=HTMX)
    assert response.status_code == 400
    errors = field_errors(response.text)
    assert list(errors) == [field], errors
    assert "<html" not in response.text and 'class="modal' in response.text
    assert event_count() == 0


def test_the_skipped_hour_says_why_it_is_refused(client, coordinator):
    form = event_form(start="2026-10-04T02:30", end="2026-10-04T04:00")
    response = client.post("/calendar/events", data=form, headers=HTMX)
    assert response.status_code == 400
    [message] = field_errors(response.text)["start"]
    assert "does not exist in Australia/Sydney" in message


def test_another_businesss_participant_is_refused_beside_the_field(
    client, coordinator, other_business_user
):
    theirs = factories.make_participant(other_business_user.business_id, name="Not Yours")
    db.session.commit()
    response = client.post("/calendar/events", data=event_form(participant_id=str(theirs.id)))
    assert response.status_code == 400
    assert field_errors(response.text)["participant_id"] == [
        "Choose one of your practice's participants."
    ]
    assert "Not Yours" not in response.text and event_count() == 0


def test_the_form_offers_only_the_practices_participants(client, coordinator, other_business_user):
    factories.make_participant(coordinator.business_id, name="Jordan Lee")
    factories.make_participant(other_business_user.business_id, name="Not Yours")
    db.session.commit()
    page = client.get("/calendar/events/new", headers=HTMX).text
    assert "Jordan Lee" in page and "Not Yours" not in page


# The form


def test_clicking_an_hour_opens_the_form_at_that_hour_in_the_coordinators_zone(
    client, coordinator_in
):
    coordinator_in("Australia/Brisbane")
    response = client.get("/calendar/events/new?start=2026-10-05T14:00", headers=HTMX)
    assert response.status_code == 200 and "<html" not in response.text
    assert (
        'value="2026-10-05T14:00"' in response.text and 'value="2026-10-05T15:00"' in response.text
    )
    assert 'value="Australia/Brisbane"' in response.text
    assert "never sent to Google" in response.text


def test_clicking_the_all_day_row_opens_an_all_day_form_for_that_day(client, coordinator):
    page = client.get("/calendar/events/new?start=2026-10-06&all_day=1", headers=HTMX).text
    assert '<input checked id="all_day" name="all_day" type="checkbox"' in page
    assert 'name="start_date" type="date" value="2026-10-06"' in page


@pytest.mark.parametrize("start", ["nonsense", "2026-02-30T09:00", "0001-01-01T00:00", ""])
def test_a_bad_slot_opens_the_form_at_the_next_hour_instead(client, coordinator, start):
    assert client.get(f"/calendar/events/new?start={start}", headers=HTMX).status_code == 200


def test_without_htmx_the_form_is_a_page_of_its_own(client, coordinator):
    page = client.get("/calendar/events/new").text
    assert "<html" in page and 'action="/calendar/events"' in page


def test_the_edit_form_shows_the_event_in_its_own_zone(client, coordinator_in):
    viewer = coordinator_in("Australia/Brisbane")
    event = factories.make_event(
        viewer, "Sydney visit", datetime(2026, 10, 4, 22, tzinfo=UTC), time_zone="Australia/Sydney"
    )
    db.session.commit()
    page = client.get(f"/calendar/events/{event.id}/edit", headers=HTMX).text
    assert 'value="2026-10-05T09:00"' in page and 'value="Australia/Sydney"' in page
    assert f'hx-post="/calendar/events/{event.id}"' in page and "Delete" in page


def test_the_edit_form_shows_the_last_day_of_an_all_day_event(client, coordinator):
    event = factories.make_all_day_event(coordinator, "Camp", date(2026, 10, 5), days=3)
    db.session.commit()
    page = client.get(f"/calendar/events/{event.id}/edit", headers=HTMX).text
    assert 'name="end_date" type="date" value="2026-10-07"' in page


# Editing and deleting


def test_saving_changes_bumps_the_version_and_reloads_the_week(client, coordinator):
    event = factories.make_event(coordinator, "Home visit", datetime(2026, 10, 4, 22, tzinfo=UTC))
    db.session.commit()
    form = event_form(title="Home visit (moved)", start="2026-10-05T11:00", end="2026-10-05T12:30")
    response = client.post(f"/calendar/events/{event.id}", data=form, headers=HTMX)
    assert response.status_code == 200 and saved_day(response)
    event = only_event()
    assert event.title == "Home visit (moved)" and event.version == 2
    assert event.start_at == datetime(2026, 10, 5, 0, tzinfo=UTC)


def test_a_bad_change_leaves_the_event_as_it_was(client, coordinator):
    event = factories.make_event(coordinator, "Home visit", datetime(2026, 10, 4, 22, tzinfo=UTC))
    db.session.commit()
    form = event_form(title="Changed", end="2026-10-05T08:00")
    response = client.post(f"/calendar/events/{event.id}", data=form, headers=HTMX)
    assert response.status_code == 400 and "end" in field_errors(response.text)
    event = only_event()
    assert event.title == "Home visit" and event.version == 1


def test_deleting_tombstones_the_event_and_hides_it(client, coordinator):
    event = factories.make_event(coordinator, "Home visit", datetime(2026, 10, 4, 22, tzinfo=UTC))
    db.session.commit()
    response = client.post(f"/calendar/events/{event.id}/delete", headers=HTMX)
    assert response.status_code == 200 and saved_day(response)
    event = only_event()
    assert event.deleted_by == "portal" and event.deleted_at is not None and event.version == 2
    assert f'data-event-id="{event.id}"' not in client.get("/calendar?week=2026-10-05").text
    assert client.get(f"/calendar/events/{event.id}/edit").status_code == 404
    assert client.post(f"/calendar/events/{event.id}/delete").status_code == 404


def test_the_cancel_button_closes_the_modal(client, coordinator):
    response = client.get("/calendar/dismiss", headers=HTMX)
    assert response.status_code == 200 and response.text == ""


# Tenancy: another business's event is not found, whatever the route.


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/calendar/events/{id}/edit"),
        ("post", "/calendar/events/{id}"),
        ("post", "/calendar/events/{id}/delete"),
    ],
)
def test_another_businesss_event_is_not_found(
    client, coordinator, other_business_user, method, path
):
    theirs = factories.make_event(other_business_user, "Their visit")
    db.session.commit()
    url = path.format(id=theirs.id)
    response = getattr(client, method)(url, data=event_form(title="Hijacked"), headers=HTMX)
    assert response.status_code == 404
    db.session.expire_all()
    untouched = db.session.get(Event, theirs.id)
    assert untouched.title == "Their visit" and untouched.version == 1
    assert untouched.deleted_at is None


@pytest.mark.parametrize("path", ["/calendar/events/424242/edit", "/calendar/events/424242"])
def test_an_unknown_event_is_not_found(client, coordinator, path):
    response = client.get(path) if path.endswith("edit") else client.post(path, data=event_form())
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/calendar"),
        ("get", "/calendar/events/new"),
        ("post", "/calendar/events"),
        ("get", "/calendar/events/1/edit"),
        ("post", "/calendar/events/1"),
        ("post", "/calendar/events/1/delete"),
    ],
)
def test_every_calendar_route_needs_a_login(client, app, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
