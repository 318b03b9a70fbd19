"""Full and incremental sync: paging, sync tokens, deletions, invalidation."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from .helpers import USER, error_reason, timed


def _seed(emulator, count):
    return [
        emulator.state.user_insert_event(
            USER,
            timed(f"2025-07-{day:02d}T09:00:00", f"2025-07-{day:02d}T10:00:00", summary=f"E{day}"),
        )
        for day in range(1, count + 1)
    ]


def _all_pages(service, **kw):
    pages = []
    token = None
    while True:
        page = service.events().list(calendarId="primary", pageToken=token, **kw).execute()
        pages.append(page)
        token = page.get("nextPageToken")
        if not token:
            return pages


def test_paged_full_sync_then_incremental(emulator, service):
    emulator.state.configure(page_size_cap=2)
    seeded = _seed(emulator, 5)
    pages = _all_pages(service)
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    for page in pages[:-1]:
        assert "nextPageToken" in page and "nextSyncToken" not in page
    assert "nextSyncToken" in pages[-1] and "nextPageToken" not in pages[-1]
    listed = [e["id"] for p in pages for e in p["items"]]
    assert sorted(listed) == sorted(e["id"] for e in seeded)

    token = pages[-1]["nextSyncToken"]
    empty = service.events().list(calendarId="primary", syncToken=token).execute()
    assert empty["items"] == [] and empty["nextSyncToken"]

    state = emulator.state
    state.user_patch_event(USER, seeded[0]["id"], {"summary": "changed"})
    state.user_delete_event(USER, seeded[1]["id"])
    new = state.user_insert_event(USER, timed("2025-07-09T09:00:00", "2025-07-09T10:00:00"))
    pages = _all_pages(service, syncToken=token)
    assert len(pages) == 2
    items = {e["id"]: e for p in pages for e in p["items"]}
    assert set(items) == {seeded[0]["id"], seeded[1]["id"], new["id"]}
    assert items[seeded[0]["id"]]["summary"] == "changed"
    cancelled = items[seeded[1]["id"]]
    assert cancelled["status"] == "cancelled"
    assert set(cancelled) <= {
        "kind",
        "etag",
        "id",
        "status",
        "recurringEventId",
        "originalStartTime",
    }
    again = service.events().list(calendarId="primary", syncToken=pages[-1]["nextSyncToken"])
    assert again.execute()["items"] == []


def test_changes_made_while_paging_come_back_in_the_next_incremental_sync(emulator, service):
    emulator.state.configure(page_size_cap=2)
    seeded = _seed(emulator, 6)
    first = service.events().list(calendarId="primary").execute()
    seen = {e["id"] for e in first["items"]}
    # While the client pages: a new event, a change to one already listed, a deletion of one
    # not yet listed.
    state = emulator.state
    added = state.user_insert_event(USER, timed("2025-07-20T09:00:00", "2025-07-20T10:00:00"))
    listed_id = next(iter(seen))
    state.user_patch_event(USER, listed_id, {"summary": "edited mid-sync"})
    unlisted = next(e["id"] for e in seeded if e["id"] not in seen)
    state.user_delete_event(USER, unlisted)
    token = first["nextPageToken"]
    sync_token = None
    while token:
        page = service.events().list(calendarId="primary", pageToken=token).execute()
        token = page.get("nextPageToken")
        sync_token = page.get("nextSyncToken")
    assert sync_token
    changes = {e["id"]: e for p in _all_pages(service, syncToken=sync_token) for e in p["items"]}
    assert added["id"] in changes
    assert changes[listed_id]["summary"] == "edited mid-sync"
    assert changes[unlisted]["status"] == "cancelled"


def test_sync_token_cannot_be_combined_with_restrictions(emulator, service):
    token = service.events().list(calendarId="primary").execute()["nextSyncToken"]
    for extra in (
        {"timeMin": "2025-01-01T00:00:00Z"},
        {"timeMax": "2025-01-01T00:00:00Z"},
        {"updatedMin": "2025-01-01T00:00:00Z"},
        {"q": "x"},
        {"privateExtendedProperty": "a=b"},
        {"iCalUID": "x@google.com"},
        {"orderBy": "updated"},
    ):
        with pytest.raises(HttpError) as err:
            service.events().list(calendarId="primary", syncToken=token, **extra).execute()
        assert error_reason(err.value)[:2] == (400, "invalid")


def test_invalidated_or_unknown_sync_tokens_need_a_full_sync(emulator, service):
    token = service.events().list(calendarId="primary").execute()["nextSyncToken"]
    emulator.state.invalidate_sync_tokens(USER)
    for bad in (token, "garbage", "eyJjIjoieCJ9"):
        with pytest.raises(HttpError) as err:
            service.events().list(calendarId="primary", syncToken=bad).execute()
        assert error_reason(err.value) == (
            410,
            "fullSyncRequired",
            "Sync token is no longer valid, a full sync is required.",
        )
    fresh = service.events().list(calendarId="primary").execute()["nextSyncToken"]
    assert service.events().list(calendarId="primary", syncToken=fresh).execute()["items"] == []


def test_show_deleted(emulator, service):
    kept, dropped = _seed(emulator, 2)
    emulator.state.user_delete_event(USER, dropped["id"])
    plain = service.events().list(calendarId="primary").execute()["items"]
    assert [e["id"] for e in plain] == [kept["id"]]
    everything = service.events().list(calendarId="primary", showDeleted=True).execute()["items"]
    assert {e["id"]: e["status"] for e in everything} == {
        kept["id"]: "confirmed",
        dropped["id"]: "cancelled",
    }


def test_windowed_full_sync_still_gives_a_sync_token(emulator, service):
    _seed(emulator, 3)
    page = (
        service.events()
        .list(calendarId="primary", timeMin="2025-07-01T23:30:00Z", maxResults=2500)
        .execute()
    )
    assert len(page["items"]) == 2
    later = emulator.state.user_insert_event(
        USER, timed("2024-01-01T09:00:00", "2024-01-01T10:00:00")
    )
    changes = service.events().list(calendarId="primary", syncToken=page["nextSyncToken"]).execute()
    assert [e["id"] for e in changes["items"]] == [later["id"]]
