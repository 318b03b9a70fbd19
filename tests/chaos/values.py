"""What "the same event" means on both sides, at each privacy level.

A Value holds every field the sync may carry: title, location, notes and the times. Timed
events compare as UTC instants, all-day events as dates (end exclusive), so a value written in
Google with an offset and one stored in the portal in UTC compare equal.

Which fields Google holds depends on the connection's privacy level and on where the event
was made (README, "What Google sees"); the checker compares only those (`synced`), and checks
that the others were never pulled back over the portal's own values. The table below is the
test's own statement of the rule, not the portal's code, so a change there shows up here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import NamedTuple

from portal.google.sync import kinds
from portal.models import PRIVACY_LEVELS, Event

TEXT_FIELDS = ("title", "location", "notes")
# What Google gets of the portal's own appointments, by privacy level (times always).
LEVEL_TEXT = {
    "busy": frozenset(),
    "private_title": frozenset({"title"}),
    "full": frozenset({"title", "location", "notes"}),
}
LEVELS = tuple(LEVEL_TEXT)
# "Busy only" replaces the title by this on Google.
BUSY_TITLE = "Coordinoter appointment"

# Google's special event types, by the names the portal gives them (Event.google_kind). An
# invitation is an event of the default type someone else organises, with the calendar's
# owner among its attendees (`self`) and no `organizer.self`.
INVITATION = "invitation"
TYPE_KINDS = {
    "outOfOffice": "out_of_office",
    "focusTime": "focus_time",
    "workingLocation": "working_location",
    "birthday": "birthday",
    "fromGmail": "from_gmail",
}
# The shared fields the portal offers to change on each kind (the others are Google's, or the
# organiser's): an invitation only takes the coordinator's answer.
PORTAL_EDITS = {
    INVITATION: frozenset(),
    "out_of_office": frozenset({"title"}),
    "focus_time": frozenset({"title"}),
    "birthday": frozenset({"title"}),
    "working_location": frozenset(),
    "from_gmail": frozenset(),
}
# The answers a coordinator gives (Google's "needsAction" is only ever the first one).
ANSWERS = ("accepted", "tentative", "declined")

if set(LEVELS) != set(PRIVACY_LEVELS):  # a new level needs its row above
    raise RuntimeError(f"chaos knows levels {LEVELS}, the portal has {tuple(PRIVACY_LEVELS)}")
if set(PORTAL_EDITS) != set(kinds.LABELS):  # a new kind of Google event needs its row above
    raise RuntimeError(
        f"chaos knows kinds {sorted(PORTAL_EDITS)}, the portal {sorted(kinds.LABELS)}"
    )


class Value(NamedTuple):
    """The synced fields of an event, normalised; None marks a field left out of a comparison."""

    title: str | None
    all_day: bool
    start: date | datetime
    end: date | datetime
    location: str | None = ""
    notes: str | None = ""

    def __str__(self) -> str:
        extra = "".join(
            f" {name}={value!r}"
            for name, value in (("location", self.location), ("notes", self.notes))
            if value
        )
        title = "·" if self.title is None else self.title
        return f"“{title}” {self.start}–{self.end}{' all-day' if self.all_day else ''}{extra}"


def synced_text(origin: str, level: str) -> frozenset[str]:
    """The text fields Google holds for an event of this origin at this privacy level.

    The coordinator's own Google events keep all their text there (Google owns it).
    """
    return frozenset(TEXT_FIELDS) if origin == "google" else LEVEL_TEXT[level]


def only(value: Value, text: frozenset[str]) -> Value:
    """The value with the text fields outside `text` left out (None)."""
    return value._replace(**{name: None for name in TEXT_FIELDS if name not in text})


def portal_value(event: Event) -> Value:
    """A portal event's synced fields."""
    text = (event.title, event.location or "", event.notes or "")
    if event.all_day:
        return Value(text[0], True, event.start_date, event.end_date, *text[1:])
    return Value(
        text[0], False, event.start_at.astimezone(UTC), event.end_at.astimezone(UTC), *text[1:]
    )


def google_value(item: dict) -> Value:
    """A Google event's synced fields."""
    start, end = item["start"], item["end"]
    text = (item.get("summary", ""), item.get("location", ""), item.get("description", ""))
    if "date" in start:
        return Value(
            text[0],
            True,
            date.fromisoformat(start["date"]),
            date.fromisoformat(end["date"]),
            *text[1:],
        )
    return Value(text[0], False, _instant(start["dateTime"]), _instant(end["dateTime"]), *text[1:])


def kind_of(item: dict) -> str | None:
    """The kind of Google event an item is, in the portal's words (None: an ordinary one)."""
    event_type = item.get("eventType") or "default"
    if event_type != "default":
        return TYPE_KINDS[event_type]
    organizer = item.get("organizer") or {}
    invited = own_answer(item) is not None
    return INVITATION if invited and organizer and not organizer.get("self") else None


def own_answer(item: dict) -> str | None:
    """The calendar owner's answer to an item (their `self` attendee entry), if invited."""
    mine = next((p for p in item.get("attendees") or [] if p.get("self")), None)
    return mine.get("responseStatus") if mine else None


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
