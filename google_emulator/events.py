"""Event rules: validation, normalisation, patch merging, instances and rendering."""

from __future__ import annotations

import base64
import copy
from datetime import datetime
from typing import Any

from . import timefmt
from .errors import ApiError
from .model import Calendar
from .recurrence import Occurrence, RecurrenceError, Series

# Fields a client may write; anything else in a request body is ignored, as Calendar v3 does.
WRITABLE = {
    "anyoneCanAddSelf",
    "attachments",
    "attendees",
    "attendeesOmitted",
    "colorId",
    "conferenceData",
    "description",
    "end",
    "endTimeUnspecified",
    "eventType",
    "extendedProperties",
    "gadget",
    "guestsCanInviteOthers",
    "guestsCanModify",
    "guestsCanSeeOtherGuests",
    "location",
    "recurrence",
    "reminders",
    "sequence",
    "source",
    "start",
    "status",
    "summary",
    "transparency",
    "visibility",
    "focusTimeProperties",
    "outOfOfficeProperties",
    "workingLocationProperties",
}

# Google's own field order in an Event resource.
ORDER = [
    "kind",
    "etag",
    "id",
    "status",
    "htmlLink",
    "created",
    "updated",
    "summary",
    "description",
    "location",
    "colorId",
    "creator",
    "organizer",
    "start",
    "end",
    "endTimeUnspecified",
    "recurrence",
    "recurringEventId",
    "originalStartTime",
    "transparency",
    "visibility",
    "iCalUID",
    "sequence",
    "attendees",
    "attendeesOmitted",
    "extendedProperties",
    "hangoutLink",
    "conferenceData",
    "gadget",
    "anyoneCanAddSelf",
    "guestsCanInviteOthers",
    "guestsCanModify",
    "guestsCanSeeOtherGuests",
    "privateCopy",
    "locked",
    "reminders",
    "source",
    "attachments",
    "eventType",
    "birthdayProperties",
    "focusTimeProperties",
    "outOfOfficeProperties",
    "workingLocationProperties",
]

STATUSES = {"confirmed", "tentative", "cancelled"}
TIME_FIELDS = ("start", "end", "originalStartTime")


def normalize_time(value: Any, which: str, cal_tz: str) -> dict[str, str]:
    """A validated EventDateTime with dateTime rendered in its zone (or the calendar's)."""
    if not isinstance(value, dict) or not (value.get("date") or value.get("dateTime")):
        raise ApiError(400, "required", f"Missing {which} time.")
    tz = value.get("timeZone")
    if tz is not None and not timefmt.is_zone(tz):
        raise ApiError(400, "invalid", f"Invalid time zone definition for {which} time.")
    if value.get("date") and value.get("dateTime"):
        raise ApiError(400, "invalid", f"Invalid {which} time.")
    if value.get("date"):
        try:
            day = timefmt.parse_date(value["date"])
        except ValueError:
            raise ApiError(400, "invalid", f"Invalid {which} time.") from None
        out = {"date": day.isoformat()}
        if tz:
            out["timeZone"] = tz
        return out
    try:
        moment = timefmt.parse_local_or_aware(value["dateTime"])
    except (ValueError, TypeError):
        raise ApiError(400, "invalid", f"Invalid {which} time.") from None
    if moment.tzinfo is None:
        if not tz:
            raise ApiError(400, "required", f"Missing time zone definition for {which} time.")
        moment = timefmt.localize(moment, tz)
    out = {"dateTime": timefmt.render_in_zone(moment, tz or cal_tz)}
    if tz:
        out["timeZone"] = tz
    return out


def instant(value: dict[str, str], cal_tz: str) -> datetime:
    """The instant an EventDateTime starts (all-day dates at midnight in the calendar's zone)."""
    if "date" in value:
        return timefmt.date_start(timefmt.parse_date(value["date"]), cal_tz)
    return timefmt.parse_rfc3339(value["dateTime"])


def interval(data: dict[str, Any], cal_tz: str) -> tuple[datetime, datetime]:
    """The event's [start, end) instants."""
    return instant(data["start"], cal_tz), instant(data["end"], cal_tz)


