"""The shared budget for Google calls: token buckets in the tests' own redis-server.

Times are a fake clock handed to the script (the refill) or bounds computed from the configured
rates; what is asserted is how many calls got a token, and which bucket ran out.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from redis import Redis

from portal.core.queue import redis_connection
from portal.extensions import db
from portal.google.account.budget import (
    PROJECT_KEY,
    Bucket,
    Budget,
    BudgetSpent,
    Limits,
    connection_key,
    tokens_left,
)
from portal.google.account.clients import client_for, shared_budget
from portal.google.api.calls import Call
from portal.google.worker.jobs import sweep_job
from portal.models import GoogleConnection
from tests.google.sync_support import google_events, pending_outbox
from tests.google.test_sync_push import add_event
from tests.support.worker import run_jobs

# A rate so slow that nothing refills while a test runs: counts are then exact.
NEVER = 1e-6


def limits(
    project: tuple[float, float] = (NEVER, 100),
    connection: tuple[float, float] = (NEVER, 5),
    max_wait: float = 0.0,
) -> Limits:
    """Budget limits as (per minute, burst) pairs."""
    return Limits(Bucket(*project), Bucket(*connection), max_wait, 1_000_000)


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    """The tests' own redis-server, emptied."""
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


class FakeTime:
    """A clock for the script and a sleep that moves it, recording each pause."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now
        self.pauses: list[float] = []

    def clock(self) -> float:
        """The fake now, in seconds."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the pause and move the clock past it."""
        self.pauses.append(seconds)
        self.now += seconds


def drain(redis: Redis, key: str = PROJECT_KEY) -> None:
    """Empty a bucket as of now on Redis's clock (the script's clock outside FakeTime)."""
    seconds, micros = redis.time()
    redis.set(key, f"0 {seconds + micros / 1e6}")


def fake_budget(redis: Redis, fake: FakeTime, **kwargs) -> Budget:
    """A budget on the fake clock, without jitter."""
    return Budget(redis, limits(**kwargs), clock=fake.clock, sleep=fake.sleep, jitter=lambda: 0.0)


def granted(budget: Budget, connection_id: int | None, attempts: int) -> int:
    """How many of `attempts` calls got a token before the first refusal."""
    for taken in range(attempts):
        try:
            budget.take(connection_id)
        except BudgetSpent:
            return taken
    return attempts


def test_the_bucket_refills_at_its_rate_and_never_above_its_burst(redis):
    fake = FakeTime()
    budget = fake_budget(redis, fake, connection=(60, 5))  # one token a second
    assert granted(budget, 1, 10) == 5
    fake.now += 2.5
    assert granted(budget, 1, 10) == 2
    fake.now += 1_000
    assert granted(budget, 1, 10) == 5


def test_an_empty_bucket_waits_as_long_as_its_rate_needs_then_proceeds(redis):
    fake = FakeTime()
    budget = fake_budget(redis, fake, connection=(30, 2), max_wait=10)  # a token per 2 s
    for _ in range(2):
        budget.take(1)
    assert fake.pauses == []
    budget.take(1)
    assert fake.pauses == [pytest.approx(2.0)]


def test_a_wait_past_the_maximum_raises_the_temporary_usage_limit_error(redis):
    fake = FakeTime()
    budget = fake_budget(redis, fake, connection=(6, 1), max_wait=5)  # a token per 10 s
    budget.take(1)
    with pytest.raises(BudgetSpent) as refused:
        budget.take(1)
    error = refused.value
    assert error.usage_limited and error.retryable and error.status == 429
    assert (error.bucket, error.reason) == ("connection", "userRateLimitExceeded")
    assert error.wait == pytest.approx(10.0)
    assert fake.pauses == [], "a wait known to be too long is not slept"
    fake.now += 10
    budget.take(1)  # the refused call took nothing: the refilled token is there


def test_the_per_connection_limit_does_not_starve_other_connections(redis):
    budget = Budget(redis, limits(project=(NEVER, 100), connection=(NEVER, 5)))
    assert granted(budget, 1, 10) == 5
    with pytest.raises(BudgetSpent) as refused:
        budget.take(1)
    assert refused.value.bucket == "connection"
    assert granted(budget, 2, 10) == 5
    # Connection 1's refusals took nothing from the project.
    assert tokens_left(redis, PROJECT_KEY) == pytest.approx(90)


def test_the_project_limit_holds_across_connections(redis):
    budget = Budget(redis, limits(project=(NEVER, 7), connection=(NEVER, 5)))
    assert granted(budget, 1, 10) == 5
    assert granted(budget, 2, 10) == 2
    with pytest.raises(BudgetSpent) as refused:
        budget.take(3)
    assert (refused.value.bucket, refused.value.reason) == ("project", "rateLimitExceeded")
    # Connection 3 was refused by the project: its own bucket is untouched.
    assert not redis.exists(connection_key(3))


def test_waiters_are_woken_by_the_refill_and_all_get_through(redis):
    # Real time: 20 calls a second after a burst of 5; 15 more need about 0.75 s of refill.
    budget = Budget(redis, limits(project=(1200, 5), connection=(6000, 100), max_wait=30))
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    budget.sleep = sleep
    for _ in range(20):
        budget.take(1)
    # Each pause is what one token takes to refill (0.05 s), plus at most 25 % jitter.
    assert slept and all(p <= 0.05 * 1.25 + 1e-9 for p in slept)
    assert budget.recent_days()[0][1] == 20


