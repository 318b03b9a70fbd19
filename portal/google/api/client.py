"""A thin, typed client for Google Calendar v3 over HTTP. It knows nothing of the database."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import quote

import requests

from portal.google.api.batch import BatchResult, decode_batch, encode_batch
from portal.google.api.calls import (
    Call,
    delete_call,
    event_path,
    events_path,
    insert_call,
    patch_call,
)
from portal.google.api.errors import GoogleApiError, GoogleUnavailable

MAX_PAGE = 2500


class TokenSource(Protocol):
    """Supplies bearer tokens; refresh() is called once after a 401."""

    def access_token(self) -> str: ...

    def refresh(self) -> str: ...


class CalendarClient:
    """Calendar v3 calls, each with a bearer token, one refresh on 401, and short backoff."""

    def __init__(
        self,
        api_root: str,
        batch_uri: str,
        tokens: TokenSource,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        retries: int = 3,
        max_backoff: float = 8.0,
        throttle: Callable[[], None] | None = None,
    ) -> None:
        self.api_root = api_root.rstrip("/")
        self.batch_uri = batch_uri
        self.tokens = tokens
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retries = retries
        self.max_backoff = max_backoff
        self.throttle = throttle
        self.calls = 0

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        tokens: TokenSource,
        throttle: Callable[[], None] | None = None,
    ) -> CalendarClient:
        """Build a client from the app configuration's GOOGLE_* endpoints."""
        return cls(
            config["GOOGLE_CALENDAR_API_URI"],
            config["GOOGLE_BATCH_URI"],
            tokens,
            throttle=throttle,
            timeout=(5.0, float(config.get("GOOGLE_HTTP_TIMEOUT", 30.0))),
            retries=int(config.get("GOOGLE_HTTP_RETRIES", 3)),
            max_backoff=float(config.get("GOOGLE_MAX_BACKOFF", 8.0)),
        )

    # -- transport ---------------------------------------------------------------------------

    def _raw(
        self, method: str, url: str, token: str, kwargs: dict, parts: int = 1
    ) -> requests.Response:
        headers = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token}"}
        if self.throttle is not None:
            # Google counts every part of a batch, each time the batch is sent.
            for _ in range(parts):
                self.throttle()
        self.calls += 1
        try:
            return self.session.request(
                method, url, timeout=self.timeout, **{**kwargs, "headers": headers}
            )
        except requests.RequestException as exc:
            raise GoogleUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _send(self, method: str, url: str, parts: int, **kwargs: Any) -> requests.Response:
        response = self._raw(method, url, self.tokens.access_token(), kwargs, parts)
        if response.status_code == 401:
            # An access token can be revoked or expire early: refresh once, then give up.
            response = self._raw(method, url, self.tokens.refresh(), kwargs, parts)
        return response

    def request(
        self, method: str, path: str, *, parts: int = 1, **kwargs: Any
    ) -> requests.Response:
        """Send one call (a batch of `parts` calls counts as that many); back off briefly on
        rate limits and 5xx; raise GoogleApiError."""
        url = path if path.startswith("http") else self.api_root + path
        attempt = 0
        while True:
            try:
                response = self._send(method, url, parts, **kwargs)
                if response.status_code < 400:
                    return response
                error = GoogleApiError.from_response(response)
            except GoogleUnavailable as exc:
                error = exc
            attempt += 1
            if not error.retryable or attempt > self.retries:
                raise error
            time.sleep(self._backoff(attempt, error.retry_after))

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        # Exponential with full jitter, as Google's guide asks.
        return random.uniform(0, min(self.max_backoff, 0.25 * 2**attempt))

    def _json(self, method: str, path: str, **kwargs: Any) -> dict:
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else {}

    def send(self, call: Call) -> dict:
        """Send one described call on its own; its JSON answer ({} when it has none)."""
        options: dict[str, Any] = {"params": call.params, "headers": call.headers}
        if call.body is not None:
            options["json"] = call.body
        return self._json(call.method, call.path, **options)

    # -- calendars ---------------------------------------------------------------------------

    def list_calendars(self) -> list[dict]:
        """Every calendar in the user's calendar list."""
        items: list[dict] = []
        params: dict[str, Any] = {"maxResults": 250}
        while True:
            page = self._json("GET", "/users/me/calendarList", params=params)
            items.extend(page.get("items", []))
            if not page.get("nextPageToken"):
                return items
            params["pageToken"] = page["nextPageToken"]

    def get_calendar_entry(self, calendar_id: str) -> dict:
        """One calendar-list entry ("primary" works)."""
        return self._json("GET", f"/users/me/calendarList/{quote(calendar_id, safe='')}")

    def insert_calendar(self, summary: str, time_zone: str) -> dict:
        """Create a secondary calendar."""
        return self._json("POST", "/calendars", json={"summary": summary, "timeZone": time_zone})

    # -- events ------------------------------------------------------------------------------

    def list_events_page(
        self,
        calendar_id: str,
        *,
        sync_token: str | None = None,
        page_token: str | None = None,
        time_min: str | None = None,
        show_deleted: bool = False,
        max_results: int = MAX_PAGE,
    ) -> dict:
        """One page of events.list; pass sync_token for an incremental sync."""
        params: dict[str, Any] = {"maxResults": max_results}
        if sync_token:
            params["syncToken"] = sync_token
        elif time_min:
            params["timeMin"] = time_min
        if show_deleted:
            params["showDeleted"] = "true"
        if page_token:
            params["pageToken"] = page_token
        return self._json("GET", events_path(calendar_id), params=params)

    def iter_event_pages(self, calendar_id: str, **kwargs: Any) -> Iterator[dict]:
        """Every page of one listing, following nextPageToken."""
        page_token = None
        while True:
            page = self.list_events_page(calendar_id, page_token=page_token, **kwargs)
            yield page
            page_token = page.get("nextPageToken")
            if not page_token:
                return

    def get_event(self, calendar_id: str, event_id: str) -> dict:
        """One event (a deleted one comes back with status "cancelled")."""
        return self._json("GET", event_path(calendar_id, event_id))

    def insert_event(self, calendar_id: str, body: dict) -> dict:
        """Insert an event; never sends invitations."""
        return self.send(insert_call(calendar_id, body))

    def patch_event(
        self, calendar_id: str, event_id: str, body: dict, etag: str | None = None
    ) -> dict:
        """Patch the fields in body; with etag, only if nobody changed it since (else 412)."""
        return self.send(patch_call(calendar_id, event_id, body, etag))

    def delete_event(self, calendar_id: str, event_id: str, etag: str | None = None) -> None:
        """Delete an event; an already deleted one (410) counts as done."""
        try:
            self.send(delete_call(calendar_id, event_id, etag))
        except GoogleApiError as exc:
            if exc.status != 410:
                raise

    # -- push channels -----------------------------------------------------------------------

    def watch(
        self, calendar_id: str, channel_id: str, token: str, address: str, ttl_seconds: int
    ) -> dict:
        """Open a push-notification channel on a calendar's events."""
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "params": {"ttl": str(ttl_seconds)},
        }
        return self._json("POST", events_path(calendar_id) + "/watch", json=body)

    def stop_channel(self, channel_id: str, resource_id: str) -> None:
        """Stop a channel; an unknown one (404) counts as stopped."""
        try:
            self.request(
                "POST", "/channels/stop", json={"id": channel_id, "resourceId": resource_id}
            )
        except GoogleApiError as exc:
            if exc.status != 404:
                raise

    # -- batch -------------------------------------------------------------------------------

    def batch(self, calls: list[Call]) -> list[BatchResult]:
        """Send up to 1000 calls in one multipart/mixed request; answers in call order."""
        if not calls:
            return []
        boundary = "batch_" + uuid.uuid4().hex
        prefix = "/" + self.api_root.split("/", 3)[3] if self.api_root.count("/") >= 3 else ""
        body = encode_batch(calls, boundary, prefix)
        response = self.request(
            "POST",
            self.batch_uri,
            data=body.encode(),
            headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
            parts=len(calls),
        )
        return decode_batch(response, len(calls))