def check_times(start: dict, end: dict, cal_tz: str) -> None:
    """Refuse mixed kinds and empty or inverted ranges."""
    if ("date" in start) != ("date" in end):
        raise ApiError(
            400, "invalid", "Start and end times must either both be date or both be dateTime."
        )
    begin, finish = instant(start, cal_tz), instant(end, cal_tz)
    if finish < begin or ("date" in start and finish == begin):
        raise ApiError(
            400,
            "timeRangeEmpty",
            "The specified time range is empty.",
            location="end.dateTime" if "dateTime" in end else "end.date",
            location_type="parameter",
        )


def series_of(data: dict[str, Any], cal_tz: str) -> Series:
    """The Series of a recurring master."""
    return Series(data["start"], data["end"], data.get("recurrence") or [], cal_tz)


def check_recurrence(data: dict[str, Any], cal_tz: str) -> None:
    """Refuse a recurrence Google could not expand."""
    lines = data.get("recurrence")
    if not lines:
        return
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        raise ApiError(400, "invalid", "Invalid recurrence rule.")
    if "dateTime" in data["start"] and not data["start"].get("timeZone"):
        # Google insists on a named zone for timed series: an offset is not enough to
        # know where DST moves the wall clock.
        raise ApiError(400, "required", "Missing time zone definition for start time.")
    try:
        series = series_of(data, cal_tz)
        next(iter(series.occurrences(None, None, limit=1)), None)
    except (RecurrenceError, ValueError, OverflowError):
        raise ApiError(400, "invalid", "Invalid recurrence rule.") from None


def _check_types(data: dict[str, Any]) -> None:
    for name in ("summary", "description", "location", "colorId", "transparency", "visibility"):
        if name in data and not isinstance(data[name], str):
            raise ApiError(400, "invalid", f"Invalid value for: {name}")
    if "status" in data and data["status"] not in STATUSES:
        raise ApiError(400, "invalid", "Invalid value for: status")
    if "transparency" in data and data["transparency"] not in ("opaque", "transparent"):
        raise ApiError(400, "invalid", "Invalid value for: transparency")
    if "visibility" in data and data["visibility"] not in (
        "default",
        "public",
        "private",
        "confidential",
    ):
        raise ApiError(400, "invalid", "Invalid value for: visibility")
    ext = data.get("extendedProperties")
    if ext is not None:
        if not isinstance(ext, dict):
            raise ApiError(400, "invalid", "Invalid value for: extendedProperties")
        for scope in ("private", "shared"):
            props = ext.get(scope)
            if props is None:
                continue
            if not isinstance(props, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in props.items()
            ):
                raise ApiError(400, "invalid", f"Invalid value for: extendedProperties.{scope}")
    if "attendees" in data:
        attendees = data["attendees"]
        if not isinstance(attendees, list) or not all(
            isinstance(a, dict) and isinstance(a.get("email", ""), str) for a in attendees
        ):
            raise ApiError(400, "invalid", "Invalid attendee email.")
    if "reminders" in data and not isinstance(data["reminders"], dict):
        raise ApiError(400, "invalid", "Invalid value for: reminders")
    if "sequence" in data and not isinstance(data["sequence"], int):
        raise ApiError(400, "invalid", "Invalid value for: sequence")


