"""Translate between a portal Event and a Google Calendar event resource.

What is sent depends on the connection's privacy level (domain.md): NDIS numbers, participant
details and internal notes never leave the portal, whatever the level.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from portal.core.timezones import is_valid_zone
from portal.google.sync import kinds
from portal.models import Event, utcnow

BUSY_TITLE = "Coordinoter appointment"
# What the portal calls a Google event without a title, and how much of a title or place
# it keeps.
NO_TITLE = "(no title)"
TITLE_LIMIT = 200
LOCATION_LIMIT = 500
PORTAL_ID_KEY = "coordinoterEventId"


def google_id_for(id_prefix: str, event_id: int) -> str:
    """The Google event id derived from a portal event id, so a retried insert cannot duplicate.

    Google accepts client-chosen ids in base32hex (a-v, 0-9); "cn" + the connection's random
    prefix + the zero-padded event id stays inside that alphabet.
    """
    return f"cn{id_prefix}{event_id:010d}"


def synced_fields(event: Event, privacy_level: str) -> set[str]:
    """The portal fields Google holds for this event; only these are ever pulled back."""
    if event.origin == "google":
        # The coordinator's own Google events: Google owns their text as well as their time.
        return {"time", "title", "location", "notes"}
    return {
        "busy": {"time"},
        "private_title": {"time", "title"},
        "full": {"time", "title", "location", "notes"},
    }.get(privacy_level, {"time"})


def instance_id_for(series_google_id: str, event: Event) -> str:
    """Google's id for one occurrence of a series: the series id plus the original start.

    Timed occurrences use their original start in UTC (basic format), all-day ones the date.
    """
    if event.original_start_date is not None:
        return f"{series_google_id}_{event.original_start_date:%Y%m%d}"
    return f"{series_google_id}_{event.original_start_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def to_google(event: Event, privacy_level: str, remembered: dict | None = None) -> dict:
    """The whole body Google's copy of this event should have (a push sends what differs).

    remembered: what the link keeps of Google's copy (sync/body.remembered_fields), which an
    invitation's answer is written into.
    """
    if event.origin == "google":
        return _google_owned_body(event, remembered, kinds.changeable(event))
    return new_copy(event, privacy_level)


def expected_of(event: Event, privacy_level: str, remembered: dict | None = None) -> dict:
    """What Google's copy would show if it took this version of the event whole.

    For Google's own events this adds the shared fields their kind locks: a change to them is
    never sent (Google ignores or refuses it), but it is expected back, so that the push sees
    Google kept its own values and shows it, instead of recording the change as synced.
    """
    if event.origin == "google":
        return _google_owned_body(event, remembered, kinds.SHARED_FIELDS)
    return new_copy(event, privacy_level)


def new_copy(event: Event, privacy_level: str) -> dict:
    """The body of a copy the portal creates in Google (or keeps as its own there)."""
    fields = synced_fields(event, privacy_level)
    body: dict = {
        "summary": event.title if "title" in fields else BUSY_TITLE,
        # What the level does not allow is cleared, not left out: a PATCH that omits a field
        # keeps Google's old value, and lowering the level must take the notes back.
        "location": (event.location or "") if "location" in fields else "",
        "description": (event.notes or "") if "notes" in fields else "",
        "visibility": "private",
        "transparency": "transparent" if event.status == "cancelled" else "opaque",
        "extendedProperties": {"private": {PORTAL_ID_KEY: str(event.id)}},
        **_times_to_google(event),
    }
    if event.recurrence:
        body["recurrence"] = event.recurrence.split("\n")
    return body


def _google_owned_body(event: Event, remembered: dict | None, allowed: set[str]) -> dict:
    """A Google event's `allowed` shared fields as the portal holds them."""
    body: dict = {}
    if "title" in allowed:
        body["summary"] = _as_google_had(event.title, remembered, "summary", TITLE_LIMIT)
    if "location" in allowed:
        body["location"] = _as_google_had(event.location, remembered, "location", LOCATION_LIMIT)
    if "notes" in allowed:
        body["description"] = event.notes or ""
    if "time" in allowed and not _same_times(event, remembered):
        body.update(_times_to_google(event))
    if "recurrence" in allowed and event.recurrence:
        body["recurrence"] = event.recurrence.split("\n")
    if kinds.can_answer(event) and remembered and event.response_status:
        body["attendees"] = _answered(remembered.get("attendee_list") or [], event)
    return body


def _as_google_had(value: str | None, remembered: dict | None, name: str, limit: int) -> str:
    """Google's own text where the portal's is what the pull made of it, so it is not sent.

    The pull cuts long titles and places and names an untitled event NO_TITLE: sending
    those back would rewrite Google's text though the coordinator never changed it.
    """
    had = (remembered or {}).get(name)
    fallback = NO_TITLE if name == "summary" else ""
    if isinstance(had, str) and (value or "") == (had or fallback)[:limit]:
        return had
    return value or ""


