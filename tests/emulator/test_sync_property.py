"""Property: a client that pages full and incremental syncs while the user edits never drifts."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import USER, timed

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.integers(1, 28)),
        st.tuples(st.just("patch"), st.integers(0, 50)),
        st.tuples(st.just("delete"), st.integers(0, 50)),
        st.tuples(st.just("page"), st.just(0)),
    ),
    max_size=30,
)


class Mirror:
    """A sync client following Google's guide: full sync, then incremental, paging through."""

    def __init__(self, client: Any, calendar_id: str, token: str) -> None:
        self.client = client
        self.path = f"/calendar/v3/calendars/{calendar_id}/events"
        self.headers = {"Authorization": "Bearer " + token}
        self.events: dict[str, str] = {}
        self.sync_token: str | None = None
        self.page_token: str | None = None
        self.listing = False

    def page(self) -> None:
        """Fetch and apply one page of the current listing (starting one if needed)."""
        params: dict[str, Any] = {"maxResults": 2500}
        if self.sync_token:
            params["syncToken"] = self.sync_token
        if self.page_token:
            params["pageToken"] = self.page_token
        body = self.client.get(self.path, query_string=params, headers=self.headers).get_json()
        for item in body["items"]:
            if item["status"] == "cancelled":
                self.events.pop(item["id"], None)
            else:
                self.events[item["id"]] = item["etag"]
        self.page_token = body.get("nextPageToken")
        self.listing = bool(self.page_token)
        if not self.page_token:
            self.sync_token = body["nextSyncToken"]

    def finish(self) -> None:
        """Page to the end of the current listing, then run one complete incremental sync."""
        self.page()
        while self.listing:
            self.page()
        self.page()
        while self.listing:
            self.page()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_paging_client_never_loses_a_change(emulator, tokens, ops):
    state = emulator.state
    state.configure(page_size_cap=2)
    calendar_id = state.add_calendar(USER, "Property")
    mirror = Mirror(emulator.app.test_client(), calendar_id, tokens["access_token"])
    live: list[str] = []
    for op, n in ops:
        if op == "insert":
            event = state.user_insert_event(
                calendar_id,
                timed(f"2025-09-{n:02d}T09:00:00", f"2025-09-{n:02d}T10:00:00", summary=str(n)),
            )
            live.append(event["id"])
        elif op == "patch" and live:
            state.user_patch_event(calendar_id, live[n % len(live)], {"summary": f"p{n}"})
        elif op == "delete" and live:
            state.user_delete_event(calendar_id, live.pop(n % len(live)))
        elif op == "page":
            mirror.page()
    mirror.finish()
    truth = {e["id"]: e["etag"] for e in state.list_events(calendar_id)}
    assert mirror.events == truth