# A child process: wait for the start signal, then take tokens until refused; print how many.
CHILD = """
import sys
from redis import Redis
from portal.google.account.budget import Bucket, Budget, BudgetSpent, Limits
url, connection_id, project, connection = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:])
never = 1e-6
redis = Redis.from_url(url, socket_timeout=120)  # a blocking pop must outlast its wait
budget = Budget(redis, Limits(Bucket(never, project), Bucket(never, connection), 0.0, 1))
redis.rpush("budget-test:ready", connection_id)
redis.blpop(["budget-test:start"], timeout=60)
taken = 0
try:
    while taken < 1000:
        budget.take(connection_id)
        taken += 1
except BudgetSpent:
    pass
print(taken)
"""


def _in_two_processes(
    redis: Redis, redis_url: str, connection_ids: tuple[int, int], bursts: tuple[float, float]
) -> list[int]:
    """Run CHILD in two processes at once, one per connection id; what each took."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, redis_url, str(cid), *map(str, bursts)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for cid in connection_ids
    ]
    # Starting Python is slow on a busy machine: a blocking pop longer than the default timeout.
    waiting = Redis.from_url(redis_url, socket_timeout=120)
    for _ in children:
        assert waiting.blpop(["budget-test:ready"], timeout=90), "a child did not start"
    redis.rpush("budget-test:start", "go", "go")  # both begin together
    outputs = [child.communicate(timeout=120)[0] for child in children]
    assert all(child.returncode == 0 for child in children), outputs
    return [int(output) for output in outputs]


def test_two_processes_share_one_project_budget(redis, redis_url):
    counts = _in_two_processes(redis, redis_url, (1, 2), bursts=(30, 200))
    assert sum(counts) == 30, counts


def test_two_processes_share_one_connection_budget(redis, redis_url):
    counts = _in_two_processes(redis, redis_url, (7, 7), bursts=(1000, 30))
    assert sum(counts) == 30, counts
    assert tokens_left(redis, PROJECT_KEY) == pytest.approx(970)


def test_calls_are_counted_per_day_with_an_expiry(redis):
    fake = FakeTime(now=1_764_000_000.0)
    budget = fake_budget(redis, fake, connection=(NEVER, 3))
    assert granted(budget, 1, 10) == 3
    budget.take(None)  # a call for no connection counts too
    today, yesterday = budget.recent_days()
    assert today[1] == 4 and yesterday[1] == 0
    assert 0 < redis.ttl(f"coordinoter:budget:calls:{today[0]}") <= 3 * 24 * 3600


def test_a_batch_takes_a_token_for_every_part(app, connected, google):
    app.config.update(GOOGLE_USER_QUOTA_PER_MINUTE=NEVER)
    redis_connection().delete(connection_key(connected.id))
    budget = shared_budget()
    before = budget.recent_days()[0][1]
    calls = [Call("GET", "/users/me/calendarList/primary") for _ in range(3)]
    client_for(db.session.get(GoogleConnection, connected.id)).batch(calls)
    assert budget.recent_days()[0][1] - before == 3
    tokens = tokens_left(redis_connection(), connection_key(connected.id))
    assert tokens == pytest.approx(budget.limits.connection.burst - 3)
    assert [c["status"] for c in google.calls("calendar.calendarList.get")] == [200] * 3


def test_the_budget_stops_a_burst_before_google_refuses_it(app, connected, google):
    google.state.configure(project_quota_per_minute=12)
    app.config.update(GOOGLE_PROJECT_QUOTA_PER_MINUTE=NEVER, GOOGLE_PROJECT_BURST=10)
    redis_connection().delete(PROJECT_KEY)
    client = client_for(db.session.get(GoogleConnection, connected.id))
    google.state.clear_request_log()
    with pytest.raises(BudgetSpent):
        for _ in range(20):
            client.get_calendar_entry("primary")
    log = google.state.request_log()
    statuses = [e["status"] for e in log if e.get("method", "").startswith("calendar.")]
    assert statuses == [200] * 10, "Google never had to refuse a call"


def test_a_spent_budget_keeps_the_change_pending_and_the_job_retries_later(
    app, connected, coordinator, google
):
    app.config.update(
        GOOGLE_PROJECT_QUOTA_PER_MINUTE=NEVER, GOOGLE_PROJECT_BURST=1, GOOGLE_QUOTA_MAX_WAIT=0
    )
    drain(redis_connection())
    add_event(coordinator)
    run_jobs()
    assert google.calls("calendar.events.insert") == [] and pending_outbox()
    connection = db.session.get(GoogleConnection, connected.id)
    assert "Google is limiting how many requests" in connection.last_error

    redis_connection().delete(PROJECT_KEY)  # the budget has refilled
    app.config.update(GOOGLE_PROJECT_BURST=1000)
    assert sweep_job() == 1
    run_jobs()
    assert len(google_events(google)) == 1 and not pending_outbox()


def test_the_quota_command_shows_the_days_count_against_the_threshold(app, redis):
    budget = shared_budget()
    for _ in range(3):
        budget.take(None)
    result = app.test_cli_runner().invoke(args=["google", "quota"])
    assert result.exit_code == 0, result.output
    assert ": 3 of 1,000,000 calls a day (0.0 %)" in result.output
    assert "8,000/min for the project (burst 1,000), 450/min per connection" in result.output
