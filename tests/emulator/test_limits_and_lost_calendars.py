"""Usage-limit refusals in Google's envelope, and calendars the user loses."""

from __future__ import annotations

import pytest
import requests
from googleapiclient.errors import HttpError

from .helpers import USER, error_reason, timed

BODY = timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", summary="x")


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("quotaExceeded", "Calendar usage limits exceeded."),
        ("dailyLimitExceeded", "Daily Limit Exceeded"),
        ("userRateLimitExceeded", "User Rate Limit Exceeded"),
        ("rateLimitExceeded", "Rate Limit Exceeded"),
    ],
)
def test_usage_limit_faults_answer_googles_envelope(emulator, tokens, reason, message):
    resp = requests.post(
        f"{emulator.url}/_emulator/faults",
        json={"method": "calendar.events.insert", "status": 403, "reason": reason},
        timeout=10,
    )
    assert resp.status_code == 201
    answer = requests.post(
        f"{emulator.url}/calendar/v3/calendars/primary/events",
        json=BODY,
        headers={"Authorization": "Bearer " + tokens["access_token"]},
        timeout=10,
    )
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert (error["code"], error["message"]) == (403, message)
    assert error["errors"] == [{"domain": "usageLimits", "reason": reason, "message": message}]


def _all_calls(service, calendar_id, event_id, series_id):
    events = service.events()
    return [
        events.list(calendarId=calendar_id),
        events.get(calendarId=calendar_id, eventId=event_id),
        events.insert(calendarId=calendar_id, body=BODY),
        events.patch(calendarId=calendar_id, eventId=event_id, body={"summary": "y"}),
        events.update(calendarId=calendar_id, eventId=event_id, body=BODY),
        events.delete(calendarId=calendar_id, eventId=event_id),
        events.instances(calendarId=calendar_id, eventId=series_id),
        events.watch(
            calendarId=calendar_id,
            body={"id": "after-gone", "type": "web_hook", "address": "https://example.org/hook"},
        ),
        service.calendars().get(calendarId=calendar_id),
        service.calendarList().get(calendarId=calendar_id),
    ]


@pytest.mark.parametrize("how", ["delete", "unshare"])
def test_a_lost_calendar_answers_404_and_its_channels_go_quiet(emulator, service, webhook, how):
    events = service.events()
    calendar_id = service.calendars().insert(body={"summary": "Coordinoter"}).execute()["id"]
    event = events.insert(calendarId=calendar_id, body=BODY).execute()
    series = events.insert(
        calendarId=calendar_id, body={**BODY, "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]}
    ).execute()
    events.watch(
        calendarId=calendar_id, body={"id": "lost-chan", "type": "web_hook", "address": webhook.url}
    ).execute()
    assert webhook.wait_for(1)
    url = f"{emulator.url}/_emulator/calendars/{calendar_id}"
    resp = (
        requests.delete(url, timeout=10)
        if how == "delete"
        else requests.post(url + "/unshare", timeout=10)
    )
    assert resp.status_code in (200, 204)
    for request in _all_calls(service, calendar_id, event["id"], series["id"]):
        with pytest.raises(HttpError) as info:
            request.execute()
        assert error_reason(info.value)[:2] == (404, "notFound")
    ids = [c["id"] for c in service.calendarList().list().execute()["items"]]
    assert calendar_id not in ids
    emulator.state.user_insert_event(USER, BODY)  # other calendars still notify nothing here
    assert requests.post(url + "/restore", timeout=10).status_code == 200
    emulator.state.user_insert_event(calendar_id, BODY)
    emulator.state.wait_notifications(2)
    assert len(webhook.ok()) == 1  # only the sync message: the old channel stays silent
    assert events.get(calendarId=calendar_id, eventId=event["id"]).execute()["id"] == event["id"]


def test_the_primary_calendar_lost_answers_404_for_primary_too(emulator, service):
    requests.post(f"{emulator.url}/_emulator/calendars/{USER}/unshare", timeout=10)
    with pytest.raises(HttpError) as info:
        service.events().list(calendarId="primary").execute()
    assert error_reason(info.value)[:2] == (404, "notFound")
