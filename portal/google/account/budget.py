"""The budget for Google calls that every process shares: token buckets in Redis.

Google limits the Calendar API per project (10,000 requests a minute) and per user of the
project (600 a minute), and since May 2026 sets a daily threshold per project (1,000,000).
Every call, and every part of a batch, first takes one token from the project's bucket and
one from its connection's, both or neither, in one Lua script (`TAKE`), so any number of
workers and web processes stay together under both limits.

A bucket refills at `per_minute` and holds at most `burst` tokens, so any 60 seconds see at
most per_minute + burst calls: the defaults (portal/config.py) keep that under Google's limits
(8,000 + 1,000 of 10,000; 450 + 100 of 600). A connection without a token of its own takes
nothing from the project, so one busy coordinator never slows the others. When a bucket is
empty the call sleeps for as long as the missing token takes to refill (computed from the
rate), and past `max_wait` raises `BudgetSpent`: a usage-limit error like Google's own, which
the jobs retry later with the outbox rows kept pending.

The buckets use Redis's clock, so processes on different hosts agree on how much has refilled.
Calls are also counted per day (Google's day ends at midnight Pacific time) for the operator
(`flask google quota`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from redis import Redis
from redis.commands.core import Script

from portal.config import sync_tuning
from portal.google.api.errors import GoogleApiError

PREFIX = "coordinoter:budget"
PROJECT_KEY = f"{PREFIX}:project"
# Google's daily quotas reset at midnight Pacific time; yesterday's count stays readable.
GOOGLE_DAY = ZoneInfo("America/Los_Angeles")
DAY_COUNT_TTL = 3 * 24 * 3600
# A woken waiter sleeps a little longer at random, so waiters do not all retry at once.
JITTER = 0.25
MIN_PAUSE = 0.001

# KEYS: the buckets (project first, then the connection's, if any), then the day's counter.
# ARGV: cost, the counter's TTL, now in seconds ("" for Redis's clock), then each bucket's
# refill rate (tokens a second) and burst. Returns {1} when taken, else {0, wait, bucket}.
# A bucket is one string, "<tokens> <at>", so both are read in one MGET and each written
# with its expiry in one SET.
TAKE = """
local cost = tonumber(ARGV[1])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local buckets = #KEYS - 1
local states = redis.call('MGET', unpack(KEYS, 1, buckets))
local level = {}
local wait, short = 0, 0
for i = 1, buckets do
  local rate, burst = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  local tokens, at = string.match(states[i] or '', '^(%S+) (%S+)$')
  tokens = tonumber(tokens) or burst
  local elapsed = math.max(0, now - (tonumber(at) or now))
  level[i] = math.min(burst, tokens + elapsed * rate)
  if level[i] < cost and (cost - level[i]) / rate > wait then
    wait, short = (cost - level[i]) / rate, i
  end
end
if short > 0 then
  return {0, tostring(wait), short}
end
for i = 1, buckets do
  local rate, burst = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  -- Once refilled, a bucket is the same as no bucket: idle connections leave no keys.
  local ttl = math.ceil(burst / rate * 1000) + 1000
  redis.call('SET', KEYS[i], tostring(level[i] - cost) .. ' ' .. tostring(now), 'PX', ttl)
