"""A portal change still waiting for Google when a pull brings Google's change of fields the
portal does not take back: the pull settles nothing, and the waiting change still goes."""

from __future__ import annotations

from portal.google.worker.enqueue import enqueue_pull
from tests.google.sync_support import link_of, pending_outbox
from tests.google.test_real_calendars import (
    change,
    fresh_event,
    google_copy,
    portal_event,
    user_changes,
)
from tests.support.worker import run_jobs


def test_a_waiting_cancellation_survives_a_pull_of_an_unrelated_google_change(
    connected, coordinator, google
):
    event = portal_event(coordinator, connected, "private_title")
    google_id = link_of(event).google_event_id
    # The coordinator adds a colour in Google: a field the portal neither sends nor takes.
    user_changes(google, google_id, {"colorId": "5"})
    enqueue_pull(connected.id)
    # Meanwhile the appointment is cancelled here; its push waits behind the pull.
    change(fresh_event(event), status="cancelled", cancel_reason="Participant unwell")
    run_jobs()

    copy = google_copy(google, google_id)
    assert copy["transparency"] == "transparent" and copy["colorId"] == "5"
    assert not pending_outbox()
    assert link_of(event).synced_version == fresh_event(event).version
