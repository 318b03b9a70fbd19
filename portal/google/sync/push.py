"""Push: portal changes to Google, exactly once, never re-creating what Google deleted.

Each event gets one plan (`plan_push`): insert, patch, delete or skip, or, when only fields
Google keeps (an invitation's title) changed here, a read of Google's copy, whose values
stand. A burst of plain plans goes to Google in batch requests; the rest, and any part Google
does not answer with 2xx, one call at a time, where Google's refusals are understood: 409
adopts our own earlier insert, 412 settles a conflict, 404 or 410 means Google deleted its
copy and that stands. Occurrences of a series are written to the series' instances in
Google. An event's outbox rows are read before the event itself and closed after, so a
change committed meanwhile keeps its row open for the next push.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from portal.core.jobs import Checkpoint, no_checkpoint
from portal.extensions import db
from portal.google.api.calls import Call, delete_call, insert_call, patch_call
from portal.google.api.client import CalendarClient
from portal.google.api.errors import GoogleApiError
from portal.google.sync.activity import log_activity
from portal.google.sync.answers import google_kept
from portal.google.sync.body import changed_body, not_taken
from portal.google.sync.conflicts import settle_conflict
from portal.google.sync.links import link_for_event, new_link, remember
from portal.google.sync.mapping import (
    expected_of,
    google_id_for,
    instance_id_for,
    new_copy,
    snapshot,
    to_google,
)
from portal.google.sync.outbox import close_entries, open_entries, pending_event_ids
from portal.google.sync.reconcile import tombstone_from_google
from portal.models import Event, EventLink, GoogleConnection

# Google accepts up to 1000 calls a batch; smaller batches keep one failure's cost low.
BATCH_SIZE = 50


@dataclass(frozen=True)
class Plan:
    """What pushing one event does to Google's copy: insert, patch, delete, read, or skip."""

    # "agree": nothing to send, Google holds this version already; "recheck": nothing Google
    # takes changed, but fields it keeps did, so its copy is read and its values stand.
    kind: str
    event: Event
    link: EventLink | None = None
    google_id: str | None = None
    body: dict | None = None
    outcome: str | None = None  # a skip's outcome: "unchanged" or "skipped"
    # What Google's copy should show afterwards, where that is more than the body (fields
    # the event's kind locks): anything in it Google does not show was not taken.
    expected: dict | None = None

    @property
    def batchable(self) -> bool:
        """Whether Google's answer needs nothing but recording, so it may go in a batch."""
        if self.event.is_series or self.event.is_exception:
            return False
        return self.kind in ("insert", "patch") or (self.kind == "delete" and self.link is not None)

    def call(self, calendar_id: str) -> Call:
        """The Calendar call that carries out this plan."""
        if self.kind == "insert":
            return insert_call(calendar_id, {"id": self.google_id, **self.body})
        if self.kind == "patch":
            return patch_call(calendar_id, self.google_id, self.body, self.link.etag)
        if self.kind == "delete":
            return delete_call(calendar_id, self.google_id)
        # Never a delete by default: an "agree" or a "skip" sends nothing.
        raise ValueError(f"a {self.kind} plan makes no call")


def plan_push(connection: GoogleConnection, event: Event, link: EventLink | None) -> Plan:
    """Decide what Google's copy needs so that it matches this event (link: its link, if any)."""
    if event.is_deleted:
        if event.deleted_by == "google" or (link is not None and link.remote_deleted):
            return Plan("skip", event, link, outcome="unchanged")
        google_id = link.google_event_id if link else google_id_for(connection.id_prefix, event.id)
        return Plan("delete", event, link, google_id)
    if link is not None and link.remote_deleted:
        # Google's copy was deleted there: never silently re-create it.
        return Plan("skip", event, link, outcome="skipped")
    if link is not None and link.synced_version >= event.version:
        return Plan("skip", event, link, outcome="unchanged")
    if link is None:
        if event.google_kind is not None:
            # Invitations and Google's special events exist only where Google put them.
            return Plan("skip", event, None, outcome="skipped")
        # A new copy has nothing to clear: empty fields are left out.
        body = {k: v for k, v in new_copy(event, connection.privacy_level).items() if v != ""}
        return Plan("insert", event, None, google_id_for(connection.id_prefix, event.id), body)
    return _plan_change(connection, event, link)


