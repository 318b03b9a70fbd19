"""What a push sends: only the fields that differ from Google's copy, and what Google kept.

A PATCH keeps every field it does not mention and writes every field it does, so a push
that re-sent the whole event would overwrite what the coordinator changed in Google (their
free/busy, their visibility) with the portal's idea of it. Both sides are compared in one
vocabulary (`fields_of`), which is also what the link remembers of Google's copy.
"""

from __future__ import annotations

from portal.google.sync.mapping import PORTAL_ID_KEY, parse_rfc3339

# Wire fields a push may write, in the order Google documents them; start and end travel
# together, since Google checks one against the other.
WIRE_FIELDS = (
    "summary",
    "location",
    "description",
    "start",
    "end",
    "recurrence",
    "visibility",
    "transparency",
    "attendees",
    "extendedProperties",
)
# How a coordinator names what Google did not take.
FIELD_WORDS = {
    "summary": "title",
    "location": "location",
    "description": "notes",
    "start": "time",
    "end": "time",
    "recurrence": "repeat",
    "visibility": "visibility",
    "transparency": "free/busy",
    "attendees": "answer",
    "extendedProperties": "link to Coordinoter",
}


def fields_of(item: dict) -> dict:
    """A Google item (or a body to send) in comparable form: one value per wire field."""
    return {
        "summary": item.get("summary") or "",
        "location": item.get("location") or "",
        "description": item.get("description") or "",
        "start": _moment(item.get("start")),
        "end": _moment(item.get("end")),
        "recurrence": list(item.get("recurrence") or []),
        "visibility": item.get("visibility") or "default",
        "transparency": item.get("transparency") or "opaque",
        "attendees": _own_answer(item.get("attendees")),
        "extendedProperties": _portal_id(item.get("extendedProperties")),
    }


def remembered_fields(item: dict) -> dict:
    """What the link keeps of Google's copy: the comparable fields, plus its attendee list."""
    kept = fields_of(item)
    kept["attendee_list"] = [
        {k: person[k] for k in ("email", "responseStatus", "self") if k in person}
        for person in item.get("attendees") or []
    ]
    return kept


def changed_body(wanted: dict, remembered: dict | None) -> dict:
    """The part of `wanted` (a full body) that differs from what Google held; all of it if
    nothing is remembered."""
    if remembered is None:
        return dict(wanted)
    mine = fields_of(wanted)
    changed = {
        name: wanted[name]
        for name in WIRE_FIELDS
        if name in wanted and field_differs(name, mine[name], remembered.get(name))
    }
    if "start" in changed or "end" in changed:
        changed.update({name: wanted[name] for name in ("start", "end") if name in wanted})
    return changed


def not_taken(sent: dict, answer: dict) -> list[str]:
    """The fields Google answered with other values than were sent, in a coordinator's words."""
    mine, theirs = fields_of(sent), fields_of(answer)
    words = [
        FIELD_WORDS[name]
        for name in WIRE_FIELDS
        if name in sent and field_differs(name, mine[name], theirs[name])
    ]
    return list(dict.fromkeys(words))


def field_differs(name: str, mine, theirs) -> bool:
    """Whether two comparable values of one wire field differ (fields_of's terms)."""
    if name in ("start", "end") and mine and theirs:
        # The same instant in another spelling is no change; a zone counts only when both
        # sides name one (Gmail's events carry bare offsets).
        same_zone = not (mine.get("timeZone") and theirs.get("timeZone")) or (
            mine["timeZone"] == theirs["timeZone"]
        )
        return mine.get("at") != theirs.get("at") or not same_zone
    return mine != theirs


def _moment(value: dict | None) -> dict | None:
    if not value:
        return None
    if "date" in value:
        return {"at": value["date"]}
    return {
        "at": parse_rfc3339(value["dateTime"]).isoformat(),
        "timeZone": value.get("timeZone"),
    }


def _own_answer(attendees: list | None) -> str | None:
    mine = next((p for p in attendees or [] if p.get("self")), None)
    return mine.get("responseStatus") if mine else None


def _portal_id(properties: dict | None) -> str | None:
    return ((properties or {}).get("private") or {}).get(PORTAL_ID_KEY)
