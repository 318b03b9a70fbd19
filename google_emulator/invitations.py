"""Invitations: events someone else organises, as they appear in an attendee's calendar.

Sources:
- DISCOVERY: calendar.v3's Event schema (`organizer.self` "Whether the organizer corresponds
  to the calendar on which this copy of the event appears"; `attendees[].self`;
  `responseStatus` values; `guestsCanModify` default False, `guestsCanInviteOthers` and
  `guestsCanSeeOtherGuests` default True).
- ERRORS: "Handle API errors", 403 forbiddenForNonOrganizer,
  https://developers.google.com/workspace/calendar/api/guides/errors
- EXTENDED: "Extended properties": private properties belong to one attendee's copy, shared
  ones are editable by all attendees, https://developers.google.com/calendar/extended-properties
An attendee's edit of shared fields (title, time, place, description ...) answers 200 and
keeps the organiser's values: integrators' reports; Google's docs are silent (unconfirmed).
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError

RESPONSES = ("needsAction", "declined", "tentative", "accepted")
GUEST_DEFAULTS = {
    "guestsCanModify": False,
    "guestsCanInviteOthers": True,
    "guestsCanSeeOtherGuests": True,
}
# What an attendee may set on their own copy (EXTENDED for the properties).
OWN_FIELDS = ("reminders", "colorId", "transparency")
OWN_ATTENDEE_FIELDS = ("responseStatus", "comment", "additionalGuests")


def forbidden() -> ApiError:
    """403 forbiddenForNonOrganizer, worded as Google words it (ERRORS)."""
    return ApiError(
        403,
        "forbiddenForNonOrganizer",
        "Shared properties can only be changed by the organizer of the event.",
        domain="calendar",
    )


def is_invitation(data: dict[str, Any], calendar_id: str, owner_email: str) -> bool:
    """Whether this copy is someone else's event with the calendar's owner invited to it."""
    organizer = (data.get("organizer") or {}).get("email", "").lower()
    if not organizer or organizer == calendar_id.lower():
        return False
    return any(
        (p.get("email") or "").lower() == owner_email.lower() for p in data.get("attendees") or []
    )


def mark_people(data: dict[str, Any], owner_email: str) -> None:
    """Set `self` and `organizer` on attendees as Google computes them (DISCOVERY)."""
    organizer = (data.get("organizer") or {}).get("email", "").lower()
    for person in data.get("attendees") or []:
        email = (person.get("email") or "").lower()
        if email == owner_email.lower():
            person["self"] = True
        else:
            person.pop("self", None)
        if organizer and email == organizer:
            person["organizer"] = True
        else:
            person.pop("organizer", None)
        if person.get("responseStatus") not in RESPONSES:
            person["responseStatus"] = "needsAction"


def _check_guest_settings(current: dict[str, Any], body: dict[str, Any], replace: bool) -> None:
    # ERRORS: guests may not change guestsCan*; a PUT that omits them sets their defaults,
    # which is a change when the organiser chose otherwise. Re-sending the same value is
    # tolerated (unconfirmed).
    for name, default in GUEST_DEFAULTS.items():
        have = current.get(name, default)
        if name in body and body[name] is not None:
            wanted = body[name]
        elif replace or (name in body and body[name] is None):
            wanted = default
        else:
            continue
        if wanted != have:
            raise forbidden()


def _own_answer(current: list[dict[str, Any]], sent: Any, owner_email: str) -> list[dict[str, Any]]:
    """The organiser's attendee list with only the user's own entry updated from `sent`."""
    people = copy.deepcopy(current)
    if not isinstance(sent, list):
        return people
    mine = next(
        (
            p
            for p in sent
            if isinstance(p, dict) and (p.get("email") or "").lower() == owner_email.lower()
        ),
        None,
    )
    if mine is None:
        mine = next((p for p in sent if isinstance(p, dict) and p.get("self")), None)
    if mine is None:
        return people
    for person in people:
        if (person.get("email") or "").lower() == owner_email.lower():
            for name in OWN_ATTENDEE_FIELDS:
                if name in mine:
                    person[name] = mine[name]
            if person.get("responseStatus") not in RESPONSES:
                raise ApiError(400, "invalid", "Invalid attendee response status.")
    return people


def attendee_body(
    current: dict[str, Any], body: dict[str, Any], *, replace: bool, owner_email: str
) -> dict[str, Any]:
    """What an attendee's write really asks for: the organiser's fields, the user's own."""
    _check_guest_settings(current, body, replace)
    if replace:
        out = {k: copy.deepcopy(v) for k, v in current.items() if k not in OWN_FIELDS}
        out.pop("extendedProperties", None)
        out["extendedProperties"] = _properties(current, body, replace=True)
        for name in OWN_FIELDS:
            if name in body:
                out[name] = copy.deepcopy(body[name])
    else:
        out = {name: copy.deepcopy(body[name]) for name in OWN_FIELDS if name in body}
        if "extendedProperties" in body:
            out["extendedProperties"] = _properties(current, body, replace=False)
    if "attendees" in body:
        out["attendees"] = _own_answer(
            current.get("attendees") or [], body["attendees"], owner_email
        )
    return out


def _properties(current: dict[str, Any], body: dict[str, Any], *, replace: bool) -> Any:
    sent = body.get("extendedProperties")
    if replace:
        return copy.deepcopy(sent) if isinstance(sent, dict) else None
    return copy.deepcopy(sent)


def organizer_body(current: dict[str, Any], body: dict[str, Any], owner_email: str) -> dict:
    """The organiser's patch as it lands on the attendee's copy: their own fields stay."""
    out = {k: copy.deepcopy(v) for k, v in body.items() if k not in OWN_FIELDS}
    out.pop("extendedProperties", None)
    if "attendees" in body:
        own = next(
            (
                p
                for p in current.get("attendees") or []
                if (p.get("email") or "").lower() == owner_email.lower()
            ),
            None,
        )
        people = [
            p
            for p in copy.deepcopy(body["attendees"] or [])
            if (p.get("email") or "").lower() != owner_email.lower()
        ]
        if own is not None:
            people.append(own)
        out["attendees"] = people
    return out


def invitation_body(body: dict[str, Any], owner_email: str, owner_name: str) -> dict[str, Any]:
    """The attendee's copy of a new invitation: organiser first, the user last."""
    organizer = body.get("organizer")
    if isinstance(organizer, str):
        organizer = {"email": organizer}
    if not isinstance(organizer, dict) or not organizer.get("email"):
        raise ValueError("an invitation needs organizer.email")
    if organizer["email"].lower() == owner_email.lower():
        raise ValueError("the organizer of an invitation must be someone else")
    response = body.get("responseStatus", "needsAction")
    if response not in RESPONSES:
        raise ValueError(f"responseStatus must be one of {', '.join(RESPONSES)}")
    out = {k: copy.deepcopy(v) for k, v in body.items() if k not in ("organizer", "responseStatus")}
    host = {**organizer, "responseStatus": "accepted"}
    others = [
        p
        for p in out.get("attendees") or []
        if (p.get("email") or "").lower() not in (owner_email.lower(), organizer["email"].lower())
    ]
    me = {"email": owner_email, "displayName": owner_name, "responseStatus": response}
    out["attendees"] = [host, *others, me]
    out["organizer"] = {k: v for k, v in organizer.items() if k in ("email", "displayName")}
    return out