def _plan_change(connection: GoogleConnection, event: Event, link: EventLink) -> Plan:
    """A linked event's change: patch what differs from Google's copy, or only read it."""
    level, remembered = connection.privacy_level, link.synced_body
    body = changed_body(to_google(event, level, remembered), remembered)
    expected = {**changed_body(expected_of(event, level, remembered), remembered), **body}
    if body:
        return Plan("patch", event, link, link.google_event_id, body, expected=expected)
    if expected:
        return Plan("recheck", event, link, link.google_event_id, expected=expected)
    # Google holds all of it already (only portal-side fields changed).
    return Plan("agree", event, link)


def _record(connection: GoogleConnection, plan: Plan, item: dict | None) -> str:
    """Note what Google holds now that a plan went through, and log it; returns the outcome."""
    event = plan.event
    if plan.kind == "agree":
        plan.link.synced_version = event.version
        return "unchanged"
    if plan.kind == "delete":
        if plan.link is not None:
            plan.link.remote_deleted = True
            plan.link.synced_version = event.version
        _log_push(connection, event, f"“{event.title}” deleted from Google")
        return "deleted"
    if plan.kind == "insert":
        link = _link_event(connection, event, item, event.version)
    else:
        link = plan.link
        remember(link, item, event.version)
    # Google may answer 200 and keep its own values (an invitation's organiser's title):
    # what it did not take is shown, never logged as sent.
    kept = not_taken(plan.expected or plan.body, item)
    if kept:
        return google_kept(connection, event, link, item, kept)
    if plan.kind == "recheck":
        # Google already shows what the portal does (e.g. the organiser made the same change).
        return "unchanged"
    verb = "added to" if plan.kind == "insert" else "updated in"
    _log_push(connection, event, f"“{event.title}” {verb} Google")
    return "inserted" if plan.kind == "insert" else "updated"


def push_pending(
    connection: GoogleConnection, client: CalendarClient, checkpoint: Checkpoint = no_checkpoint
) -> Counter[str]:
    """Push the outbox: a burst in batch requests, the rest (and leftovers) one by one.

    Returns how many events had each outcome; `checkpoint` runs after the batches and after
    each single event, so a job commits what Google already has.
    """
    outcomes: Counter[str] = Counter()
    events = [db.session.get(Event, i) for i in pending_event_ids(connection.user_id)]
    if len(events) > 1:
        events = _push_in_batches(connection, events, client, outcomes)
        checkpoint()
    for event in events:
        outcomes[push_event(connection, event, client)] += 1
        checkpoint()
    return outcomes


def _push_in_batches(
    connection: GoogleConnection, events: list[Event], client: CalendarClient, outcomes: Counter
) -> list[Event]:
    """Push what can be batched; returns the events left for the one-by-one push."""
    # Rows first, then each event as it is now: a change committed after its rows were read
    # keeps its row open for the next push, instead of being closed with an older version.
    entries = {event.id: open_entries(event.id) for event in events}
    planned, rest = [], []
    for event in events:
        db.session.refresh(event)
        plan = None if event.is_exception else _plan_for(connection, event)
        if plan is not None and plan.batchable:
            planned.append(plan)
        else:
            rest.append(event)
    for start in range(0, len(planned), BATCH_SIZE):
        chunk = planned[start : start + BATCH_SIZE]
        results = client.batch([plan.call(connection.calendar_id) for plan in chunk])
        for plan, result in zip(chunk, results, strict=True):
            if not 200 <= result.status < 300:
                rest.append(plan.event)
                continue
            outcomes[_record(connection, plan, result.body)] += 1
            close_entries(entries[plan.event.id])
    return rest


