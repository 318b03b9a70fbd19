"""The calendar's dialog and week for Google's own kinds of event.

The events here are made as the pull makes them (google_kind, response_status and
google_details set from Google's item); tests/google/test_real_*.py run the same kinds
through the emulator end to end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from portal.calendar.timeutil import today_in
from portal.extensions import db
from portal.models import Event
from tests import factories
from tests.calendar.pages import HTMX, saved_day

MEET = "https://meet.google.com/abc-defg-hij"


def this_week_at(coordinator, hour: int) -> datetime:
    """Today at an hour of the coordinator's day, as UTC (the week shown by default)."""
    today = today_in(coordinator.time_zone)
    local = datetime(today.year, today.month, today.day, hour)
    return local.replace(tzinfo=ZoneInfo(coordinator.time_zone)).astimezone(UTC)


def invitation(coordinator, **fields) -> Event:
    """An invitation from someone else, as the pull imports it."""
    values = {
        "origin": "google",
        "google_kind": "invitation",
        "response_status": "needsAction",
        "google_details": {
            "organizer": {"name": "Sam Provider", "email": "sam@provider.example"},
            "conference": {"url": MEET, "label": "Google Meet"},
        },
        "notes": "<b>Agenda</b><br>Plan review<script>alert(1)</script>",
    }
    values.update(fields)
    title = values.pop("title", "Provider catch-up")
    event = factories.make_event(coordinator, title, start=this_week_at(coordinator, 10), **values)
    db.session.commit()
    return event


def version_of(event_id: int) -> int:
    """The event's version: every change the portal queues for Google bumps it."""
    db.session.expire_all()
    return db.session.get(Event, event_id).version


def test_an_invitation_shows_its_organiser_answer_join_link_and_no_title_input(client, coordinator):
    event = invitation(coordinator)
    page = client.get(f"/calendar/events/{event.id}/edit", headers=HTMX).get_data(as_text=True)
    assert "Invitation" in page and "Sam Provider" in page and "sam@provider.example" in page
    assert "Your answer: <strong>Not answered yet</strong>" in page
    for label in ("Going", "Maybe", "Not going"):
        assert f">{label}</button>" in page
    assert f'href="{MEET}"' in page and "Join Google Meet" in page
    # The description is formatted, and its script never reaches the page.
    assert "<b>Agenda</b>" in page and "<script>" not in page
    # The organiser's fields are not offered; deleting is not either (decline instead).
    assert 'name="title"' not in page and 'name="start"' not in page
    assert "Delete" not in page


def test_answering_an_invitation_is_queued_for_google(client, coordinator):
    event = invitation(coordinator)
    before = event.version
    response = client.post(
        f"/calendar/events/{event.id}/answer", data={"response": "accepted"}, headers=HTMX
    )
    assert response.status_code == 200 and saved_day(response)
    assert version_of(event.id) == before + 1
    assert db.session.get(Event, event.id).response_status == "accepted"


def test_an_answer_that_is_not_one_is_refused_in_the_dialog(client, coordinator):
    event = invitation(coordinator)
    response = client.post(
        f"/calendar/events/{event.id}/answer", data={"response": "maybe-later"}, headers=HTMX
    )
    assert response.status_code == 400
    assert "Choose Going, Maybe or Not going." in response.get_data(as_text=True)
    assert version_of(event.id) == event.version
    assert db.session.get(Event, event.id).response_status == "needsAction"


def test_an_invitation_is_declined_not_deleted(client, coordinator):
    event = invitation(coordinator)
    response = client.post(f"/calendar/events/{event.id}/delete", headers=HTMX)
    assert response.status_code == 400
    assert "Decline an invitation instead" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).deleted_at is None


def test_a_declined_invitation_leaves_the_week_and_an_accepted_one_is_on_it(client, coordinator):
    declined = invitation(coordinator, title="Declined meeting", response_status="declined")
    accepted = invitation(coordinator, title="Accepted meeting", response_status="accepted")
    page = client.get("/calendar").get_data(as_text=True)
    assert f'data-event-id="{accepted.id}"' in page and "Going" in page
    assert f'data-event-id="{declined.id}"' not in page
    # Listed apart, so it can be opened and answered again.
    assert f'data-declined-event-id="{declined.id}"' in page


