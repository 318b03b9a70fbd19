"""The kinds of Google event a real calendar holds, and what Google lets the portal change.

An ordinary event (kind None) is the coordinator's to change. The others come with rules of
Google's: an invitation's shared fields are its organiser's (Google answers 200 to an
attendee's change and keeps the organiser's values); each special `eventType` locks some
fields and refuses writes to them (400 `eventTypeRestriction`). The portal offers only the
changes Google takes, so a form can never be bound to fail.
"""

from __future__ import annotations

from portal.models import Event

INVITATION = "invitation"
# Google's eventType values and the portal's names for them.
EVENT_TYPES = {
    "outOfOffice": "out_of_office",
    "focusTime": "focus_time",
    "workingLocation": "working_location",
    "birthday": "birthday",
    "fromGmail": "from_gmail",
}
LABELS = {
    INVITATION: "Invitation",
    "out_of_office": "Out of office",
    "focus_time": "Focus time",
    "working_location": "Working location",
    "birthday": "Birthday",
    "from_gmail": "From Gmail",
}
RESPONSES = {
    "accepted": "Going",
    "tentative": "Maybe",
    "declined": "Not going",
    "needsAction": "Not answered yet",
}
# The shared fields ("title", "time", "location", "notes", "recurrence") each kind lets the
# portal change. Out of office and focus time keep their time in Google's own form (their
# decline settings go with it), so only the title is offered; a birthday's date and yearly
# rule are Contacts'; a working location and Gmail's events take none of them.
SHARED_FIELDS = {"title", "time", "location", "notes", "recurrence"}
CHANGEABLE = {
    None: SHARED_FIELDS,
    INVITATION: set(),
    "out_of_office": {"title"},
    "focus_time": {"title"},
    "working_location": set(),
    "birthday": {"title"},
    "from_gmail": set(),
}


def kind_of(item: dict) -> str | None:
    """The portal's kind for a Google item: a special event type, an invitation, or None."""
    kind = EVENT_TYPES.get(item.get("eventType") or "default")
    if kind is not None:
        return kind
    return INVITATION if own_attendee(item) is not None and not _organised_here(item) else None


def own_attendee(item: dict) -> dict | None:
    """The calendar owner's entry among the item's attendees (Google marks it `self`)."""
    return next((p for p in item.get("attendees") or [] if p.get("self")), None)


def _organised_here(item: dict) -> bool:
    organizer = item.get("organizer")
    # No organiser at all: an event this calendar made through an older client.
    return organizer is None or bool(organizer.get("self"))


def changeable(event: Event) -> set[str]:
    """The shared fields of this event that Google takes from the portal."""
    return CHANGEABLE.get(event.google_kind, set())


def can_answer(event: Event) -> bool:
    """Whether the coordinator can answer this event (accept, maybe, decline) from the portal."""
    return event.google_kind == INVITATION


def can_delete(event: Event) -> bool:
    """Whether deleting here is offered: an invitation is declined instead, never removed."""
    return event.google_kind != INVITATION


def label(event: Event) -> str | None:
    """What the calendar calls this kind of Google event (None for an ordinary one)."""
    return LABELS.get(event.google_kind)


def apply_facts(event: Event, item: dict) -> None:
    """Record on the event what kind of Google event the item is and what is shown of it."""
    if event.origin == "google":
        # The portal's own events stay ordinary, whatever Google adds to them.
        event.google_kind = kind_of(item)
    mine = own_attendee(item)
    event.response_status = mine.get("responseStatus") if mine else None
    event.google_details = details_of(item) or None


def details_of(item: dict) -> dict:
    """What the portal shows of a Google item beyond its fields: organiser, join link, place."""
    details: dict = {}
    organizer = item.get("organizer") or {}
    if organizer and not organizer.get("self"):
        details["organizer"] = {
            "name": (organizer.get("displayName") or "")[:200],
            "email": (organizer.get("email") or "")[:320],
        }
    conference = conference_of(item)
    if conference:
        details["conference"] = conference
    place = working_place(item)
    if place:
        details["working_location"] = place
    return details


def conference_of(item: dict) -> dict | None:
    """The video link to join the event (Google Meet or another solution), if it has one."""
    data = item.get("conferenceData") or {}
    video = next(
        (p for p in data.get("entryPoints") or [] if p.get("entryPointType") == "video"), None
    )
    url = (video or {}).get("uri") or item.get("hangoutLink")
    if not url or not url.startswith("https://"):
        return None
    name = (data.get("conferenceSolution") or {}).get("name") or "Google Meet"
    return {"url": url[:500], "label": name[:100]}


def working_place(item: dict) -> str | None:
    """A working-location entry's place in words: home, an office, or the place it names."""
    props = item.get("workingLocationProperties")
    if not isinstance(props, dict):
        return None
    kind = props.get("type")
    if kind == "homeOffice":
        return "Home"
    if kind == "officeLocation":
        office = props.get("officeLocation") or {}
        return f"Office: {office.get('label')}" if office.get("label") else "Office"
    custom = (props.get("customLocation") or {}).get("label")
    return custom or "Elsewhere"