def push_event(connection: GoogleConnection, event: Event, client: CalendarClient) -> str:
    """Make Google's copy match this event and close its outbox rows; returns the outcome."""
    entries = open_entries(event.id)
    # The event as it is now, read after its rows: a change committed since it was loaded is
    # pushed here; one committed after this keeps its row open for the next push.
    db.session.refresh(event)
    try:
        outcome = _push(connection, event, client)
    except GoogleApiError as exc:
        if exc.retryable or exc.status == 401:
            raise
        # Google refuses this event as it is (bad data, forbidden): record it, do not loop.
        close_entries(entries, error=str(exc))
        log_activity(
            connection,
            "error",
            f"Google refused “{event.title}”: {exc.message or exc.reason}",
            direction="to_google",
            event_id=event.id,
            outcome="failed",
        )
        return "failed"
    close_entries(entries)
    return outcome


def _plan_for(connection: GoogleConnection, event: Event) -> Plan:
    return plan_push(connection, event, link_for_event(connection, event.id))


def _push(connection: GoogleConnection, event: Event, client: CalendarClient) -> str:
    if event.is_exception:
        return _push_occurrence(connection, event, client)
    return _carry_out(connection, _plan_for(connection, event), client)


def _carry_out(connection: GoogleConnection, plan: Plan, client: CalendarClient) -> str:
    """One plan on its own, where a refusal from Google can be understood."""
    if plan.kind == "skip":
        return plan.outcome
    if plan.kind == "agree":
        return _record(connection, plan, None)
    if plan.kind == "recheck":
        return _recheck(connection, plan, client)
    try:
        item = client.send(plan.call(connection.calendar_id))
    except GoogleApiError as exc:
        return _refused(connection, plan, client, exc)
    return _record(connection, plan, item)


def _refused(
    connection: GoogleConnection, plan: Plan, client: CalendarClient, exc: GoogleApiError
) -> str:
    """What Google's refusal of a plan means; raises the refusals it cannot settle."""
    if plan.kind == "insert" and exc.status == 409:
        return _adopt(connection, plan, client)
    if plan.kind == "patch" and exc.status in (404, 410):
        return _gone_remotely(connection, plan.event, plan.link)
    if plan.kind == "patch" and exc.status == 412:
        return _settle_then_patch(connection, plan, client)
    if plan.kind == "delete" and exc.status in (404, 410):
        # It never reached Google, or is gone there already: nothing to delete.
        return _record(connection, plan, None)
    raise exc


def _adopt(connection: GoogleConnection, plan: Plan, client: CalendarClient) -> str:
    """Our earlier insert got through (timeout, crash before commit): adopt that copy."""
    item = client.get_event(connection.calendar_id, plan.google_id)
    link = _link_event(connection, plan.event, item, synced_version=0)
    if item.get("status") == "cancelled":
        link.remote_deleted = True
        tombstone_from_google(connection, plan.event)
        return "deleted_in_google"
    # Never synced: the plan now is a patch over Google's copy.
    return _carry_out(connection, plan_push(connection, plan.event, link), client)


def _settle_then_patch(connection: GoogleConnection, plan: Plan, client: CalendarClient) -> str:
    """Someone changed Google's copy since we last saw it: fetch it and settle visibly."""
    event, link = plan.event, plan.link
    remote = client.get_event(connection.calendar_id, link.google_event_id)
    if remote.get("status") == "cancelled":
        return _gone_remotely(connection, event, link)
    won = settle_conflict(connection, event, link, remote)
    if won == "google" and link.synced_version >= event.version:
        return "conflict_google_won"
    # Planned again: the settling may have kept part of Google's version (its rule), or,
    # when Google's won, part of the portal's (the coordinator's answer, which an organiser's
    # change does not touch); the etag is now that of Google's copy, which we overwrite on
    # purpose.
    # Carried out like any plan: nothing left to send (Google made the same change) is
    # recorded as such, and another 412 (Google changed once more meanwhile) is settled again,
    # so the change is never dropped as refused. Each round needs a new change in Google.
    return _carry_out(connection, plan_push(connection, event, link), client)


