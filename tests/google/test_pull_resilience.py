"""One odd item from Google never stops a sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.extensions import db
from portal.google.worker.enqueue import enqueue_pull
from portal.models import GoogleConnection
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import google_events, live_events
from tests.google.test_sync_push import add_event
from tests.support.worker import run_jobs

SOON = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


def test_an_event_duplicated_in_google_is_its_own_event_and_the_sync_goes_on(
    app, connected, coordinator, google
):
    connection_id = connected.id
    add_event(coordinator, title="Home visit")
    run_jobs()
    [ours] = google_events(google)
    # Google Calendar's "Duplicate" copies everything, our private id included.
    copy = {k: ours[k] for k in ("summary", "start", "end", "extendedProperties")}
    google.state.user_insert_event(GOOGLE_USER, {**copy, "summary": "Home visit (copy)"})
    google.state.user_insert_event(
        GOOGLE_USER,
        {
            "summary": "Dentist",
            "start": {"dateTime": SOON.isoformat()},
            "end": {"dateTime": (SOON + timedelta(hours=1)).isoformat()},
        },
    )
    enqueue_pull(connection_id)
    run_jobs()
    titles = sorted(e.title for e in live_events(coordinator.id))
    assert titles == ["Dentist", "Home visit", "Home visit (copy)"]
    connection = db.session.get(GoogleConnection, connection_id)
    assert connection.last_error is None and connection.sync_token
