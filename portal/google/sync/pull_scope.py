"""One pull's working set: the coordinator read once, each page's links looked up together,
and the events the pull creates written together.

An initial import creates thousands of events. Looking each item's link up, re-reading the
coordinator and flushing each new event on its own cost four statements per event; a page
instead costs a few lookups and a few batched INSERTs. Everything else keeps its per-item
order: creations still waiting are written before any existing row changes and before
anything looks one of them up, and events are still read when their item is applied (the
coordinator may be editing them meanwhile; links only ever change under the pull's lock).
"""

from __future__ import annotations

from sqlalchemy import text

from portal.extensions import db
from portal.google.sync.links import insert_links, link_for_google_id, links_for_google_ids
from portal.google.sync.mapping import is_exception
from portal.models import Event, EventLink, GoogleConnection, User

# Creations written per batch: large enough for batched INSERTs, small enough that the
# waiting objects stay a few MiB.
STAGE_LIMIT = 500

_NEXT_EVENT_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('event', 'id')) FROM generate_series(1, :count)"
)


class PullScope:
    """What one pull of one connection reads once, per page, and creates in batches."""

    def __init__(self, connection: GoogleConnection) -> None:
        self.connection = connection
        self._user: User | None = None
        # This page's links by Google id; None when the id is known to have no link.
        self._links: dict[str, EventLink | None] = {}
        self._staged: dict[str, tuple[Event, dict]] = {}

    @property
    def user(self) -> User:
        """The connection's coordinator, read once per pull (an idle pull never reads it)."""
        if self._user is None:
            # Held, every other get() of the coordinator in this pull is an identity-map hit;
            # a checkpoint's commit only expires it (read again once per page).
            self._user = db.session.get(User, self.connection.user_id)
        return self._user

    def prefetch(self, items: list[dict]) -> None:
        """Look up the links of this page's items, and of their series, in bulk."""
        wanted = {item["id"] for item in items}
        wanted.update(item["recurringEventId"] for item in items if is_exception(item))
        self._links = dict.fromkeys(wanted)
        for link in links_for_google_ids(self.connection, wanted):
            self._links[link.google_event_id] = link

    def link_for(self, google_event_id: str) -> EventLink | None:
        """The link of a Google id on the calendar: from this page's lookup, else the database."""
        if google_event_id in self._staged:
            self.flush()
        if google_event_id in self._links:
            return self._links[google_event_id]
        return link_for_google_id(self.connection, google_event_id)

    def add_link(self, link: EventLink) -> None:
        """Note a link made during this page (a relink), so later lookups find it."""
        self._links[link.google_event_id] = link

    def stage(self, event: Event, item: dict) -> None:
        """Add a new event from Google; it and its link are written with the next batch."""
        db.session.add(event)
        self._staged[item["id"]] = (event, item)
        if len(self._staged) >= STAGE_LIMIT:
            self.flush()

    def flush(self) -> None:
        """Write the waiting events, then their links (one executemany)."""
        if not self._staged:
            return
        staged, self._staged = self._staged, {}
        # An autoflush (a lookup in the database) may have written some already.
        _assign_ids([event for event, _ in staged.values() if event.id is None])
        db.session.flush()
        insert_links(self.connection, [(e.id, item, e.version) for e, item in staged.values()])
        for google_event_id in staged:
            # Known now, but only to the database: a later lookup reads it from there.
            self._links.pop(google_event_id, None)

    def end_page(self) -> None:
        """Write what waits and let the page's links go (a checkpoint commit expires them)."""
        self.flush()
        self._links = {}


def _assign_ids(events: list[Event]) -> None:
    """On PostgreSQL, give new events their ids from the table's sequence before the INSERT.

    With its ids known the ORM sends the rows as one pipelined executemany of a short
    statement; otherwise it renders a multi-row INSERT … RETURNING whose thousands of
    placeholders psycopg parses in Python, slower than PostgreSQL runs the INSERT itself.
    Elsewhere (SQLite) the INSERT assigns the ids as usual.
    """
    if not events or db.session.get_bind().dialect.name != "postgresql":
        return
    # No autoflush: the events are in the session already and must not be written id-less.
    with db.session.no_autoflush:
        ids = db.session.scalars(_NEXT_EVENT_IDS, {"count": len(events)}).all()
    for event, event_id in zip(events, sorted(ids), strict=True):
        event.id = event_id
