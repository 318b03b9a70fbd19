"""The events.insert / update / patch pipeline: each of Google's rules applied in turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import conference, ids, invitations, timefmt
from . import event_types as types
from . import events as ev
from .errors import ApiError
from .model import Calendar, User

API = "api"  # a client, through Calendar v3
USER = "user"  # the calendar's owner in Google Calendar's own UI
GOOGLE = "google"  # Gmail, Contacts or another person's calendar (the organiser)


@dataclass
class Write:
    """Who writes, and how (conferenceDataVersion only matters to API clients)."""

    actor: str = API
    conference_version: int = 0

    @property
    def as_google(self) -> bool:
        """Whether Google itself (or the organiser) writes, past the attendee's limits."""
        return self.actor == GOOGLE

    @property
    def keeps_conference(self) -> bool:
        """Whether conferenceData in the body is taken (conference.py)."""
        return self.actor != API or self.conference_version >= 1


def choose_id(cal: Calendar, body: dict[str, Any], how: Write) -> str:
    """The new event's id: the client's (checked) or a fresh one."""
    gmail = types.kind_of(body) == "fromGmail"
    event_id = body.get("id")
    if event_id is not None:
        # Gmail's events carry ids starting with "_", outside the base32hex a client may use.
        plain = event_id[1:] if gmail and how.as_google and event_id.startswith("_") else event_id
        if not isinstance(event_id, str) or not ids.valid_event_id(plain):
            raise ApiError(400, "invalid", "Invalid resource id value.")
        if event_id in cal.events:
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        return event_id
    while True:
        event_id = ("_" if gmail else "") + ids.new_event_id()
        if event_id not in cal.events:
            return event_id


def _build(
    cal: Calendar,
    body: dict[str, Any],
    event_id: str,
    previous: dict[str, Any] | None,
    owner: User,
) -> dict[str, Any]:
    return ev.build(
        cal,
        body,
        event_id=event_id,
        previous=previous,
        now=timefmt.utcnow(),
        etag=ids.new_etag(),
        owner_email=owner.email,
        owner_name=owner.name,
    )


def _finish(
    cal: Calendar,
    data: dict[str, Any],
    body: dict[str, Any],
    previous: dict[str, Any] | None,
    owner: User,
    how: Write,
) -> dict[str, Any]:
    if previous is None and how.as_google and isinstance(body.get("organizer"), dict):
        data["organizer"] = dict(body["organizer"])
        data["creator"] = dict(body.get("creator") or body["organizer"])
    types.finish(cal, data, body=body, previous=previous, as_google=how.as_google)
    invitations.mark_people(data, owner.email)
    conference.finish(data)
    return data


def insert(cal: Calendar, body: dict[str, Any], owner: User, how: Write) -> dict[str, Any]:
    """The stored data of a new event, or the ApiError Google answers."""
    if not isinstance(body, dict):
        raise ApiError(400, "badRequest", "Bad Request")
    types.check_new(cal, body, as_google=how.as_google)
    event_id = choose_id(cal, body, how)
    body = conference.prepare(body, None, how.keeps_conference)
    data = _build(cal, body, event_id, None, owner)
    return _finish(cal, data, body, None, owner, how)


def update(
    cal: Calendar,
    current: dict[str, Any],
    body: dict[str, Any],
    owner: User,
    how: Write,
    *,
    replace: bool,
) -> dict[str, Any]:
    """The stored data after a patch (replace=False) or an update (replace=True)."""
    if not isinstance(body, dict):
        raise ApiError(400, "badRequest", "Bad Request")
    if invitations.is_invitation(current, cal.id, owner.email):
        if how.as_google:
            body = invitations.organizer_body(current, body, owner.email)
        else:
            body = invitations.attendee_body(
                current, body, replace=replace, owner_email=owner.email
            )
    if replace and not how.as_google:
        body = types.carry_over(current, body)
    body = conference.prepare(body, current, how.keeps_conference)
    if replace:
        merged = dict(body)
        if current.get("recurringEventId"):
            merged.pop("recurrence", None)
    else:
        merged = ev.merge_patch({k: v for k, v in current.items() if k in ev.WRITABLE}, body)
    data = _build(cal, merged, current["id"], current, owner)
    if not how.as_google:
        types.check_change(cal, current, data)
    return _finish(cal, data, body, current, owner, how)
