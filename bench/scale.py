"""Scale: the clock's ticks and scans at 100, 1,000 and 10,000 connections in one database, and
the Google calls an idle coordinator with a healthy channel costs a day.

First a few real coordinators sign in with Google (the emulator) and the clock runs for eight
simulated days over them (bench/scale_days.py): the real jobs, the real worker, every Google
call counted. Then the worker stops, the database grows to each size by bulk inserts
(bench/scale_rows.py), and at each size the bench measures, in this process on the stack's
PostgreSQL and its own redis-server: a safety-net tick with nothing due, a tick with every
connection due (capped), the tick after it (the backlog held), and the channel upkeep with 1 %
of channels to renew and 1 % orphaned. The ceiling is a `SELECT 1` round trip in the same run.

    .venv/bin/python -m bench.scale [--sizes 100,1000,10000] [--coordinators 4] [--days 8]
"""

from __future__ import annotations

import argparse
import platform
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update

from bench import figures, processes, scale_days, scale_rows
from bench.harness import Stack
from bench.scale_rows import Cost, cost_of, median_cost

NAME = "scale"
DAILY_BUDGET = 24


def idle_calls_per_day(stack: Stack, coordinators: int, days: float) -> dict:
    """Connect idle coordinators, run the clock for `days`; Google calls per coordinator-day."""
    for n in range(coordinators):
        stack.connect_coordinator(f"idle{n}@bench.example", f"idle{n}@gmail.example")
    calls, steps = scale_days.simulate(stack, days)
    per_day = sum(calls.values()) / coordinators / days
    print(f"{coordinators} idle coordinators, {days:g} days, {steps} steps: {dict(calls)}")
    return {"per_day": per_day, "calls": dict(calls), "steps": steps}


def _connections():
    from portal.models import GoogleConnection

    return GoogleConnection


