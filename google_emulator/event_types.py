"""Google's rules for each `eventType`: what may be created, what may change, what is forced.

Sources (cited per rule below):
- EVENT_TYPES: "Event types" guide,
  https://developers.google.com/workspace/calendar/api/guides/event-types
- STATUS: "Manage focus time, out of office, and working location events",
  https://developers.google.com/calendar/api/guides/calendar-status
- DISCOVERY: the Event schema of calendar.v3's discovery document ("eventType ... cannot be
  modified after the event is created"; "fromGmail ... cannot be created").
- GMAIL_NOTE: Calendar API release notes, May 22, 2024 (events from Gmail),
  https://developers.google.com/calendar/api/releases
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from . import events as ev
from . import timefmt
from .errors import ApiError
from .model import Calendar

TYPES = ("default", "outOfOffice", "focusTime", "workingLocation", "birthday", "fromGmail")
PROPERTY_FIELDS = {
    "outOfOffice": "outOfOfficeProperties",
    "focusTime": "focusTimeProperties",
    "workingLocation": "workingLocationProperties",
}
# EVENT_TYPES (birthday): after creation only these may change with update or patch.
BIRTHDAY_CHANGEABLE = {"colorId", "summary", "reminders", "start", "end"}
# EVENT_TYPES (fromGmail) and GMAIL_NOTE: the properties an update may touch. The 2024 note
# listed reminders, colorId, visibility, status and extendedProperties; the guide adds
# transparency and attendees.
GMAIL_CHANGEABLE = {
    "colorId",
    "reminders",
    "visibility",
    "transparency",
    "status",
    "attendees",
    "extendedProperties",
}
# Fields Google sets itself on these types and keeps across writes (read-only or immutable).
KEPT = ("privateCopy", "birthdayProperties", "locked")
BIRTHDAY_KINDS = {"birthday", "anniversary", "custom", "other", "self"}
WORKING_KINDS = {"homeOffice", "officeLocation", "customLocation"}
NO_PRIVATE = "'birthday' event type must not have private extended properties."


def restriction(message: str) -> ApiError:
    """The 400 `eventTypeRestriction` refusal clients match on."""
    return ApiError(400, "eventTypeRestriction", message, domain="calendar")


def kind_of(data: dict[str, Any]) -> str:
    """The event type of stored or requested data."""
    return data.get("eventType") or "default"


def check_new(cal: Calendar, body: dict[str, Any], *, as_google: bool) -> None:
    """Refuse what no client may create (DISCOVERY, STATUS); as_google is Gmail or Contacts."""
    kind = kind_of(body)
    if kind not in TYPES:
        raise ApiError(400, "invalid", "Invalid value for: eventType")
    if kind == "fromGmail" and not as_google:
        raise restriction("Event type 'fromGmail' cannot be created.")
    if kind in PROPERTY_FIELDS and not cal.primary:
        # STATUS: "These features are only available on primary calendars". Google's exact
        # answer on a secondary calendar is unconfirmed.
        raise restriction(f"Events of type '{kind}' can only be created on a primary calendar.")


def carry_over(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A PUT body with what the type does not let a client change kept from the event.

    DISCOVERY: eventType cannot be modified, so a PUT that omits it on a typed event is a
    change and is refused. For the other locked fields, whether Google treats an omission
    as a change is unconfirmed: the emulator is tolerant and keeps them."""
    kind = kind_of(current)
    if kind != "default" and "eventType" not in body:
        raise restriction("Event type cannot be changed.")
    out = dict(body)
    allowed = _changeable(kind)
    if allowed is None:
        return out
    for name, value in current.items():
        if name in ev.WRITABLE and name not in allowed and name not in out:
            out[name] = copy.deepcopy(value)
    return out


def _changeable(kind: str) -> set[str] | None:
    if kind == "birthday":
        return BIRTHDAY_CHANGEABLE
    if kind == "fromGmail":
        return GMAIL_CHANGEABLE
    return None


def _same(name: str, old: Any, new: Any, tz: str) -> bool:
    if name in ("start", "end") and old and new:
        return ev.instant(old, tz) == ev.instant(new, tz) and ("date" in old) == ("date" in new)
    return old == new


def check_change(cal: Calendar, current: dict[str, Any], data: dict[str, Any]) -> None:
    """Refuse a write that changes the type or a field the type locks (EVENT_TYPES)."""
    kind = kind_of(current)
    if kind_of(data) != kind:
        raise restriction("Event type cannot be changed.")
    allowed = _changeable(kind)
    if allowed is None:
        return
    if kind == "birthday" and (data.get("extendedProperties") or {}).get("private"):
        raise restriction(NO_PRIVATE)
    for name in sorted(ev.WRITABLE - allowed - {"sequence", "eventType"}):
        if not _same(name, current.get(name), data.get(name), cal.time_zone):
            if kind == "birthday":
                raise restriction(
                    "Only summary, colorId, reminders, start and end of a 'birthday' event "
                    f"can be changed (not {name})."
                )
            raise restriction(f"The field '{name}' of a 'fromGmail' event cannot be changed.")


