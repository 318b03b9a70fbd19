"""Pull in batches: a page costs a few statements, whatever its size, and links what it creates."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import delete, select

from portal.extensions import db
from portal.google.account.clients import client_for
from portal.google.sync.pull import full_sync
from portal.google.sync.pull_scope import STAGE_LIMIT
from portal.google.sync.reconcile import PullCounts
from portal.models import Event, EventLink, GoogleConnection
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import SOON, google_events, live_events, timed
from tests.support.sql import recorded_statements
from tests.support.worker import run_jobs


def by_kind(statements: list[str]) -> Counter:
    """Statements counted by their first words ("SELECT", "INSERT INTO event_link", ...)."""
    kinds = (s.split() for s in statements)
    return Counter(" ".join(w[:3]) if w[0] == "INSERT" else w[0] for w in kinds)


def importing(connect_flow) -> GoogleConnection:
    """Connect, leaving the initial import to the test (the job is queued, not run)."""
    connect_flow.run()
    return db.session.scalar(select(GoogleConnection))


def run_import(connection: GoogleConnection) -> PullCounts:
    """The initial import as the job runs it, committing page by page."""
    return full_sync(connection, client_for(connection), checkpoint=db.session.commit)


def test_a_large_import_costs_a_few_statements_per_page_not_per_event(
    coordinator, connect_flow, google, db_backend
):
    total = 2 * STAGE_LIMIT + 100
    google.state.configure(page_size_cap=STAGE_LIMIT + 300)
    for n in range(total):
        google.state.user_insert_event(
            GOOGLE_USER, {"summary": f"Google {n}", **timed(SOON + timedelta(hours=n))}
        )
    connection = importing(connect_flow)
    with recorded_statements() as sent:
        counts = run_import(connection)
    statements = by_kind(sent)
    assert counts.created == total
    assert len(live_events(coordinator.id)) == total
    # Two pages: a few link lookups and one coordinator read, however many events.
    assert statements["SELECT"] <= 16, statements
    assert statements["INSERT INTO event_link"] <= 4, statements
    if db_backend == "postgresql":
        # SQLite has no multi-row INSERT … RETURNING in order: it inserts events one by one.
        assert statements["INSERT INTO event"] <= 4, statements


def test_every_item_of_a_mixed_page_is_linked_with_what_google_holds(
    coordinator, connect_flow, google, client
):
    from tests.google.test_sync_push import add_event

    # One page: plain events, a series with a moved and a cancelled occurrence, and (after the
    # links are lost) the portal's own event found again by its private property.
    google.state.configure(page_size_cap=2500)
    connection = importing(connect_flow)
    run_jobs()
    add_event(coordinator, title="Portal visit")
    run_jobs()
    db.session.execute(delete(EventLink))
    db.session.commit()
    for n in range(STAGE_LIMIT + 20):
        google.state.user_insert_event(
            GOOGLE_USER, {"summary": f"Google {n}", **timed(SOON + timedelta(hours=n))}
        )
    series = google.state.user_insert_event(
        GOOGLE_USER,
        {
            "summary": "Weekly check-in",
            **timed(SOON + timedelta(days=1)),
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
        },
    )
    instances = google.state.expand(GOOGLE_USER, SOON, SOON + timedelta(days=40))
    occurrences = sorted(i["id"] for i in instances if i.get("recurringEventId") == series["id"])
    google.state.user_patch_event(GOOGLE_USER, occurrences[1], {"summary": "Moved check-in"})
    google.state.user_delete_event(GOOGLE_USER, occurrences[2])
    connection = db.session.get(GoogleConnection, connection.id)
    run_import(connection)
    db.session.commit()

    items = {i["id"]: i for i in google_events(google, include_deleted=True)}
    links = {link.google_event_id: link for link in db.session.scalars(select(EventLink))}
    assert set(links) == set(items)
    for google_id, link in links.items():
        linked = db.session.get(Event, link.event_id)
        assert link.etag == items[google_id]["etag"]
        assert link.synced_version == linked.version
        assert link.remote_deleted == (items[google_id].get("status") == "cancelled")
    master = db.session.get(Event, links[series["id"]].event_id)
    moved = db.session.get(Event, links[occurrences[1]].event_id)
    cancelled = db.session.get(Event, links[occurrences[2]].event_id)
    assert (moved.series_id, moved.title, moved.is_deleted) == (master.id, "Moved check-in", False)
    assert (cancelled.series_id, cancelled.deleted_by) == (master.id, "google")
    titles = Counter(e.title for e in live_events(coordinator.id))
    assert titles["Portal visit"] == 1 and titles["Weekly check-in"] == 1
    assert len(titles) == STAGE_LIMIT + 20 + 3