def writable(body: dict[str, Any]) -> dict[str, Any]:
    """Only the fields a client may write, deep-copied."""
    return {k: copy.deepcopy(v) for k, v in body.items() if k in WRITABLE and v is not None}


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Google's patch semantics: objects merge per key, arrays and scalars replace, null clears."""
    out = dict(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            current = dict(out[key])
            if key in TIME_FIELDS:
                # Switching between all-day and timed must not leave both forms behind.
                if "date" in value:
                    current.pop("dateTime", None)
                if "dateTime" in value:
                    current.pop("date", None)
            out[key] = merge_patch(current, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def people(cal: Calendar, owner_email: str, owner_name: str | None) -> dict[str, dict]:
    """creator and organizer of events written on this calendar by its owner."""
    creator: dict[str, Any] = {"email": owner_email, "self": True}
    if cal.primary:
        organizer: dict[str, Any] = {"email": cal.id, "self": True}
    else:
        organizer = {"email": cal.id, "displayName": cal.summary, "self": True}
    return {"creator": creator, "organizer": organizer}


def _times_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return any(old.get(k) != new.get(k) for k in ("start", "end", "recurrence"))


def build(
    cal: Calendar,
    body: dict[str, Any],
    *,
    event_id: str,
    previous: dict[str, Any] | None,
    now: datetime,
    etag: str,
    owner_email: str,
    owner_name: str | None = None,
) -> dict[str, Any]:
    """The stored data of an event written with this full body (insert, update or merged patch)."""
    data = writable(body)
    _check_types(data)
    is_exception = bool(previous and previous.get("recurringEventId"))
    if is_exception:
        data.pop("recurrence", None)
    data["start"] = normalize_time(data.get("start"), "start", cal.time_zone)
    data["end"] = normalize_time(data.get("end"), "end", cal.time_zone)
    check_times(data["start"], data["end"], cal.time_zone)
    if not data.get("recurrence"):
        data.pop("recurrence", None)
    check_recurrence(data, cal.time_zone)
    data.setdefault("status", "confirmed")
    data.setdefault("reminders", {"useDefault": True})
    data.setdefault("eventType", "default")
    stamp = timefmt.rfc3339_ms(now)
    if previous:
        for keep in (
            "created",
            "creator",
            "organizer",
            "iCalUID",
            "recurringEventId",
            "originalStartTime",
        ):
            if keep in previous:
                data[keep] = copy.deepcopy(previous[keep])
        sequence = int(previous.get("sequence", 0))
        if _times_changed(previous, data):
            sequence += 1
        data["sequence"] = max(sequence, int(body.get("sequence") or 0))
    else:
        data["created"] = stamp
        data.update(people(cal, owner_email, owner_name))
        data["iCalUID"] = f"{event_id}@google.com"
        data["sequence"] = int(body.get("sequence") or 0)
    data["id"] = event_id
    data["etag"] = etag
    data["updated"] = stamp
    return data


def html_link(base_url: str, event_id: str, calendar_id: str) -> str:
    """The `htmlLink` (Google's eid is base64 of "<eventId> <calendarId>")."""
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"{base_url.rstrip('/')}/calendar/event?eid={eid}"


def render(
    data: dict[str, Any], cal: Calendar, base_url: str, *, minimal: bool = False
) -> dict[str, Any]:
    """The Event resource as the API answers it, in Google's field order."""
    if minimal:
        # Deleted events in a list carry only their identity (and the series link for
        # cancelled instances); clients must not expect the rest.
        out: dict[str, Any] = {
            "kind": "calendar#event",
            "etag": data["etag"],
            "id": data["id"],
            "status": "cancelled",
        }
        for key in ("recurringEventId", "originalStartTime"):
            if key in data:
                out[key] = copy.deepcopy(data[key])
        return out
    full = dict(data)
    full["kind"] = "calendar#event"
    full["htmlLink"] = html_link(base_url, data["id"], cal.id)
    out = {k: copy.deepcopy(full[k]) for k in ORDER if k in full}
    return out


def instance_data(master: dict[str, Any], occ: Occurrence, tz: str) -> dict[str, Any]:
    """A virtual (unmodified) instance of a series."""
    data = {k: copy.deepcopy(v) for k, v in master.items() if k != "recurrence"}
    data["id"] = f"{master['id']}_{occ.suffix}"
    data["recurringEventId"] = master["id"]
    data["originalStartTime"] = occ.original_start_time(tz)
    if occ.all_day:
        data["start"] = {"date": occ.start.astimezone(timefmt.zone(tz)).date().isoformat()}
        data["end"] = {"date": occ.end.astimezone(timefmt.zone(tz)).date().isoformat()}
    else:
        data["start"] = {"dateTime": timefmt.render_in_zone(occ.start, tz), "timeZone": tz}
        end_tz = master["end"].get("timeZone") or tz
        data["end"] = {"dateTime": timefmt.render_in_zone(occ.end, end_tz), "timeZone": end_tz}
    return data


def text_matches(data: dict[str, Any], q: str) -> bool:
    """Case-insensitive free-text match on summary, description, location and people."""
    needle = q.casefold()
    hay = [data.get("summary"), data.get("description"), data.get("location")]
    for person in data.get("attendees") or []:
        hay += [person.get("email"), person.get("displayName")]
    organizer = data.get("organizer") or {}
    hay += [organizer.get("email"), organizer.get("displayName")]
    return any(isinstance(h, str) and needle in h.casefold() for h in hay)


def properties_match(data: dict[str, Any], scope: str, wanted: list[tuple[str, str]]) -> bool:
    """Whether every name=value constraint matches extendedProperties.<scope>."""
    props = (data.get("extendedProperties") or {}).get(scope) or {}
    return all(props.get(name) == value for name, value in wanted)
