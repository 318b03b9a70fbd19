"""A conflict seen three ways: what each side changed since the two last agreed.

The link remembers Google's copy as of the last agreement (`EventLink.synced_body`). A field
only one side changed since then is that side's change, whoever changed last, so a rename in
the portal and a new place in Google both stand. Only a field both sides changed is settled
by "the later change wins" (sync/conflicts.py).
"""

from __future__ import annotations

from portal.google.sync.body import field_differs, fields_of
from portal.google.sync.mapping import to_google
from portal.models import Event, EventLink, GoogleConnection

# Google's fields and the portal's names for them.
PORTAL_FIELDS = (
    ("summary", "title"),
    ("location", "location"),
    ("description", "notes"),
    ("start", "time"),
    ("end", "time"),
)
# The event attributes each portal field is made of.
ATTRIBUTES = {
    "title": ("title",),
    "location": ("location",),
    "notes": ("notes",),
    "time": ("all_day", "start_at", "end_at", "start_date", "end_date", "time_zone"),
}


def one_sided_changes(
    connection: GoogleConnection, event: Event, link: EventLink, item: dict
) -> tuple[set[str], set[str]]:
    """(fields only the portal changed, fields only Google changed) since the last
    agreement; both empty when the link does not know it."""
    base = link.synced_body
    if base is None or link.synced_version == 0:
        return set(), set()
    wanted = to_google(event, connection.privacy_level, base)
    mine, theirs = fields_of(wanted), fields_of(item)
    portal_only: set[str] = set()
    google_only: set[str] = set()
    for wire, field in PORTAL_FIELDS:
        here = wire in wanted and field_differs(wire, mine[wire], base.get(wire))
        there = field_differs(wire, theirs[wire], base.get(wire))
        if here and not there:
            portal_only.add(field)
        elif there and not here:
            google_only.add(field)
    # Start and end travel together: changed on both sides between them, it is both's.
    both = portal_only & google_only
    return portal_only - both, google_only - both


def kept_values(event: Event, fields: set[str]) -> dict:
    """The event's current values of these portal fields, to put back after Google's."""
    return {name: getattr(event, name) for field in fields for name in ATTRIBUTES[field]}
