"""Google's usage limits and Retry-After are respected; the operator's sync command says what
it did. The shared budget for Google calls has its own tests (test_budget.py)."""

from __future__ import annotations

import pytest

from portal.core.queue import redis_connection
from portal.extensions import db
from portal.google.worker.jobs import sweep_job
from portal.models import GoogleConnection
from tests.google.sync_support import activity, google_events, pending_outbox
from tests.google.test_sync_pull import google_adds
from tests.google.test_sync_push import add_event
from tests.support.worker import run_jobs


def test_a_rate_limit_with_retry_after_is_honoured_within_the_job(
    app, connected, coordinator, google
):
    app.config["GOOGLE_HTTP_RETRIES"] = 2
    google.state.add_fault("calendar.events.insert", 429, "rateLimitExceeded", retry_after=1)
    add_event(coordinator)
    run_jobs()
    inserts = google.calls("calendar.events.insert")
    assert [c["status"] for c in inserts] == [429, 200]
    assert len(google_events(google)) == 1 and not pending_outbox()


def test_the_sync_command_pushes_pulls_and_reports(app, connected, coordinator, google):
    add_event(coordinator, title="From the portal")
    google_adds(google, "From Google")
    # Nothing was run by a worker: the command does it all, in-process.
    redis_connection().flushdb()
    result = app.test_cli_runner().invoke(args=["google", "sync", coordinator.email])
    assert result.exit_code == 0, result.output
    assert "Pushed to Google: 1 (1 inserted)" in result.output
    assert "Pulled from Google: 1 change from Google" in result.output
    assert sorted(i["summary"] for i in google_events(google)) == ["From Google", "From the portal"]


def test_the_sync_command_explains_a_coordinator_without_google(app, coordinator):
    result = app.test_cli_runner().invoke(args=["google", "sync", coordinator.email])
    assert result.exit_code != 0
    assert "has no active Google connection" in result.output


@pytest.mark.parametrize(
    ("status", "reason"),
    [(403, "quotaExceeded"), (403, "dailyLimitExceeded"), (403, "userRateLimitExceeded")],
)
def test_a_usage_limit_keeps_the_change_and_sends_it_when_google_takes_requests_again(
    app, connected, coordinator, google, status, reason
):
    connection_id = connected.id
    # Every try within the job's retries is refused, as during a longer limit.
    google.state.add_fault("calendar.events.insert", status, reason, count=100)
    add_event(coordinator)
    run_jobs()
    assert google_events(google) == [] and pending_outbox(), "the change must stay pending"
    connection = db.session.get(GoogleConnection, connection_id)
    assert "Google is limiting how many requests" in connection.last_error
    assert "next try in about" in connection.last_error
    assert not [a for a in activity("error") if "refused" in a.message]

    google.state.clear_faults()
    assert sweep_job() == 1
    run_jobs()
    assert len(google_events(google)) == 1 and not pending_outbox()
    db.session.expire_all()
    assert db.session.get(GoogleConnection, connection_id).last_error is None
