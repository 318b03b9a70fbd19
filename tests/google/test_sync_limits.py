"""Google's quota and Retry-After are respected; the operator's sync command says what it did."""

from __future__ import annotations

import pytest

from portal.core.queue import redis_connection
from portal.extensions import db
from portal.google.account.clients import per_minute_throttle
from portal.google.worker.jobs import sweep_job
from portal.models import GoogleConnection
from tests.google.sync_support import activity, google_events, pending_outbox
from tests.google.test_sync_pull import google_adds
from tests.google.test_sync_push import add_event
from tests.support.worker import run_jobs


def test_the_throttle_waits_for_the_next_minute_once_the_quota_is_used(app):
    now = [600.0]  # the start of a minute
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    throttle = per_minute_throttle(redis_connection(), 42, 3, sleep=sleep, clock=lambda: now[0])
    for _ in range(3):
        throttle()
    assert slept == []
    throttle()  # the fourth call in that minute waits for the next one
    assert slept == [60.0]


def test_the_throttle_is_shared_by_every_process_through_redis(app):
    clock = lambda: 1200.0  # noqa: E731
    first = per_minute_throttle(redis_connection(), 7, 2, sleep=lambda s: None, clock=clock)
    first()
    first()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        raise StopIteration  # enough: it would have waited

    second = per_minute_throttle(redis_connection(), 7, 2, sleep=sleep, clock=clock)
    with pytest.raises(StopIteration):
        second()
    assert waits == [60.0]


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
