"""Invitations someone else organises, as the attendee's copy answers (see invitations.py)."""

from __future__ import annotations

import pytest
import requests
from googleapiclient.errors import HttpError

from .helpers import USER, error_reason, timed

HOST = {"email": "dr.lee@clinic.example", "displayName": "Dr Lee"}


def _invite(emulator, **extra):
    body = timed(
        "2025-06-02T10:00:00",
        "2025-06-02T11:00:00",
        summary="Case conference",
        description="<b>Agenda</b>",
        location="Clinic",
        organizer=HOST,
        **extra,
    )
    resp = requests.post(
        f"{emulator.url}/_emulator/calendars/{USER}/invitations", json=body, timeout=10
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def _me(event):
    return next(a for a in event["attendees"] if a.get("self"))


def test_an_invitation_looks_like_google_shows_it(emulator, service):
    made = _invite(emulator)
    got = service.events().get(calendarId="primary", eventId=made["id"]).execute()
    assert got["organizer"] == HOST and "self" not in got["organizer"]
    assert _me(got) == {
        "email": USER,
        "displayName": "Casey Coordinator",
        "self": True,
        "responseStatus": "needsAction",
    }
    host = next(a for a in got["attendees"] if a.get("organizer"))
    assert host["email"] == HOST["email"] and host["responseStatus"] == "accepted"


def test_shared_fields_are_ignored_with_200(emulator, service):
    made = _invite(emulator)
    events = service.events()
    answer = events.patch(
        calendarId="primary",
        eventId=made["id"],
        body={
            "summary": "Mine now",
            "description": "x",
            "location": "Home",
            **timed("2025-06-02T12:00:00", "2025-06-02T13:00:00"),
        },
    ).execute()
    assert (answer["summary"], answer["description"], answer["location"]) == (
        "Case conference",
        "<b>Agenda</b>",
        "Clinic",
    )
    assert answer["start"] == made["start"] and answer["end"] == made["end"]
    put = timed(
        "2025-06-03T12:00:00",
        "2025-06-03T13:00:00",
        summary="Put",
        guestsCanInviteOthers=True,
        guestsCanSeeOtherGuests=True,
    )
    after_put = events.update(calendarId="primary", eventId=made["id"], body=put).execute()
    assert after_put["summary"] == "Case conference" and after_put["start"] == made["start"]


def test_guest_settings_are_forbidden_for_non_organizers(emulator, service):
    made = _invite(emulator, guestsCanSeeOtherGuests=False)
    events = service.events()
    for body in (
        {"guestsCanModify": True},
        {"guestsCanInviteOthers": False},
        {"guestsCanSeeOtherGuests": True},
    ):
        with pytest.raises(HttpError) as info:
            events.patch(calendarId="primary", eventId=made["id"], body=body).execute()
        code, reason, message = error_reason(info.value)
        assert (code, reason) == (403, "forbiddenForNonOrganizer")
        assert message == "Shared properties can only be changed by the organizer of the event."
    # A PUT that omits them sets the defaults: guestsCanSeeOtherGuests back to true.
    with pytest.raises(HttpError) as info:
        events.update(
            calendarId="primary",
            eventId=made["id"],
            body=timed("2025-06-02T10:00:00", "2025-06-02T11:00:00"),
        ).execute()
    assert error_reason(info.value)[1] == "forbiddenForNonOrganizer"


def test_the_attendees_own_fields_apply(emulator, service):
    made = _invite(emulator)
    mine = {"email": USER, "responseStatus": "accepted"}
    answer = (
        service.events()
        .patch(
            calendarId="primary",
            eventId=made["id"],
            body={
                "reminders": {
                    "useDefault": False,
                    "overrides": [{"method": "popup", "minutes": 30}],
                },
                "colorId": "7",
                "transparency": "transparent",
                "extendedProperties": {"private": {"portal": "42"}},
                "attendees": [mine, {"email": HOST["email"], "responseStatus": "declined"}],
            },
        )
        .execute()
    )
    assert answer["reminders"]["overrides"] == [{"method": "popup", "minutes": 30}]
    assert (answer["colorId"], answer["transparency"]) == ("7", "transparent")
    assert answer["extendedProperties"]["private"] == {"portal": "42"}
    assert _me(answer)["responseStatus"] == "accepted"
    host = next(a for a in answer["attendees"] if a.get("organizer"))
    assert host["responseStatus"] == "accepted"  # someone else's answer is not ours to set


def test_a_declined_invitation_stays_listed(emulator, service):
    made = _invite(emulator)
    service.events().patch(
        calendarId="primary",
        eventId=made["id"],
        body={"attendees": [{"email": USER, "responseStatus": "declined"}]},
    ).execute()
    items = service.events().list(calendarId="primary").execute()["items"]
    listed = next(i for i in items if i["id"] == made["id"])
    assert listed["status"] == "confirmed" and _me(listed)["responseStatus"] == "declined"


def test_the_organiser_changes_and_cancels_it_later(emulator, service, webhook):
    made = _invite(emulator)
    service.events().patch(
        calendarId="primary",
        eventId=made["id"],
        body={"colorId": "2", "attendees": [{"email": USER, "responseStatus": "tentative"}]},
    ).execute()
    service.events().watch(
        calendarId="primary", body={"id": "inv-chan", "type": "web_hook", "address": webhook.url}
    ).execute()
    assert webhook.wait_for(1)
    url = f"{emulator.url}/_emulator/calendars/{USER}/invitations/{made['id']}"
    resp = requests.patch(
        url,
        json={
            "summary": "Moved",
            **timed("2025-06-02T14:00:00", "2025-06-02T15:00:00"),
            "colorId": "9",
        },
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    got = service.events().get(calendarId="primary", eventId=made["id"]).execute()
    assert got["summary"] == "Moved" and got["start"]["dateTime"].startswith("2025-06-02T14:00")
    assert got["colorId"] == "2" and _me(got)["responseStatus"] == "tentative"
    assert got["sequence"] == made["sequence"] + 1
    assert webhook.wait_for(2)
    assert requests.delete(url, timeout=10).status_code == 204
    assert (
        service.events().get(calendarId="primary", eventId=made["id"]).execute()["status"]
        == "cancelled"
    )


def test_control_refuses_a_self_organised_invitation(emulator):
    resp = requests.post(
        f"{emulator.url}/_emulator/calendars/{USER}/invitations",
        json={**timed("2025-06-02T10:00:00", "2025-06-02T11:00:00"), "organizer": {"email": USER}},
        timeout=10,
    )
    assert resp.status_code == 400
