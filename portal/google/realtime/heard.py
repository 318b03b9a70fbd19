"""What Google's notifications told us, kept in Redis rather than one database row each.

A busy calendar (or a forger) can send thousands of notifications a second. Writing a row per
notification made the webhook as slow as the database's commit, and a coordinator never reads
them one by one. So the webhook only touches Redis:

- per connection, a hash "heard": when the last notification came, and per channel its last
  time and highest message number. The pull that follows folds it into the WatchChannel rows
  (`take_heard`).
- per hour, a hash of outcome counters (accepted, coalesced, unknown_channel, bad_token, ...)
  kept for a week, for operators (`flask google notices`).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from redis import Redis

from portal.core.queue import redis_script
from portal.google.realtime.directory import GENERATION_KEY, ChannelFacts, version_key

if TYPE_CHECKING:
    from portal.google.worker.enqueue import NoticeClaims

KEEP_SECONDS = 8 * 24 * 3600

# Atomically: note a genuine notification, then make sure a pull will follow. A pull's pending
# marker already set (a burst's pull, a safety pull) answers {"waiting", <marker>}. Otherwise a
# notification within `gap` seconds of the previous one (a burst) sets that marker and answers
# {"later", ""}, unless the connection is already marked dirty; any other marks the connection
# dirty in its shard and claims the shard's drain marker: {"drain", ""} when this notification
# must enqueue the drain job, {"draining", <marker>} when one already waits. {"stale", <the
# generation>, <the connection's version>} (and nothing done) when the channel facts the
# webhook judged by are older than these: the webhook reads the facts again under them.
_NOTE = """
-- One MGET for the two versions and the pending marker; false stands for a missing key.
local read = redis.call('MGET', KEYS[4], KEYS[5], KEYS[2])
if (read[1] or '0') ~= ARGV[8] or (read[2] or '0') ~= ARGV[9] then
  return {'stale', read[1] or '0', read[2] or '0'}
end
local number_field = 'number:' .. ARGV[2]
local seen = redis.call('HMGET', KEYS[1], 'at', number_field)
local previous = tonumber(seen[1] or '0')
local now = tonumber(ARGV[1])
local fields = {'at', ARGV[1], 'at:' .. ARGV[2], ARGV[1]}
if ARGV[3] ~= '' and tonumber(ARGV[3]) > tonumber(seen[2] or '-1') then
  fields[5], fields[6] = number_field, ARGV[3]
end
redis.call('HSET', KEYS[1], unpack(fields))
-- Kept for a week after the last notification: its TTL is pushed back once a day, not on
-- every notification (one command fewer on the webhook's hot path).
if now - previous > 86400 then
  redis.call('EXPIRE', KEYS[1], ARGV[7])
end
local outcome = 'coalesced'
local answer
local waiting = read[3]
if waiting then
  answer = {'waiting', waiting}
elseif now - previous < tonumber(ARGV[6]) and not redis.call('ZSCORE', KEYS[6], ARGV[10]) then
  redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5])
  outcome = 'accepted'
  answer = {'later', ''}
else
  if redis.call('ZADD', KEYS[6], 'NX', ARGV[1], ARGV[10]) == 1 then
    outcome = 'accepted'
  end
  -- Even a connection marked already: the drain that took the shard may have been lost.
  -- SET NX GET (Redis 7): sets the marker if none stands, else answers the one that does.
  local draining = redis.call('SET', KEYS[7], ARGV[11], 'NX', 'EX', ARGV[5], 'GET')
  if draining then
    answer = {'draining', draining}
  else
    answer = {'drain', ''}
  end
end
-- The hour's counters get their TTL when each outcome is first counted that hour.
if redis.call('HINCRBY', KEYS[3], outcome, 1) == 1 then
  redis.call('EXPIRE', KEYS[3], ARGV[7])
