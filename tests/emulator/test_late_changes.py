"""late_change_delay: a change reaches events.list only some seconds after its notification."""

from __future__ import annotations

import time

import requests

from .helpers import USER, timed

BODY = timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", summary="Before")


def _delay(emulator, seconds):
    resp = requests.put(
        f"{emulator.url}/_emulator/config", json={"late_change_delay": seconds}, timeout=10
    )
    assert resp.status_code == 200 and resp.json()["late_change_delay"] == seconds


def _wait_until(check, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_a_change_is_listed_only_after_the_delay(emulator, service, webhook):
    events = service.events()
    made = events.insert(calendarId="primary", body=BODY).execute()
    token = events.list(calendarId="primary").execute()["nextSyncToken"]
    events.watch(
        calendarId="primary", body={"id": "late-chan", "type": "web_hook", "address": webhook.url}
    ).execute()
    assert webhook.wait_for(1)
    _delay(emulator, 1.0)
    emulator.state.user_patch_event(USER, made["id"], {"summary": "After"})
    assert webhook.wait_for(2)
    listed = events.list(calendarId="primary").execute()
    assert [i["summary"] for i in listed["items"]] == ["Before"]
    early = events.list(calendarId="primary", syncToken=token).execute()
    assert early["items"] == []
    # events.get already sees the change.
    assert events.get(calendarId="primary", eventId=made["id"]).execute()["summary"] == "After"
    assert _wait_until(
        lambda: (
            [i["summary"] for i in events.list(calendarId="primary").execute()["items"]]
            == ["After"]
        )
    )
    later = events.list(calendarId="primary", syncToken=early["nextSyncToken"]).execute()
    assert [i["summary"] for i in later["items"]] == ["After"]


def test_new_and_deleted_events_are_late_too(emulator, service):
    events = service.events()
    token = events.list(calendarId="primary").execute()["nextSyncToken"]
    _delay(emulator, 0.5)
    made = emulator.state.user_insert_event(USER, BODY)
    assert events.list(calendarId="primary").execute()["items"] == []
    assert _wait_until(lambda: len(events.list(calendarId="primary").execute()["items"]) == 1)
    emulator.state.user_delete_event(USER, made["id"])
    assert len(events.list(calendarId="primary").execute()["items"]) == 1
    assert _wait_until(lambda: events.list(calendarId="primary").execute()["items"] == [])
    synced = events.list(calendarId="primary", syncToken=token).execute()["items"]
    assert [(i["id"], i["status"]) for i in synced] == [(made["id"], "cancelled")]


def test_no_delay_by_default(emulator, service):
    assert emulator.state.config()["late_change_delay"] == 0.0
    emulator.state.user_insert_event(USER, BODY)
    assert len(service.events().list(calendarId="primary").execute()["items"]) == 1