end
-- The day's counter gets its TTL when the day's first call creates it.
if redis.call('INCRBY', KEYS[#KEYS], cost) == cost then
  redis.call('EXPIRE', KEYS[#KEYS], ARGV[2])
end
return {1}
"""


@dataclass(frozen=True)
class Bucket:
    """A token bucket: refilled at `per_minute` tokens a minute, holding at most `burst`."""

    per_minute: float
    burst: float

    def args(self) -> list[str]:
        """The script's arguments for this bucket: tokens a second, and the burst."""
        return [repr(self.per_minute / 60.0), repr(self.burst)]


@dataclass(frozen=True)
class Limits:
    """The project's bucket, each connection's, the longest wait, and the daily threshold."""

    project: Bucket
    connection: Bucket
    max_wait: float
    daily_threshold: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """The limits an app is configured with (GOOGLE_*_QUOTA_*, portal/config.py)."""
        setting = partial(sync_tuning, config)
        limits = cls(
            Bucket(setting("GOOGLE_PROJECT_QUOTA_PER_MINUTE"), setting("GOOGLE_PROJECT_BURST")),
            Bucket(setting("GOOGLE_USER_QUOTA_PER_MINUTE"), setting("GOOGLE_USER_BURST")),
            setting("GOOGLE_QUOTA_MAX_WAIT"),
            int(setting("GOOGLE_DAILY_THRESHOLD")),
        )
        for bucket in (limits.project, limits.connection):
            if bucket.per_minute <= 0 or bucket.burst < 1:
                raise ValueError(f"a Google quota bucket needs a rate and a burst: {bucket}")
        return limits


class BudgetSpent(GoogleApiError):
    """No token came within the maximum wait: to the jobs, Google limiting requests (429)."""

    def __init__(self, bucket: str, wait: float) -> None:
        reason = "userRateLimitExceeded" if bucket == "connection" else "rateLimitExceeded"
        message = f"Coordinoter's {bucket} budget for Google calls has no token for {wait:.1f} s"
        super().__init__(429, reason, message)
        self.bucket = bucket
        self.wait = wait


class Budget:
    """The shared budget: `take` a token before each Google call, or `throttle` for a client."""

    def __init__(
        self,
        redis: Redis,
        limits: Limits,
        *,
        script: Script | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.redis = redis
        self.limits = limits
        self.script = script or redis.register_script(TAKE)
        # Tests pass a clock (and a sleep that moves it); otherwise Redis's clock is used.
        self.clock = clock
        self.sleep = sleep
        self.jitter = jitter

    def throttle(self, connection_id: int | None) -> Callable[[], None]:
        """What a client runs before each call: one token (None: from the project's alone)."""
        return partial(self.take, connection_id)

    def take(self, connection_id: int | None, cost: int = 1) -> None:
        """Wait until both buckets hold `cost` tokens and take them; BudgetSpent past max_wait."""
        if cost > min(self.limits.project.burst, self.limits.connection.burst):
            raise ValueError(f"{cost} tokens at once is more than a bucket holds")
        waited = 0.0
        while True:
            shortfall = self._try_take(connection_id, cost)
            if shortfall is None:
                return
            bucket, wait = shortfall
            room = self.limits.max_wait - waited
            if wait > room:
                raise BudgetSpent(bucket, wait)
            pause = min(max(wait * (1 + JITTER * self.jitter()), MIN_PAUSE), room)
            self.sleep(pause)
            waited += pause

    def _try_take(self, connection_id: int | None, cost: int) -> tuple[str, float] | None:
        """One atomic attempt: None when taken, else the empty bucket and its wait."""
        buckets = [(PROJECT_KEY, self.limits.project)]
        if connection_id is not None:
            buckets.append((connection_key(connection_id), self.limits.connection))
        now = "" if self.clock is None else repr(self.clock())
        args: list[str] = [str(cost), str(DAY_COUNT_TTL), now]
        for _, bucket in buckets:
            args += bucket.args()
        keys = [key for key, _ in buckets] + [day_key(self._today())]
        answer = self.script(keys=keys, args=args, client=self.redis)
        if int(answer[0]) == 1:
            return None
        return ("project", "connection")[int(answer[2]) - 1], float(answer[1])

    def calls_on(self, day: str) -> int:
        """Google calls the whole project made on a day (YYYY-MM-DD, Pacific time)."""
        return int(self.redis.get(day_key(day)) or 0)

    def recent_days(self) -> list[tuple[str, int]]:
        """Today's count and yesterday's, as (day, calls), today first."""
        today = datetime.strptime(self._today(), "%Y-%m-%d")
        days = [today.strftime("%Y-%m-%d"), (today - timedelta(days=1)).strftime("%Y-%m-%d")]
        return [(day, self.calls_on(day)) for day in days]

    def _today(self) -> str:
        now = time.time() if self.clock is None else self.clock()
        return datetime.fromtimestamp(now, GOOGLE_DAY).strftime("%Y-%m-%d")


def tokens_left(redis: Redis, key: str) -> float | None:
    """The tokens a bucket held when last taken from (None: untouched, or refilled)."""
    state = redis.get(key)
    return float(state.split()[0]) if state else None


def connection_key(connection_id: int) -> str:
    """The Redis key of one connection's bucket."""
    return f"{PREFIX}:connection:{connection_id}"


def day_key(day: str) -> str:
    """The Redis key of one day's count of Google calls (YYYY-MM-DD, Pacific time)."""
    return f"{PREFIX}:calls:{day}"