def finish(
    cal: Calendar,
    data: dict[str, Any],
    *,
    body: dict[str, Any],
    previous: dict[str, Any] | None,
    as_google: bool,
) -> None:
    """Apply the type's defaults and invariants to built data, or refuse it."""
    kind = kind_of(data)
    if previous is not None:
        for name in KEPT:
            if name in previous:
                data[name] = copy.deepcopy(previous[name])
    for other_kind, field in PROPERTY_FIELDS.items():
        if other_kind != kind and field in data:
            # Properties of another type: tolerated and dropped (Google's answer unconfirmed).
            data.pop(field)
    if kind == "birthday":
        _birthday(cal, data, body, previous, as_google)
    elif kind in ("outOfOffice", "focusTime"):
        _busy_status(data, kind)
    elif kind == "workingLocation":
        _working_location(cal, data)
    elif kind == "fromGmail" and previous is None:
        _gmail(data, body)


def _one_all_day(data: dict[str, Any]) -> bool:
    start, end = data["start"], data["end"]
    if "date" not in start:
        return False
    return timefmt.parse_date(end["date"]) - timefmt.parse_date(start["date"]) == timedelta(1)


def _birthday(
    cal: Calendar,
    data: dict[str, Any],
    body: dict[str, Any],
    previous: dict[str, Any] | None,
    as_google: bool,
) -> None:
    # EVENT_TYPES (birthday): one all-day day, private, transparent, yearly, and no private
    # extended properties. Defaults where a field is omitted are the emulator's (tolerant).
    if not _one_all_day(data):
        raise restriction("A 'birthday' event must be an all-day event spanning exactly one day.")
    if (data.get("extendedProperties") or {}).get("private"):
        raise restriction(NO_PRIVATE)
    for name, forced in (("visibility", "private"), ("transparency", "transparent")):
        if data.setdefault(name, forced) != forced:
            raise restriction(f"A 'birthday' event must have {name} '{forced}'.")
    if previous is None:
        data["recurrence"] = data.get("recurrence") or [_yearly(data["start"]["date"])]
        if not all(line.startswith("RRULE:FREQ=YEARLY") for line in data["recurrence"]):
            raise restriction("A 'birthday' event must recur yearly.")
        props = body.get("birthdayProperties") or {"type": "birthday"}
        if not isinstance(props, dict) or props.get("type", "birthday") not in BIRTHDAY_KINDS:
            raise ApiError(400, "invalid", "Invalid value for: birthdayProperties.type")
        if props.get("type", "birthday") != "birthday" and not as_google:
            # EVENT_TYPES: only type 'birthday' can be created through the API; the other
            # kinds come from Google Contacts.
            raise restriction("Only birthdayProperties.type 'birthday' can be created.")
        data["birthdayProperties"] = {"type": "birthday", **props}


def _yearly(day: str) -> str:
    # EVENT_TYPES: a 29 February birthday recurs on the last day of February.
    if day[5:] == "02-29":
        return "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"
    return "RRULE:FREQ=YEARLY"


def _busy_status(data: dict[str, Any], kind: str) -> None:
    # STATUS: out-of-office and focus-time entries are timed and block the time (opaque).
    label = "an out-of-office" if kind == "outOfOffice" else "a focus-time"
    if "date" in data["start"]:
        raise restriction(f"The start and end of {label} event must be timed, not all-day.")
    if data.setdefault("transparency", "opaque") != "opaque":
        raise restriction(f"Transparency of {label} event must be 'opaque'.")
    props = data.setdefault(PROPERTY_FIELDS[kind], {})
    if not isinstance(props, dict):
        raise ApiError(400, "invalid", f"Invalid value for: {PROPERTY_FIELDS[kind]}")
    # Default decline mode: unconfirmed (the guide's examples always set one).
    props.setdefault("autoDeclineMode", "declineNone")


def _working_location(cal: Calendar, data: dict[str, Any]) -> None:
    # STATUS: public, transparent, timed or exactly one all-day day, typed properties and
    # no generic location field.
    if "date" in data["start"] and not _one_all_day(data):
        raise restriction("A working location event must be timed or span exactly one day.")
    if data.get("location"):
        raise restriction(
            "A working location event cannot have a location; use workingLocationProperties."
        )
    for name, forced in (("visibility", "public"), ("transparency", "transparent")):
        if data.setdefault(name, forced) != forced:
            raise restriction(f"A working location event must have {name} '{forced}'.")
    props = data.get("workingLocationProperties")
    if not isinstance(props, dict) or props.get("type") not in WORKING_KINDS:
        raise ApiError(
            400,
            "invalid",
            "workingLocationProperties.type must be homeOffice, officeLocation or customLocation.",
            location="workingLocationProperties.type",
            location_type="parameter",
        )


GMAIL_ORGANIZER = "unknownorganizer@calendar.google.com"


def _gmail(data: dict[str, Any], body: dict[str, Any]) -> None:
    # Events Gmail adds: a private copy, organised by Google's placeholder organizer (the
    # 2024 note says newer ones name the recipient instead: a given organizer is kept), and
    # start/end as bare UTC-offset dateTimes without a timeZone.
    data["privateCopy"] = True
    organizer = body.get("organizer") or {"email": GMAIL_ORGANIZER}
    data["organizer"] = copy.deepcopy(organizer)
    data["creator"] = copy.deepcopy(organizer)
    for which in ("start", "end"):
        given = body[which]
        if given.get("dateTime"):
            moment = timefmt.parse_local_or_aware(given["dateTime"])
            if moment.tzinfo is None:
                moment = timefmt.localize(moment, given.get("timeZone") or "UTC")
            data[which] = {"dateTime": moment.replace(microsecond=0).isoformat()}