def _same_times(event: Event, remembered: dict | None) -> bool:
    """Whether the event still has the instants Google holds, in the zone the pull took.

    The portal keeps one zone per event, the start's: an end in another zone (a flight, say)
    is not a change to send back, nor a change Google refused to take.
    """
    if not remembered:
        return False
    times = _times_to_google(event)
    for name in ("start", "end"):
        mine, had = times[name], remembered.get(name) or {}
        at = mine.get("date") or parse_rfc3339(mine["dateTime"]).isoformat()
        if at != had.get("at"):
            return False
    had_zone = (remembered.get("start") or {}).get("timeZone")
    return event.all_day or had_zone is None or had_zone == event.time_zone


def _answered(attendees: list[dict], event: Event) -> list[dict]:
    """Google's attendee list with the coordinator's own answer set (an attendee may send
    the list; Google takes only their own entry from it)."""
    return [
        {**person, "responseStatus": event.response_status} if person.get("self") else person
        for person in attendees
    ]


def _times_to_google(event: Event) -> dict:
    if event.all_day:
        return {
            "start": {"date": event.start_date.isoformat()},
            "end": {"date": event.end_date.isoformat()},
        }
    tz = ZoneInfo(event.time_zone)
    return {
        "start": {"dateTime": _rfc3339(event.start_at.astimezone(tz)), "timeZone": event.time_zone},
        "end": {"dateTime": _rfc3339(event.end_at.astimezone(tz)), "timeZone": event.time_zone},
    }


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def parse_rfc3339(value: str) -> datetime:
    """An aware datetime from Google's RFC 3339 strings (Z or an offset, optional fraction)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def updated_of(item: dict) -> datetime:
    """When Google says the item last changed (now, for an item that does not say)."""
    return parse_rfc3339(item["updated"]) if item.get("updated") else utcnow()


def is_exception(item: dict) -> bool:
    """Whether a Google item replaces or cancels one occurrence of a series."""
    return bool(item.get("recurringEventId"))


def original_start(item: dict) -> dict:
    """The Event fields naming which occurrence a Google exception replaces."""
    original = item.get("originalStartTime", {})
    if "date" in original:
        return {
            "original_start_date": date.fromisoformat(original["date"]),
            "original_start_at": None,
        }
    return {"original_start_at": parse_rfc3339(original["dateTime"]), "original_start_date": None}


def portal_id_of(item: dict) -> int | None:
    """Our event id from a Google item's private extended property, if it carries one."""
    value = item.get("extendedProperties", {}).get("private", {}).get(PORTAL_ID_KEY, "")
    return int(value) if value.isdigit() else None


def from_google(item: dict, fields: set[str], default_zone: str) -> dict:
    """Portal Event attributes from a Google item, limited to the fields the portal syncs."""
    values: dict = {}
    if "title" in fields:
        values["title"] = (item.get("summary") or NO_TITLE)[:TITLE_LIMIT]
    if "location" in fields:
        values["location"] = (item.get("location") or "")[:LOCATION_LIMIT]
    if "notes" in fields:
        values["notes"] = item.get("description") or ""
    if "time" in fields:
        values.update(_times_from_google(item, default_zone))
        if not is_exception(item):
            # Google keeps the rule on the series only; exceptions never carry one.
            values["recurrence"] = rule_of(item)
    return values


def rule_of(item: dict) -> str | None:
    """A Google series' recurrence lines as the portal stores them (None for no rule)."""
    return "\n".join(item.get("recurrence") or []) or None


def _times_from_google(item: dict, default_zone: str) -> dict:
    start, end = item.get("start", {}), item.get("end", {})
    if "date" in start:
        return {
            "all_day": True,
            "start_date": date.fromisoformat(start["date"]),
            "end_date": date.fromisoformat(end.get("date", start["date"])),
            "start_at": None,
            "end_at": None,
            "time_zone": _zone(start.get("timeZone"), default_zone),
        }
    return {
        "all_day": False,
        "start_at": parse_rfc3339(start["dateTime"]),
        "end_at": parse_rfc3339(end["dateTime"]),
        "start_date": None,
        "end_date": None,
        "time_zone": _zone(start.get("timeZone"), default_zone),
    }


def _zone(name: str | None, default_zone: str) -> str:
    return name if is_valid_zone(name) else default_zone


def snapshot(event: Event) -> dict:
    """The synced fields of a portal event as JSON, kept in the activity log when it loses."""
    return {
        "title": event.title,
        "location": event.location,
        "notes": event.notes,
        "all_day": event.all_day,
        "start": (event.start_date if event.all_day else event.start_at).isoformat()
        if (event.start_date or event.start_at)
        else None,
        "end": (event.end_date if event.all_day else event.end_at).isoformat()
        if (event.end_date or event.end_at)
        else None,
        "time_zone": event.time_zone,
        "recurrence": event.recurrence,
        "version": event.version,
    }