def make_due(fraction: float, rng: random.Random) -> int:
    """Make a random `fraction` of the connections due now (all, at 1.0); returns how many."""
    from portal.extensions import db
    from portal.models import utcnow

    model = _connections()
    ids = list(db.session.scalars(select(model.id).where(model.state == "connected")))
    chosen = ids if fraction >= 1 else rng.sample(ids, max(1, int(len(ids) * fraction)))
    db.session.execute(
        update(model)
        .where(model.id.in_(chosen))
        .values(next_pull_at=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()
    return len(chosen)


def settle(stack: Stack) -> None:
    """Empty the queue and markers, and put every connection's next pull 1–3 h away again."""
    from portal.extensions import db

    stack.redis.flushdb()
    # Naive UTC, as the portal stores instants.
    db.session.execute(
        text(
            "UPDATE google_connection SET next_pull_at = (now() AT TIME ZONE 'utc')"
            " + make_interval(secs => 3600 + random() * 7200)"
        )
    )
    db.session.commit()


def channel_upkeep_work(rng: random.Random) -> None:
    """1 % of open channels expire within hours, 1 % of connections are disconnected."""
    from portal.extensions import db
    from portal.models import WatchChannel, utcnow

    model = _connections()
    open_ids = list(
        db.session.scalars(select(WatchChannel.id).where(WatchChannel.stopped_at.is_(None)))
    )
    renew = rng.sample(open_ids, max(1, len(open_ids) // 100))
    db.session.execute(
        update(WatchChannel)
        .where(WatchChannel.id.in_(renew))
        .values(expires_at=utcnow() + timedelta(hours=3))
    )
    ids = list(db.session.scalars(select(model.id).where(model.state == "connected")))
    gone = rng.sample(ids, max(1, len(ids) // 100))
    db.session.execute(update(model).where(model.id.in_(gone)).values(state="disconnected"))
    db.session.commit()


def measure_size(stack: Stack, size: int, rng: random.Random) -> dict[str, Cost | float]:
    """The clock's costs at one size."""
    from portal.google.worker import jobs

    scale_rows.grow_to(size, rng)
    ceiling = scale_rows.select_one_ms()
    empty = median_cost(jobs.safety_net_job, stack.redis, repeat=20)
    make_due(1.0, rng)
    due = cost_of(jobs.safety_net_job, stack.redis)
    backlog = cost_of(jobs.safety_net_job, stack.redis)
    settle(stack)
    channel_upkeep_work(rng)
    upkeep = cost_of(jobs.channels_job, stack.redis)
    settle(stack)
    row = {"ceiling": ceiling, "empty": empty, "due": due, "backlog": backlog, "upkeep": upkeep}
    print(f"{size:>6}: " + ", ".join(f"{k} {_short(v)}" for k, v in row.items()), flush=True)
    return row


def _short(value: Cost | float) -> str:
    if isinstance(value, float):
        return f"{value:.2f} ms"
    return f"{value.ms:.1f} ms/{value.statements} SQL/{value.redis_commands} Redis ({value.result})"


def explain_all(rng: random.Random) -> list[str]:
    """EXPLAIN ANALYZE of the key queries, as the real code sends them, at the largest size."""
    from portal.extensions import db
    from portal.google.realtime import channels
    from portal.google.sync.outbox import open_entries
    from portal.google.worker import safety_net
    from portal.models import OutboxEntry, utcnow

    cid = db.session.scalar(select(_connections().id).where(_connections().state == "connected"))
    event_id = db.session.scalar(select(OutboxEntry.event_id).limit(1))
    return [
        *scale_rows.explain(lambda: safety_net.due_connections(utcnow(), 1000)),
        *scale_rows.explain(lambda: channels.connections_due_for_renewal(500)),
        *scale_rows.explain(lambda: channels.connections_without_channel(500)),
        *scale_rows.explain(lambda: channels.stop_orphans(500, lambda _c: None)),
        *scale_rows.explain(lambda: channels.live_channels(cid)),
        *scale_rows.explain(lambda: open_entries(event_id)),
    ]


def run(sizes=(100, 1000, 10_000), coordinators: int = 4, days: float = 8) -> list:
    """Measure everything; returns the figures."""
    rng = random.Random(19)
    with Stack(workers=1) as stack:
        idle = idle_calls_per_day(stack, coordinators, days)
        for worker in stack.worker_processes:
            processes.stop(worker)
        stack.worker_processes.clear()
        costs = {size: measure_size(stack, size, rng) for size in sizes}
        plans = explain_all(rng)
    for plan in plans:
        print("\n" + plan)
    return _figures(idle, costs, coordinators, days, plans)


def _figures(idle: dict, costs: dict, coordinators: int, days: float, plans: list) -> list:
    """The table's rows, printed with the date and the machine and kept in results/scale.json."""
    what = (
        "Google calls per idle coordinator (healthy channel) per day, "
        f"{coordinators} coordinators × {days:g} simulated days"
    )
    rows = [figures.at_most(NAME, what, idle["per_day"], DAILY_BUDGET, unit="calls")]
    rows += [figures.Figure(NAME, f"at {size:,} connections", _row(c)) for size, c in costs.items()]
    rows.append(_empty_tick_ratio(costs))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.node()} ({platform.machine()}, load {figures.machine_load()})"
    print(f"\nmeasured {stamp} on {machine}")
    details = {"idle": idle, "costs": {str(k): _plain(v) for k, v in costs.items()}}
    figures.report(NAME, rows, details | {"explain": plans, "when": stamp, "machine": machine})
    return rows


def _empty_tick_ratio(costs: dict) -> figures.Figure:
    """The empty tick at the largest size against the smallest: time and statements."""
    small, large = costs[min(costs)]["empty"], costs[max(costs)]["empty"]
    ratio, same = large.ms / small.ms, large.statements == small.statements
    return figures.Figure(
        NAME,
        f"empty tick at {max(costs):,} ÷ at {min(costs):,}",
        f"{ratio:.2f}× the time, statements {'the same' if same else 'differ'}",
        "≤ 3×, same statements",
        ratio <= 3 and same,
    )


def _row(c: dict) -> str:
    """One size's costs in a table cell."""

    def one(cost: Cost) -> str:
        return f"{cost.ms:.1f} ms, {cost.statements} SQL, {cost.redis_commands} Redis"

    return (
        f"SELECT 1 {c['ceiling']:.2f} ms · empty tick {one(c['empty'])} · "
        f"all due: {c['due'].result} enqueued in {one(c['due'])} · next tick {one(c['backlog'])}"
        f" · channel upkeep ({c['upkeep'].result}) {one(c['upkeep'])}"
    )


def _plain(row: dict) -> dict:
    return {k: (v if isinstance(v, float) else vars(v)) for k, v in row.items()}


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--coordinators", type=int, default=4)
    parser.add_argument("--days", type=float, default=8)
    args = parser.parse_args()
    run(tuple(int(s) for s in args.sizes.split(",")), args.coordinators, args.days)


if __name__ == "__main__":
    main()
