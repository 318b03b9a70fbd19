"""Applying Google's version of an event to the portal: create, update, tombstone or settle.

Used by the pull for every changed item; the push uses its tombstones (Google deleted the copy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.google.sync import kinds
from portal.google.sync.activity import log_activity
from portal.google.sync.body import changed_body
from portal.google.sync.conflicts import apply_fields, differs, settle_conflict
from portal.google.sync.links import link_for_event, new_link, on_current_calendar, remember
from portal.google.sync.mapping import (
    from_google,
    is_exception,
    original_start,
    portal_id_of,
    synced_fields,
    to_google,
    updated_of,
)
from portal.google.sync.pull_scope import PullScope
from portal.models import Event, EventLink, GoogleConnection, utcnow


@dataclass
class PullCounts:
    """What one pull did, for the activity log and the CLI."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    echoes: int = 0
    conflicts: int = 0
    unchanged: int = 0
    # Google's `updated` of the oldest change applied: tells a silent channel from a late one.
    earliest_change: datetime | None = None

    def note_change(self, item: dict) -> None:
        """Remember when Google says this applied change happened."""
        changed_at = updated_of(item)
        if self.earliest_change is None or changed_at < self.earliest_change:
            self.earliest_change = changed_at

    @property
    def is_empty(self) -> bool:
        """Whether Google listed nothing at all (not even our own echo)."""
        seen = self.changes + self.echoes + self.conflicts + self.unchanged
        return seen == 0

    @property
    def changes(self) -> int:
        """Changes that reached the portal."""
        return self.created + self.updated + self.deleted

    def summary(self) -> str:
        """A sentence a coordinator understands."""
        parts = [f"{self.changes} change{'s' if self.changes != 1 else ''} from Google"]
        if self.conflicts:
            parts.append(f"{self.conflicts} conflict{'s' if self.conflicts != 1 else ''} resolved")
        return ", ".join(parts)


def apply_remote_event(
    scope: PullScope, item: dict, counts: PullCounts, log_each: bool = True
) -> str:
    """Bring one Google item into the portal; returns what happened.

    Changes to existing rows are flushed; a new event may wait for scope.flush().
    """
    outcome = _apply_remote_event(scope, item, counts, log_each)
    if outcome in ("created", "updated", "deleted", "conflict"):
        counts.note_change(item)
    return outcome


def _apply_remote_event(scope: PullScope, item: dict, counts: PullCounts, log_each: bool) -> str:
    connection = scope.connection
    link = scope.link_for(item["id"]) or _relink(scope, item)
    series = None
    if link is None and is_exception(item):
        series = series_of(scope, item)
        if series is None:
            # Its series has not arrived yet (a later page): the caller retries it at the end.
            return "deferred"
        link = _adopt_exception(scope, item, series)
    if item.get("status") == "cancelled":
        if link is None and series is not None:
            _create_from_google(scope, item, series, cancelled=True)
            counts.deleted += 1
            return "deleted"
        # Existing rows change from here on (a series' tombstone reaches its exceptions'
        # links): the creations waiting are written first, as if each had flushed at once.
        scope.flush()
        return _apply_cancel(connection, link, item, counts, log_each)
    if link is not None and link.etag == item.get("etag"):
        counts.echoes += 1
        return "echo"
    if link is None:
        _create_from_google(scope, item, series)
        counts.created += 1
        return "created"
    scope.flush()
    return _apply_change(scope, link, item, counts, log_each)


def series_of(scope: PullScope, item: dict) -> Event | None:
    """The portal series an exception item belongs to, if that series is linked already."""
    link = scope.link_for(item["recurringEventId"])
    return db.session.get(Event, link.event_id) if link is not None else None


def _relink(scope: PullScope, item: dict) -> EventLink | None:
    """After a reconnect or a lost write, find our event by the id we put in Google's copy."""
    portal_id = portal_id_of(item)
    if portal_id is None:
        return None
    event = db.session.get(Event, portal_id)
    if event is None or event.owner_id != scope.connection.user_id:
        return None
    # Google copies a series' properties onto its instances: an instance naming our series
    # is not our series.
    if is_exception(item) != event.is_exception:
        return None
    # Already linked to another Google event: this item is a copy made in Google (a
    # duplicated event carries our id too), so it is an event of its own, not ours again.
    if link_for_event(scope.connection, event.id) is not None:
        return None
    return _link_unsynced(scope, event.id, item)


def _adopt_exception(scope: PullScope, item: dict, series: Event) -> EventLink | None:
    """The portal's own exception of the same occurrence, not on Google yet: link it to item.

    The coordinator changed or cancelled an occurrence while Google changed or cancelled it
    too; a second exception of one occurrence would be shown twice or block the push.
    """
    values = original_start(item)
    exception = series.exception_for(values["original_start_at"] or values["original_start_date"])
    if exception is None or link_for_event(scope.connection, exception.id) is not None:
        return None
    return _link_unsynced(scope, exception.id, item)


def _link_unsynced(scope: PullScope, event_id: int, item: dict) -> EventLink:
    """Link an existing portal event to a Google item neither side knew was its copy."""
    # Version 0: the pull compares both sides before deciding who is newer.
    link = new_link(scope.connection, event_id, item["id"])
    link.synced_version = 0
    db.session.flush()
    scope.add_link(link)
    return link


