"""Fault injection, quota and scopes."""

from __future__ import annotations

import time

import google.auth.transport.requests
import pytest
import requests
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from .helpers import (
    APP_CREATED,
    CALENDARLIST_READONLY,
    EVENTS,
    EVENTS_READONLY,
    READONLY,
    USER,
    calendar_service,
    credentials,
    error_reason,
    get_tokens,
    timed,
)

BODY = timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", summary="x")


def _service_with(emulator, scopes):
    return calendar_service(
        emulator.url, credentials(emulator.url, get_tokens(emulator.url, scopes))
    )


def test_429_then_success_with_retry_after(emulator, service, tokens):
    emulator.state.add_fault("calendar.events.list", 429, retry_after=3)
    resp = requests.get(
        emulator.url + "/calendar/v3/calendars/primary/events",
        headers={"Authorization": "Bearer " + tokens["access_token"]},
        timeout=10,
    )
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "3"
    error = resp.json()["error"]
    assert error["errors"][0]["reason"] == "rateLimitExceeded"
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert service.events().list(calendarId="primary").execute()["items"] == []


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (403, "rateLimitExceeded", (403, "rateLimitExceeded")),
        (403, "quotaExceeded", (403, "quotaExceeded")),
        (500, None, (500, "backendError")),
        (503, None, (503, "backendError")),
        (410, "fullSyncRequired", (410, "fullSyncRequired")),
    ],
)
def test_faults_answer_google_envelopes(emulator, service, status, reason, expected):
    emulator.state.add_fault("calendar.events.insert", status, reason, count=2)
    for _ in range(2):
        with pytest.raises(HttpError) as err:
            service.events().insert(calendarId="primary", body=BODY).execute()
        assert error_reason(err.value)[:2] == expected
    assert service.events().insert(calendarId="primary", body=BODY).execute()["id"]
    assert len(emulator.state.list_events(USER)) == 1


def test_401_fault_makes_google_client_refresh_and_retry(emulator, service):
    emulator.state.add_fault("calendar.events.get", 401)
    event = emulator.state.user_insert_event(USER, BODY)
    assert service.events().get(calendarId="primary", eventId=event["id"]).execute()["id"]
    methods = [e["method"] for e in emulator.state.request_log()][-3:]
    assert methods == ["calendar.events.get", "oauth2.token", "calendar.events.get"]


def test_wildcard_fault_and_slow_success(emulator, service):
    emulator.state.add_fault("*", None, delay=0.3)
    started = time.time()
    service.calendarList().list().execute()
    assert time.time() - started >= 0.3
    emulator.state.add_fault("*", 500)
    with pytest.raises(HttpError):
        service.calendarList().list().execute()
    service.calendarList().list().execute()
    assert emulator.state.faults() == []


def test_token_endpoint_fault_is_an_oauth_error(emulator, creds):
    emulator.state.add_fault("oauth2.token", 400, "invalid_grant")
    with pytest.raises(RefreshError) as err:
        creds.refresh(google.auth.transport.requests.Request())
    assert "invalid_grant" in str(err.value)
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.valid


def test_user_quota(emulator, service):
    emulator.state.configure(user_quota_per_minute=3)
    for _ in range(3):
        service.calendarList().list().execute()
    with pytest.raises(HttpError) as err:
        service.calendarList().list().execute()
    assert error_reason(err.value)[:2] == (403, "userRateLimitExceeded")


def test_readonly_scopes_cannot_write(emulator):
    for scopes in ([READONLY], [EVENTS_READONLY]):
        service = _service_with(emulator, scopes)
        assert service.events().list(calendarId="primary").execute()["items"] == []
        with pytest.raises(HttpError) as err:
            service.events().insert(calendarId="primary", body=BODY).execute()
        assert error_reason(err.value) == (
            403,
            "insufficientPermissions",
            "Request had insufficient authentication scopes.",
        )


def test_events_scope_cannot_list_calendars_and_calendarlist_scope_cannot_read_events(emulator):
    events_only = _service_with(emulator, [EVENTS])
    events_only.events().insert(calendarId="primary", body=BODY).execute()
    with pytest.raises(HttpError) as err:
        events_only.calendarList().list().execute()
    assert error_reason(err.value)[:2] == (403, "insufficientPermissions")
    with pytest.raises(HttpError):
        events_only.calendars().insert(body={"summary": "nope"}).execute()
    list_only = _service_with(emulator, [CALENDARLIST_READONLY])
    assert list_only.calendarList().list().execute()["items"][0]["id"] == USER
    with pytest.raises(HttpError) as err:
        list_only.events().list(calendarId="primary").execute()
    assert error_reason(err.value)[0] == 403


def test_app_created_scope_reaches_only_its_own_calendars(emulator):
    service = _service_with(emulator, [APP_CREATED])
    created = service.calendars().insert(body={"summary": "Coordinoter"}).execute()
    event = service.events().insert(calendarId=created["id"], body=BODY).execute()
    assert service.events().get(calendarId=created["id"], eventId=event["id"]).execute()
    assert service.calendars().get(calendarId=created["id"]).execute()["summary"] == "Coordinoter"
    with pytest.raises(HttpError) as err:
        service.events().list(calendarId="primary").execute()
    assert error_reason(err.value)[:2] == (403, "insufficientPermissions")
    other_calendar = emulator.state.add_calendar(USER, "Made by hand")
    with pytest.raises(HttpError) as err:
        service.events().list(calendarId=other_calendar).execute()
    assert error_reason(err.value)[0] == 403
