"""When Google answers a write with other values than were sent, Google's values stand.

Google answers 200 to changes it ignores (an attendee's edit of an invitation's title or
time keeps the organiser's) and drops fields it does not take. The portal then shows what
Google holds, and the coordinator's version is kept in the conflicts log, as when a change
loses a conflict: nothing is recorded as synced that Google did not take.
"""

from __future__ import annotations

from portal.google.sync.activity import log_activity
from portal.google.sync.conflicts import apply_fields
from portal.google.sync.links import remember
from portal.google.sync.mapping import snapshot
from portal.models import Event, EventLink, GoogleConnection


def google_kept(
    connection: GoogleConnection, event: Event, link: EventLink, item: dict, fields: list[str]
) -> str:
    """Take Google's values after it kept its own `fields`; logs it for review; flushes."""
    loser = {"side": "portal", **snapshot(event)}
    if apply_fields(connection, event, item):
        event.version += 1
    remember(link, item, event.version)
    what = " and ".join(fields)
    log_activity(
        connection,
        "conflict",
        f"Google did not take the {what} of “{event.title}” and kept its own; "
        "Coordinoter now shows Google's (your version is saved here)",
        direction="to_google",
        event_id=event.id,
        google_event_id=item.get("id"),
        outcome="not_taken",
        detail={"winner": "google", "not_taken": fields, "loser": loser},
    )
    return "not_taken"