def test_saving_an_invitation_changes_only_the_portal_fields(client, coordinator):
    event = invitation(coordinator)
    participant = factories.make_participant(coordinator.business_id, "Jordan Lee", "430123456")
    db.session.commit()
    form = {
        "title": "Renamed by me",
        "start": "2020-01-01T09:00",
        "event_type": "provider_meeting",
        "participant_id": str(participant.id),
        "internal_notes": "Bring the plan",
        "status": "scheduled",
        "cancel_reason": "",
    }
    response = client.post(f"/calendar/events/{event.id}", data=form, headers=HTMX)
    assert response.status_code == 200
    db.session.expire_all()
    saved = db.session.get(Event, event.id)
    assert (saved.title, saved.start_at) == ("Provider catch-up", event.start_at)
    assert (saved.event_type, saved.participant_id) == ("provider_meeting", participant.id)
    assert saved.internal_notes == "Bring the plan"


def test_a_birthday_offers_its_title_and_says_why_the_date_stays(client, coordinator):
    today = today_in(coordinator.time_zone)
    event = factories.make_all_day_event(
        coordinator, "Alex's birthday", today, origin="google", google_kind="birthday"
    )
    db.session.commit()
    before = event.version
    page = client.get(f"/calendar/events/{event.id}/edit", headers=HTMX).get_data(as_text=True)
    assert 'name="title"' in page and "Google Contacts keeps the date." in page
    response = client.post(
        f"/calendar/events/{event.id}",
        data={"title": "", "event_type": "other", "participant_id": "", "status": "scheduled"},
        headers=HTMX,
    )
    assert response.status_code == 400 and "Give the event a title." in response.get_data(
        as_text=True
    )
    response = client.post(
        f"/calendar/events/{event.id}",
        data={"title": "Alex turns 40", "event_type": "other", "status": "scheduled"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert version_of(event.id) == before + 1
    assert db.session.get(Event, event.id).title == "Alex turns 40"


def test_busy_time_and_working_locations_are_marked_on_the_week(client, coordinator):
    start = this_week_at(coordinator, 13)
    factories.make_event(
        coordinator, "Out of office", start=start, origin="google", google_kind="out_of_office"
    )
    factories.make_event(
        coordinator,
        "Home",
        start=start + timedelta(hours=3),
        origin="google",
        google_kind="working_location",
        google_details={"working_location": "Home"},
    )
    factories.make_event(
        coordinator, "Imported lunch", start=start - timedelta(hours=1), origin="google"
    )
    db.session.commit()
    page = client.get("/calendar").get_data(as_text=True)
    assert 'class="wk-event type-other google-out-of-office' in page
    # A working location is a note on the day (the all-day row), not a block of hours.
    assert 'class="wk-chip type-other google-working-location' in page
    assert 'class="wk-event type-other google-working-location' not in page
    assert '<span class="badge google">Out of office</span>' in page
    assert '<span class="badge google">From Google</span>' in page


def test_an_html_description_is_edited_as_text_and_kept_when_left_alone(client, coordinator):
    html = (
        "<ul><li>Bring the <b>plan</b></li></ul><p>See <a href='https://ndis.gov.au'>NDIS</a></p>"
    )
    event = factories.make_event(
        coordinator,
        "Imported visit",
        start=this_week_at(coordinator, 9),
        origin="google",
        notes=html,
    )
    db.session.commit()
    page = client.get(f"/calendar/events/{event.id}/edit", headers=HTMX).get_data(as_text=True)
    assert "The notes as Google shows them" in page and "<b>plan</b>" in page
    textarea = page.split('name="notes"', 1)[1].split("</textarea>", 1)[0]
    assert "• Bring the plan" in textarea and "&lt;" not in textarea
    local = event.start_at.astimezone(ZoneInfo(coordinator.time_zone))
    form = {
        "title": "Imported visit renamed",
        "event_type": "other",
        "participant_id": "",
        "start": f"{local:%Y-%m-%dT%H:%M}",
        "end": f"{local + timedelta(hours=1):%Y-%m-%dT%H:%M}",
        "start_date": f"{local:%Y-%m-%d}",
        "end_date": f"{local:%Y-%m-%d}",
        "time_zone": coordinator.time_zone,
        "location": "",
        "notes": textarea.split(">", 1)[1].replace("\n", "\r\n").strip("\r\n"),
        "internal_notes": "",
        "status": "scheduled",
        "repeat": "none",
    }
    assert client.post(f"/calendar/events/{event.id}", data=form, headers=HTMX).status_code == 200
    db.session.expire_all()
    assert db.session.get(Event, event.id).notes == html


def test_a_declined_repeating_invitation_leaves_every_day_of_the_week(client, coordinator):
    series = invitation(
        coordinator,
        title="Weekly team huddle",
        response_status="declined",
        recurrence="RRULE:FREQ=DAILY;COUNT=30",
    )
    page = client.get("/calendar").get_data(as_text=True)
    assert f'data-event-id="{series.id}"' not in page
    assert f'data-declined-event-id="{series.id}"' in page