def _recheck(connection: GoogleConnection, plan: Plan, client: CalendarClient) -> str:
    """Only fields Google keeps changed here: read its copy, whose values then stand."""
    try:
        item = client.get_event(connection.calendar_id, plan.google_id)
    except GoogleApiError as exc:
        if exc.status not in (404, 410):
            raise
        item = {"status": "cancelled"}
    if item.get("status") == "cancelled":
        return _gone_remotely(connection, plan.event, plan.link)
    return _record(connection, plan, item)


def _gone_remotely(connection: GoogleConnection, event: Event, link: EventLink) -> str:
    """Google deleted its copy while the portal changed the event: the deletion stands."""
    log_activity(
        connection,
        "conflict",
        f"“{event.title}” was deleted in Google while you changed it here; it stays deleted, "
        "and Coordinoter keeps its record with your changes",
        direction="to_google",
        event_id=event.id,
        outcome="google_won",
        detail={"winner": "google", "loser": {"side": "portal", **snapshot(event)}},
    )
    link.remote_deleted = True
    tombstone_from_google(connection, event, log=False)
    return "deleted_in_google"


def _push_occurrence(connection: GoogleConnection, event: Event, client: CalendarClient) -> str:
    """A moved, edited or cancelled occurrence: written to the series' instance in Google."""
    series_link = _series_link(connection, event, client)
    if series_link is None or series_link.remote_deleted:
        return "skipped"
    link = link_for_event(connection, event.id)
    if link is not None:
        return _carry_out(connection, plan_push(connection, event, link), client)
    instance_id = instance_id_for(series_link.google_event_id, event)
    if event.is_deleted:
        if event.deleted_by != "google":
            _delete_instance(connection, instance_id, client)
        _link_event(connection, event, {"id": instance_id, "status": "cancelled"}, event.version)
        _log_push(connection, event, f"One occurrence of “{event.title}” cancelled in Google")
        return "deleted"
    return _write_instance(connection, event, instance_id, client)


def _series_link(
    connection: GoogleConnection, event: Event, client: CalendarClient
) -> EventLink | None:
    """The link of an occurrence's series; the series is pushed first if Google lacks it."""
    series = db.session.get(Event, event.series_id)
    link = link_for_event(connection, series.id)
    if link is None and not series.is_deleted:
        _push(connection, series, client)
        link = link_for_event(connection, series.id)
    return link


def _write_instance(
    connection: GoogleConnection, event: Event, instance_id: str, client: CalendarClient
) -> str:
    # Writing to an instance id is how Google makes an exception of one occurrence.
    try:
        item = client.patch_event(
            connection.calendar_id, instance_id, to_google(event, connection.privacy_level)
        )
    except GoogleApiError as exc:
        if exc.status not in (404, 410):
            raise
        # 410: Google cancelled the occurrence; 404: its series no longer has it (cut short
        # or re-ruled there). Either way it is gone in Google, and that stands.
        link = _link_event(connection, event, {"id": instance_id, "status": "cancelled"}, 0)
        return _gone_remotely(connection, event, link)
    _link_event(connection, event, item, event.version)
    _log_push(connection, event, f"One occurrence of “{event.title}” changed in Google")
    return "updated"


def _delete_instance(
    connection: GoogleConnection, instance_id: str, client: CalendarClient
) -> None:
    try:
        client.delete_event(connection.calendar_id, instance_id)
    except GoogleApiError as exc:
        # 404: the series no longer has that occurrence (e.g. after "this and following").
        if exc.status != 404:
            raise


def _link_event(
    connection: GoogleConnection, event: Event, item: dict, synced_version: int
) -> EventLink:
    """Link an event to the Google item just written or adopted; flushes."""
    link = new_link(connection, event.id, item["id"])
    remember(link, item, synced_version)
    db.session.flush()
    return link


def _log_push(connection: GoogleConnection, event: Event, message: str) -> None:
    """One activity row for a change sent to Google."""
    log_activity(connection, "push", message, direction="to_google", event_id=event.id)
