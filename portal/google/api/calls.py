"""One Calendar call described as data, the same whether it is sent alone or in a batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

# The portal never sends invitations: attendees are not its business.
NO_INVITES = {"sendUpdates": "none"}


@dataclass
class Call:
    """A method, a path below the API root, and what goes with them."""

    method: str
    path: str
    body: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> str:
        """The path with its query string, as a batch part's request line names it."""
        return f"{self.path}?{urlencode(self.params)}" if self.params else self.path


def events_path(calendar_id: str) -> str:
    """The API path of a calendar's events collection."""
    return f"/calendars/{_q(calendar_id)}/events"


def event_path(calendar_id: str, event_id: str) -> str:
    """The API path of one event (ids quoted)."""
    return f"{events_path(calendar_id)}/{_q(event_id)}"


def insert_call(calendar_id: str, body: dict) -> Call:
    """Insert an event."""
    return Call("POST", events_path(calendar_id), body, params=NO_INVITES)


def patch_call(calendar_id: str, event_id: str, body: dict, etag: str | None = None) -> Call:
    """Patch the fields in body; with etag, only if nobody changed the event since (else 412)."""
    return Call("PATCH", event_path(calendar_id, event_id), body, _if_match(etag), NO_INVITES)


def delete_call(calendar_id: str, event_id: str, etag: str | None = None) -> Call:
    """Delete an event."""
    return Call("DELETE", event_path(calendar_id, event_id), None, _if_match(etag), NO_INVITES)


def _if_match(etag: str | None) -> dict[str, str]:
    return {"If-Match": etag} if etag else {}


def _q(value: str) -> str:
    return quote(value, safe="")
