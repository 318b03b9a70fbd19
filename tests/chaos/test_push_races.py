"""The push meeting Google's changes while it settles one, replayed in a fixed order.

Found by the chaos run's check of failed activity rows (seed 21378058, bench.chaos --steps
1500): the second 412 was recorded as "Google refused … Precondition Failed" and the
coordinator's change dropped; fixed in c823bfa (the second 412 is settled again).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.calendar.operations import EventData, create_event, update_event
from portal.extensions import db
from portal.google.worker.enqueue import kick
from portal.google.worker.jobs import push_job
from portal.models import SyncLog
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import link_of
from tests.support.worker import run_jobs

SOON = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)


def test_google_changing_again_while_a_conflict_is_settled_does_not_drop_the_change(
    app, db_backend_is_postgresql, chaos_connection, coordinator, google
):
    event = create_event(
        coordinator,
        EventData(
            "Home visit", "Australia/Sydney", start_at=SOON, end_at=SOON + timedelta(hours=1)
        ),
    )
    db.session.commit()
    kick(coordinator.id)
    run_jobs()
    google_id = link_of(event).google_event_id
    google.state.user_patch_event(GOOGLE_USER, google_id, {"location": "Room 2"})
    time.sleep(0.01)
    update_event(event, replace(EventData.of(event), title="Home visit at the office"))
    db.session.commit()
    # The first patch meets Google's change (412) and the portal's later change wins; while
    # the second patch is on its way (held 1.5 s), Google's copy changes once more.
    google.state.add_fault("calendar.events.patch", None, count=1)
    google.state.add_fault("calendar.events.patch", None, delay=1.5)
    meanwhile = threading.Timer(
        0.7, lambda: google.state.user_patch_event(GOOGLE_USER, google_id, {"description": "x"})
    )
    meanwhile.start()
    with app.app_context():
        push_job(chaos_connection.id)
    meanwhile.join()
    run_jobs()
    failed = db.session.scalars(select(SyncLog.message).where(SyncLog.outcome == "failed"))
    assert list(failed) == []
    assert google.state.get_event(GOOGLE_USER, google_id)["summary"] == "Home visit at the office"