def _create_from_google(
    scope: PullScope, item: dict, series: Event | None = None, cancelled: bool = False
) -> None:
    """A new portal event from a Google item; scope.flush() writes it with its link."""
    connection, user = scope.connection, scope.user
    event = Event(
        business_id=user.business_id,
        owner_id=user.id,
        origin="google",
        event_type="other",
        updated_at=updated_of(item),
    )
    if series is not None:
        _inherit(event, series, item, connection)
    if cancelled:
        _occurrence_times(event, series)
        event.deleted_at, event.deleted_by = utcnow(), "google"
    else:
        fields = synced_fields(event, connection.privacy_level)
        for name, value in from_google(item, fields, user.time_zone).items():
            setattr(event, name, value)
        kinds.apply_facts(event, item)
    scope.stage(event, item)


def _inherit(event: Event, series: Event, item: dict, connection: GoogleConnection) -> None:
    """An exception starts as a copy of its series; Google's fields then go on top."""
    for name in (
        "origin",
        "event_type",
        "participant_id",
        "title",
        "location",
        "notes",
        "internal_notes",
        "time_zone",
        "all_day",
    ):
        setattr(event, name, getattr(series, name))
    event.series_id = series.id
    for name, value in original_start(item).items():
        setattr(event, name, value)


def _occurrence_times(event: Event, series: Event) -> None:
    """A cancelled occurrence keeps the times it had before it was cancelled."""
    if series.all_day:
        length = series.end_date - series.start_date
        event.start_date = event.original_start_date
        event.end_date = event.original_start_date + length
    else:
        event.start_at = event.original_start_at
        event.end_at = event.original_start_at + (series.end_at - series.start_at)


def _apply_cancel(
    connection: GoogleConnection,
    link: EventLink | None,
    item: dict,
    counts: PullCounts,
    log_each: bool,
) -> str:
    if link is None or link.remote_deleted:
        counts.unchanged += 1
        return "unchanged"
    event = db.session.get(Event, link.event_id)
    link.remote_deleted = True
    link.etag = item.get("etag", link.etag)
    if event.is_deleted:
        counts.unchanged += 1
        return "unchanged"
    tombstone_from_google(connection, event, log_each)
    counts.deleted += 1
    return "deleted"


def tombstone_from_google(connection: GoogleConnection, event: Event, log: bool = True) -> None:
    """Mark a portal event deleted in Google: kept as a record, hidden from the calendar.

    Deleting a series in Google deletes every occurrence, so its exceptions go too.
    """
    doomed = [event]
    if event.is_series:
        doomed += db.session.scalars(
            select(Event).where(Event.series_id == event.id, Event.deleted_at.is_(None))
        ).all()
    for row in doomed:
        row.deleted_at = utcnow()
        row.deleted_by = "google"
        row.version += 1
        for link in db.session.scalars(
            select(EventLink).where(*on_current_calendar(connection), EventLink.event_id == row.id)
        ):
            link.synced_version = row.version
            link.remote_deleted = True
    if log:
        log_activity(
            connection,
            "pull",
            f"“{event.title}” was deleted in Google; Coordinoter keeps its record",
            direction="from_google",
            event_id=event.id,
            outcome="deleted",
        )
    db.session.flush()


def _apply_change(
    scope: PullScope, link: EventLink, item: dict, counts: PullCounts, log_each: bool
) -> str:
    connection = scope.connection
    # Read once per pull and held: the field mapping's look-ups of the coordinator's zone
    # below are then identity-map hits, not a SELECT each.
    _ = scope.user
    event = db.session.get(Event, link.event_id)
    if event.is_deleted and event.deleted_by == "portal":
        # Our deletion is waiting in the outbox and will remove Google's copy.
        remember(link, item, event.version - 1)
        counts.unchanged += 1
        return "unchanged"
    if link.synced_version < event.version:
        return _meet_local_change(connection, event, link, item, counts)
    if not _take_google_version(connection, event, link, item):
        counts.unchanged += 1
        return "unchanged"
    counts.updated += 1
    if log_each:
        log_activity(
            connection,
            "pull",
            f"“{event.title}” updated from Google",
            direction="from_google",
            event_id=event.id,
            google_event_id=item["id"],
        )
    return "updated"


def _meet_local_change(
    connection: GoogleConnection, event: Event, link: EventLink, item: dict, counts: PullCounts
) -> str:
    """Google changed an event whose portal change is still waiting to be pushed."""
    if not differs(connection, event, item):
        # Nothing to settle: the fields the portal takes back agree. What else the portal
        # would send (a cancellation's free/busy) still goes with the pending push; when
        # Google holds all of it already, the two agree now.
        remember(link, item, link.synced_version)
        if not _still_to_send(connection, event, link):
            link.synced_version = event.version
        counts.unchanged += 1
        return "unchanged"
    agreed_before = link.synced_version > 0 and link.synced_body is not None
    if agreed_before and not _still_to_send(connection, event, link):
        # The waiting change touched only what never leaves the portal (internal notes, the
        # participant): Google's change is no conflict, and is taken as it is.
        _take_google_version(connection, event, link, item)
        counts.updated += 1
        return "updated"
    counts.conflicts += 1
    settle_conflict(connection, event, link, item)
    return "conflict"


def _still_to_send(connection: GoogleConnection, event: Event, link: EventLink) -> bool:
    """Whether the portal holds anything Google's copy, as the link remembers it, lacks."""
    wanted = to_google(event, connection.privacy_level, link.synced_body)
    return bool(changed_body(wanted, link.synced_body))


def _take_google_version(
    connection: GoogleConnection, event: Event, link: EventLink, item: dict
) -> bool:
    """Apply Google's version over an event the portal has not changed; True if it changed."""
    changed = apply_fields(connection, event, item)
    if event.is_deleted and event.deleted_by == "google":
        # Restored from Google's bin by the coordinator: bring it back.
        event.deleted_at, event.deleted_by, changed = None, None, True
    if changed:
        event.version += 1
        event.updated_at = updated_of(item)
    remember(link, item, event.version)
    return changed
