"""Rows for bench.scale, inserted in bulk, and what one call of the clock's code costs.

The connections have no tokens: the clock's ticks and scans read only rows, so their cost is
measured without any pull running (bench.scale stops its worker first).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from redis import Redis
from sqlalchemy import event, func, insert, select, text

from portal.extensions import db
from portal.models import (
    Business,
    Event,
    GoogleConnection,
    OutboxEntry,
    User,
    WatchChannel,
    utcnow,
)

OUTBOX_PER_CONNECTION = 10


def grow_to(size: int, rng: random.Random) -> None:
    """Add coordinators until `size` connections exist: each idle (next pull 1–3 h away), with
    an open, confirmed channel expiring in 2–7 days, one event and its processed outbox rows."""
    have = db.session.scalar(select(func.count()).select_from(GoogleConnection)) or 0
    if have >= size:
        return
    business = Business(name=f"Scale {size}")
    db.session.add(business)
    db.session.flush()
    now = utcnow()
    users = [
        {"business_id": business.id, "email": f"s{size}-{n}@bench.example", "name": "C"}
        | {"password_hash": "x"}
        for n in range(size - have)
    ]
    user_ids = db.session.scalars(insert(User).returning(User.id), users).all()
    connections = [
        {"user_id": uid, "business_id": business.id, "state": "connected"}
        | {"calendar_id": "primary", "next_pull_at": now + timedelta(hours=rng.uniform(1, 3))}
        for uid in user_ids
    ]
    ids = db.session.scalars(insert(GoogleConnection).returning(GoogleConnection.id), connections)
    _channels_and_outbox(list(ids), list(user_ids), business.id, rng)
    db.session.commit()
    analyze()


def _channels_and_outbox(
    ids: list[int], user_ids: list[int], business_id: int, rng: random.Random
) -> None:
    """Each connection's open channel, and its user's event with processed outbox rows."""
    now = utcnow()
    channels = [
        {"connection_id": cid, "channel_id": f"bench-{cid}", "token_hash": "0" * 64}
        | {"calendar_id": "primary", "live_at": now}
        | {"expires_at": now + timedelta(days=rng.uniform(2, 7))}
        for cid in ids
    ]
    db.session.execute(insert(WatchChannel), channels)
    events = [
        {"business_id": business_id, "owner_id": uid, "title": "Visit", "time_zone": "UTC"}
        | {"start_at": now, "end_at": now + timedelta(hours=1)}
        for uid in user_ids
    ]
    event_ids = db.session.scalars(insert(Event).returning(Event.id), events).all()
    outbox = [
        {"user_id": uid, "event_id": eid, "processed_at": now - timedelta(days=n)}
        for uid, eid in zip(user_ids, event_ids, strict=True)
        for n in range(OUTBOX_PER_CONNECTION)
    ]
    db.session.execute(insert(OutboxEntry), outbox)


def analyze() -> None:
    """Refresh the planner's statistics after a bulk insert, as autovacuum soon would."""
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


@dataclass
class Cost:
    """What one call cost: wall time, SQL statements sent, Redis commands served."""

    ms: float
    statements: int
    redis_commands: int
    result: object = None


def redis_calls(redis: Redis) -> int:
    """Commands the bench's own redis-server has served, INFO itself left out."""
    stats = redis.info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k not in ("cmdstat_info",))


def cost_of(fn: Callable[[], object], redis: Redis) -> Cost:
    """Run fn once and count what it cost."""
    seen: list[str] = []

    def record(_conn, _cursor, statement: str, *_args) -> None:
        seen.append(statement)

    before = redis_calls(redis)
    event.listen(db.engine, "before_cursor_execute", record)
    started = time.perf_counter()
    try:
        result = fn()
    finally:
        elapsed = (time.perf_counter() - started) * 1000
        event.remove(db.engine, "before_cursor_execute", record)
    return Cost(elapsed, len(seen), redis_calls(redis) - before, result)


def median_cost(fn: Callable[[], object], redis: Redis, repeat: int) -> Cost:
    """The median time of `repeat` calls, with the statements and commands of the last."""
    costs = [cost_of(fn, redis) for _ in range(repeat)]
    return Cost(statistics.median(c.ms for c in costs), *_last(costs))


def _last(costs: list[Cost]) -> tuple[int, int, object]:
    return costs[-1].statements, costs[-1].redis_commands, costs[-1].result


def select_one_ms(repeat: int = 50) -> float:
    """The ceiling: the median round trip of a trivial `SELECT 1`."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        db.session.execute(text("SELECT 1"))
        times.append((time.perf_counter() - started) * 1000)
    db.session.commit()
    return statistics.median(times)


def explain(fn: Callable[[], object]) -> list[str]:
    """EXPLAIN ANALYZE of every SELECT fn sends, with the parameters it sent them with."""
    sent: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement: str, parameters, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    db.session.rollback()
    plans = []
    with db.engine.connect() as conn:
        for statement, parameters in sent:
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + statement, parameters)
            plans.append(" ".join(statement.split()) + "\n" + "\n".join(r[0] for r in rows))
    return plans