end
return answer
"""

# Atomically read the hash and forget everything but the last time (the burst detector's),
# in one HDEL.
_TAKE = """
local all = redis.call('HGETALL', KEYS[1])
local gone = {}
for i = 1, #all, 2 do
  if all[i] ~= 'at' then gone[#gone + 1] = all[i] end
end
if #gone > 0 then redis.call('HDEL', KEYS[1], unpack(gone)) end
return all
"""


def heard_key(connection_id: int) -> str:
    """The Redis hash of what a connection's channels told us since its last pull."""
    return f"coordinoter:heard:{connection_id}"


def _hour_key(when: float) -> str:
    return "coordinoter:notices:" + time.strftime("%Y%m%d%H", time.gmtime(when))


@dataclass(frozen=True)
class Noted:
    """The webhook's verdict on a genuine notification."""

    verdict: str  # "drain", "draining", "later" (pull after the burst), "waiting" or "stale"
    marker: str | None = None  # the pending marker of the pull or drain that already waits
    versions: tuple[str, str] | None = None  # when stale: the generation and version now


def note_genuine(
    redis: Redis, facts: ChannelFacts, number: int | None, claims: NoticeClaims, burst_gap: float
) -> Noted:
    """Record one genuine notification and claim what its pull needs (one round trip)."""
    now = time.time()
    # The verdict, then the waiting marker, or (stale) the generation and the version.
    verdict, detail, *version = redis_script(_NOTE)(
        keys=[
            heard_key(facts.connection_id),
            claims.pull.key,
            _hour_key(now),
            GENERATION_KEY,
            version_key(facts.connection_id),
            claims.dirty_key,
            claims.drain.key,
        ],
        args=[
            f"{now:.6f}",
            facts.channel_id,
            "" if number is None else str(number),
            claims.pull.marker,
            claims.pull.ttl,
            burst_gap,
            KEEP_SECONDS,
            facts.generation,
            facts.version,
            facts.connection_id,
            claims.drain.marker,
        ],
        client=redis,
    )
    text, detail_text = _text(verdict), _text(detail)
    if text == "stale":
        return Noted(text, None, (detail_text, _text(version[0])))
    return Noted(text, detail_text or None)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def count_outcome(redis: Redis, outcome: str) -> None:
    """Count a notification that started no work (unknown channel, bad token, ...)."""
    key = _hour_key(time.time())
    pipe = redis.pipeline(transaction=False)
    pipe.hincrby(key, outcome, 1)
    pipe.expire(key, KEEP_SECONDS)
    pipe.execute()


def outcome_counts(redis: Redis, hours: int = 24) -> Counter[str]:
    """Notifications received in the last `hours` hours, by outcome."""
    now = time.time()
    pipe = redis.pipeline(transaction=False)
    for back in range(hours):
        pipe.hgetall(_hour_key(now - back * 3600))
    totals: Counter[str] = Counter()
    for counts in pipe.execute():
        for outcome, count in counts.items():
            totals[outcome.decode()] += int(count)
    return totals


@dataclass
class Heard:
    """What a connection's channels said since its previous pull."""

    channel_last_at: dict[str, datetime] = field(default_factory=dict)
    channel_numbers: dict[str, int] = field(default_factory=dict)


def take_heard(redis: Redis, connection_id: int) -> Heard:
    """Read and reset what was heard for a connection (its pull is starting now)."""
    raw = redis_script(_TAKE)(keys=[heard_key(connection_id)], client=redis)
    heard = Heard()
    for name, value in zip(raw[::2], raw[1::2], strict=True):
        key, text = name.decode(), value.decode()
        if key.startswith("at:"):
            heard.channel_last_at[key[3:]] = _instant(text)
        elif key.startswith("number:"):
            heard.channel_numbers[key[7:]] = int(text)
    return heard


def last_heard_at(redis: Redis, connection_id: int) -> datetime | None:
    """When the latest notification for this connection arrived (None if not in the last week)."""
    value = redis.hget(heard_key(connection_id), "at")
    return _instant(value.decode()) if value else None


def seconds_since_heard(redis: Redis, connection_id: int) -> float | None:
    """Seconds since the latest notification for this connection, or None."""
    at = last_heard_at(redis, connection_id)
    return None if at is None else (datetime.now(UTC) - at).total_seconds()


def _instant(epoch: str) -> datetime:
    return datetime.fromtimestamp(float(epoch), UTC)
