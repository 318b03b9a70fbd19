"""A thin, typed client for Google Calendar v3 over HTTP. It knows nothing of the database."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import requests

# Reasons Google documents as "back off and try again".
RETRYABLE_403 = {"rateLimitExceeded", "userRateLimitExceeded"}
MAX_PAGE = 2500


class TokenSource(Protocol):
    """Supplies bearer tokens; refresh() is called once after a 401."""

    def access_token(self) -> str: ...

    def refresh(self) -> str: ...


class GoogleApiError(Exception):
    """An error answer from Google, with its status and first reason."""

    def __init__(
        self, status: int, reason: str = "", message: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {reason}: {message}".strip())
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """Whether backing off and trying again may succeed."""
        if self.status in (429, 500, 502, 503, 504):
            return True
        return self.status == 403 and self.reason in RETRYABLE_403

    @classmethod
    def from_response(cls, response: requests.Response) -> GoogleApiError:
        """Read Google's error envelope (or whatever came back) into an exception."""
        reason, message = "", response.reason or ""
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        if isinstance(error, dict):
            message = error.get("message", message)
            errors = error.get("errors") or [{}]
            reason = errors[0].get("reason", "") or error.get("status", "")
        elif isinstance(error, str):  # OAuth-style {"error": "invalid_grant"}
            reason = error
        return cls(response.status_code, reason, message, _retry_after(response))


class GoogleUnavailable(GoogleApiError):
    """The network failed before Google answered (timeout, refused, reset)."""

    def __init__(self, message: str) -> None:
        super().__init__(503, "networkError", message)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class BatchCall:
    """One call inside a batch request."""

    method: str
    path: str
    body: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class BatchResult:
    """One answer from a batch response, in request order."""

    status: int
    body: dict | None
    error: GoogleApiError | None = None


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

    def _raw(self, method: str, url: str, token: str, kwargs: dict) -> requests.Response:
        headers = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token}"}
        if self.throttle is not None:
            self.throttle()
        self.calls += 1
        try:
            return self.session.request(
                method, url, timeout=self.timeout, **{**kwargs, "headers": headers}
            )
        except requests.RequestException as exc:
            raise GoogleUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = self._raw(method, url, self.tokens.access_token(), kwargs)
        if response.status_code == 401:
            # An access token can be revoked or expire early: refresh once, then give up.
            response = self._raw(method, url, self.tokens.refresh(), kwargs)
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one call; back off briefly on rate limits and 5xx; raise GoogleApiError."""
        url = path if path.startswith("http") else self.api_root + path
        attempt = 0
        while True:
            try:
                response = self._send(method, url, **kwargs)
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
        return self._json("GET", f"/users/me/calendarList/{_q(calendar_id)}")

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
        return self._json("GET", f"/calendars/{_q(calendar_id)}/events", params=params)

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
        return self._json(
            "POST",
            f"/calendars/{_q(calendar_id)}/events",
            params={"sendUpdates": "none"},
            json=body,
        )

    def patch_event(
        self, calendar_id: str, event_id: str, body: dict, etag: str | None = None
    ) -> dict:
        """Patch the fields in body; with etag, only if nobody changed it since (else 412)."""
        headers = {"If-Match": etag} if etag else {}
        return self._json(
            "PATCH",
            event_path(calendar_id, event_id),
            params={"sendUpdates": "none"},
            json=body,
            headers=headers,
        )

    def delete_event(self, calendar_id: str, event_id: str, etag: str | None = None) -> None:
        """Delete an event; an already deleted one (410) counts as done."""
        headers = {"If-Match": etag} if etag else {}
        try:
            self.request(
                "DELETE",
                event_path(calendar_id, event_id),
                params={"sendUpdates": "none"},
                headers=headers,
            )
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
        return self._json("POST", f"/calendars/{_q(calendar_id)}/events/watch", json=body)

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

    def batch(self, calls: list[BatchCall]) -> list[BatchResult]:
        """Send up to 1000 calls in one multipart/mixed request; answers in call order."""
        if not calls:
            return []
        if self.throttle is not None:
            # Google counts every part against the quota; the request itself counts below.
            for _ in calls[1:]:
                self.throttle()
        boundary = "batch_" + uuid.uuid4().hex
        prefix = "/" + self.api_root.split("/", 3)[3] if self.api_root.count("/") >= 3 else ""
        body = _encode_batch(calls, boundary, prefix)
        response = self.request(
            "POST",
            self.batch_uri,
            data=body.encode(),
            headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
        )
        return _decode_batch(response, len(calls))


def events_path(calendar_id: str) -> str:
    """The API path of a calendar's events collection."""
    return f"/calendars/{_q(calendar_id)}/events"


def _q(value: str) -> str:
    return quote(value, safe="")


def event_path(calendar_id: str, event_id: str) -> str:
    """The API path of one event (ids quoted)."""
    return f"/calendars/{_q(calendar_id)}/events/{_q(event_id)}"


def _encode_batch(calls: list[BatchCall], boundary: str, prefix: str) -> str:
    parts = []
    for index, call in enumerate(calls):
        lines = [
            f"--{boundary}",
            "Content-Type: application/http",
            f"Content-ID: <item{index}>",
            "",
            f"{call.method} {prefix}{call.path} HTTP/1.1",
        ]
        lines += [f"{k}: {v}" for k, v in call.headers.items()]
        if call.body is not None:
            lines += ["Content-Type: application/json", "", json.dumps(call.body)]
        else:
            lines += [""]
        parts.append("\r\n".join(lines))
    return "\r\n".join(parts) + f"\r\n--{boundary}--\r\n"


def _decode_batch(response: requests.Response, expected: int) -> list[BatchResult]:
    content_type = response.headers.get("Content-Type", "")
    boundary = content_type.split("boundary=", 1)[-1].strip('"; ')
    text = response.text.replace("\r\n", "\n")
    results: dict[int, BatchResult] = {}
    for chunk in text.split(f"--{boundary}")[1:]:
        if chunk.startswith("--"):
            break
        outer, _, inner = chunk.strip("\n").partition("\n\n")
        index = _content_index(outer)
        status_line, _, rest = inner.partition("\n")
        status = int(status_line.split()[1])
        _, _, payload = rest.partition("\n\n")
        body = json.loads(payload) if payload.strip() else None
        error = None
        if status >= 400:
            envelope = (body or {}).get("error", {})
            reasons = envelope.get("errors") or [{}]
            reason = reasons[0].get("reason", "")
            error = GoogleApiError(status, reason, envelope.get("message", ""))
        results[index] = BatchResult(status, body, error)
    missing = BatchResult(0, None, GoogleUnavailable("no answer for this part"))
    return [results.get(i, missing) for i in range(expected)]


def _content_index(headers: str) -> int:
    for line in headers.split("\n"):
        if line.lower().startswith("content-id:"):
            value = line.split(":", 1)[1].strip().strip("<>")
            digits = value.rsplit("item", 1)[-1]
            if digits.isdigit():
                return int(digits)
    return -1
