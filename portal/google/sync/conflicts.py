"""Comparing an event with Google's version of it, copying that version, and settling a
conflict (both sides changed) so that the later change wins and the loser stays in the log.

Used by the pull (a changed item meets a pending portal change) and by the push (412: Google
moved on since we last saw its copy).
"""

from __future__ import annotations

from datetime import datetime

from portal.extensions import db
from portal.google.sync import kinds
from portal.google.sync.activity import log_activity
from portal.google.sync.body import remembered_fields
from portal.google.sync.links import remember
from portal.google.sync.mapping import (
    from_google,
    is_exception,
    rule_of,
    snapshot,
    synced_fields,
    updated_of,
)
from portal.google.sync.merge import kept_values, one_sided_changes
from portal.models import Event, EventLink, GoogleConnection, User


def _remote_values(connection: GoogleConnection, event: Event, item: dict) -> dict:
    user_zone = db.session.get(User, connection.user_id).time_zone
    values = from_google(item, synced_fields(event, connection.privacy_level), user_zone)
    if kinds.can_answer(event):
        # The coordinator's answer syncs both ways, like a field: answered in both places,
        # the later answer wins.
        mine = kinds.own_attendee(item)
        values["response_status"] = mine.get("responseStatus") if mine else None
    return values


def differs(connection: GoogleConnection, event: Event, item: dict) -> bool:
    """Whether Google's item holds other values for the fields this event syncs."""
    values = _remote_values(connection, event, item)
    return any(getattr(event, name) != value for name, value in values.items())


def apply_fields(connection: GoogleConnection, event: Event, item: dict) -> bool:
    """Copy the synced fields of a Google item onto the event, and what kind of event it is;
    True when anything the calendar shows changed."""
    changed = differs(connection, event, item)
    for name, value in _remote_values(connection, event, item).items():
        setattr(event, name, value)
    shown = (event.google_kind, event.response_status, event.google_details)
    kinds.apply_facts(event, item)
    return changed or shown != (event.google_kind, event.response_status, event.google_details)


def settle_conflict(connection: GoogleConnection, event: Event, link: EventLink, item: dict) -> str:
    """Both sides changed: the later change wins (returned); the loser is kept in the log."""
    google_updated = updated_of(item)
    portal_only, google_only = one_sided_changes(connection, event, link, item)
    if event.updated_at >= google_updated:
        winner, loser = "portal", _portal_wins(event, link, item, google_updated)
        # What only Google changed since the two last agreed is Google's change: it stands.
        _take(connection, event, item, google_only - {"time"} if event.is_series else google_only)
    else:
        kept = kept_values(event, portal_only)
        winner, loser = "google", _google_wins(connection, event, link, item, google_updated)
        # What only the portal changed stands too; the push sends it.
        if kept:
            for name, value in kept.items():
                setattr(event, name, value)
            event.version += 1
    log_activity(
        connection,
        "conflict",
        f"“{event.title}” was changed in both places; kept the {winner} version "
        "(the other is saved here)",
        direction="from_google",
        event_id=event.id,
        google_event_id=item["id"],
        outcome=f"{winner}_won",
        detail={
            "winner": winner,
            "loser": loser,
            "google_updated": google_updated.isoformat(),
            "portal_updated": event.updated_at.isoformat(),
        },
    )
    return winner


def _take(connection: GoogleConnection, event: Event, item: dict, fields: set[str]) -> None:
    """Copy these fields of Google's item onto the event (those the event syncs)."""
    fields &= synced_fields(event, connection.privacy_level)
    if not fields:
        return
    user_zone = db.session.get(User, connection.user_id).time_zone
    for name, value in from_google(item, fields, user_zone).items():
        if name != "recurrence":
            setattr(event, name, value)
    event.version += 1


def _portal_wins(event: Event, link: EventLink, item: dict, google_updated: datetime) -> dict:
    """Keep the portal's version (its pending push will overwrite Google's); Google's is lost."""
    fields = {"time", "title", "location", "notes"}
    loser = {"side": "google", **from_google(item, fields, event.time_zone)}
    # Adopt Google's etag so our pending push overwrites this version on purpose, and its
    # fields, so the push sends every one in which the two differ.
    link.etag = item.get("etag")
    link.synced_body = remembered_fields(item)
    link.google_updated = google_updated
    # What the event's kind keeps Google's (an invitation's title and time are its
    # organiser's) is Google's whoever changed last: the push never sends it.
    for name, value in from_google(item, _locked_fields(event), event.time_zone).items():
        setattr(event, name, value)
    if _only_google_changed_the_rule(event, link, item):
        # E.g. Google's "this and following" ended the series where a new one begins:
        # sending back our older rule would bring back the occurrences it moved there.
        event.recurrence = rule_of(item)
        event.version += 1
    return _jsonable(loser)


def _google_wins(
    connection: GoogleConnection,
    event: Event,
    link: EventLink,
    item: dict,
    google_updated: datetime,
) -> dict:
    """Take Google's version; the portal's is lost (and returned for the log)."""
    loser = {"side": "portal", **snapshot(event)}
    answer = _answer_given_here(event, link, item)
    apply_fields(connection, event, item)
    event.version += 1
    event.updated_at = google_updated
    remember(link, item, event.version)
    if answer is not None:
        # The organiser's change does not touch the coordinator's answer: it stands, and
        # a version Google does not have yet makes the push send it.
        event.response_status = answer
        event.version += 1
    return loser


def _locked_fields(event: Event) -> set[str]:
    """The synced fields this kind of Google event keeps Google's (none for ordinary ones)."""
    if event.origin != "google":
        return set()
    changeable = kinds.changeable(event)
    return {name for name in ("title", "location", "notes", "time") if name not in changeable}


def _answer_given_here(event: Event, link: EventLink, item: dict) -> str | None:
    """The coordinator's answer to an invitation when only the portal changed it since the
    last sync (None otherwise: no answer, or Google's is newer)."""
    if not kinds.can_answer(event) or not link.synced_body:
        return None
    synced = link.synced_body.get("attendees")
    in_google = (kinds.own_attendee(item) or {}).get("responseStatus")
    if in_google == synced and event.response_status not in (None, synced):
        return event.response_status
    return None


def _only_google_changed_the_rule(event: Event, link: EventLink, item: dict) -> bool:
    """Whether Google's series rule differs from the portal's and the portal's is unchanged
    since the two last agreed (link.synced_recurrence): then the rule is Google's change."""
    if is_exception(item):
        return False
    return rule_of(item) != event.recurrence and event.recurrence == link.synced_recurrence


def _jsonable(values: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}
