"""The webhook's channel memory at 1,000, 10,000 and 100,000 channels: what a notification for
a known channel costs, and what one renewal costs every web process.

Channel rows are bulk-inserted into the bench's own database (one connected coordinator each);
the webhook's code runs in this process against the stack's own redis-server, whose
`INFO commandstats` gives the Redis commands. The ceiling is a trivial Redis GET and a dict
lookup, measured in the same run.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from bench import figures
from bench.harness import Stack
from bench.scale_rows import Cost, analyze, cost_of
from portal.extensions import db
from portal.google.realtime import directory
from portal.google.realtime.channels import hash_token
from portal.google.realtime.notifications import receive_notification
from portal.models import Business, GoogleConnection, User, WatchChannel, utcnow

NAME = "roster"
TOKEN = "bench-token"
BATCH = 10_000


def grow_to(size: int) -> None:
    """Add coordinators, each with one open channel, until `size` channels exist."""
    have = db.session.scalar(select(func.count()).select_from(WatchChannel)) or 0
    business = Business(name=f"Roster {size}")
    db.session.add(business)
    db.session.flush()
    for start in range(have, size, BATCH):
        count = min(BATCH, size - start)
        users = [
            {"business_id": business.id, "email": f"r{start + n}@bench.example"}
            | {"name": "C", "password_hash": "x"}
            for n in range(count)
        ]
        user_ids = db.session.scalars(insert(User).returning(User.id), users).all()
        rows = [{"user_id": u, "business_id": business.id, "state": "connected"} for u in user_ids]
        ids = db.session.scalars(insert(GoogleConnection).returning(GoogleConnection.id), rows)
        _channels(list(ids))
    analyze()


def _channels(connection_ids: list[int]) -> None:
    expires = utcnow() + timedelta(days=5)
    rows = [
        {"connection_id": cid, "channel_id": f"bench-{cid}", "token_hash": hash_token(TOKEN)}
        | {"calendar_id": "primary", "expires_at": expires, "live_at": utcnow()}
        for cid in connection_ids
    ]
    db.session.execute(insert(WatchChannel), rows)


def notify(channel_id: str, token: str = TOKEN) -> str:
    """One notification through the webhook's own code, as NotifyEndpoint calls it."""
    headers = {"X-Goog-Channel-ID": channel_id, "X-Goog-Channel-Token": token}
    outcome = receive_notification(headers | {"X-Goog-Resource-State": "exists"})
    db.session.rollback()
    return outcome


def median_of(fn: Callable[[], object], stack: Stack, repeat: int = 200) -> Cost:
    """Median time of `repeat` calls; statements and commands of the last (all alike)."""
    costs = [cost_of(fn, stack.redis) for _ in range(repeat)]
    last = costs[-1]
    return Cost(statistics.median(c.ms for c in costs), last.statements, last.redis_commands)


def renew(connection_id: int, n: int) -> None:
    """One renewal as channels.replace_channel commits it: the new channel, then the stop."""
    with Session(db.engine) as other:
        other.add(
            WatchChannel(
                connection_id=connection_id,
                channel_id=f"renewed-{connection_id}-{n}",
                token_hash=hash_token(TOKEN),
                calendar_id="primary",
                expires_at=utcnow() + timedelta(days=7),
            )
        )
        other.commit()
        old = other.scalar(
            select(WatchChannel).where(WatchChannel.channel_id == f"bench-{connection_id}")
        )
        old.stopped_at = utcnow()
        other.commit()


def rebuild_cost() -> dict:
    """A full read of the roster, streamed, and as it was read before: time, peak memory."""
    ms, peak = _traced(directory._read_roster)
    old_ms, old_peak = _traced(_old_read)
    return {"ms": ms, "peak_mb": peak, "old_ms": old_ms, "old_peak_mb": old_peak}


def _old_read() -> frozenset[str]:
    """The roster as it was read before (every row fetched at once, then a frozenset)."""
    since = utcnow() - timedelta(days=directory.ROSTER_STOPPED_DAYS)
    stopped = WatchChannel.stopped_at
    where = or_(stopped.is_(None), stopped > since)
    return frozenset(db.session.scalars(select(WatchChannel.channel_id).where(where)))


def _traced(fn: Callable[[], object]) -> tuple[float, float]:
    """Milliseconds of one call, then the peak MB of another (tracemalloc slows it down)."""
    started = time.perf_counter()
    fn()
    ms = (time.perf_counter() - started) * 1000
    db.session.rollback()
    tracemalloc.start()
    fn()
    _size, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    db.session.rollback()
    return ms, peak / 2**20


def facts_memory(size: int) -> float:
    """MB that the facts of `size` channels take in the webhook's memory."""
    tracemalloc.start()
    sample = [
        directory.ChannelFacts(f"{n:032x}", n, "0" * 64, None, utcnow(), "connected", "0", 0.0)
        for n in range(size)
    ]
    held, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del sample
    return held / 2**20


def measure_size(stack: Stack, size: int) -> dict:
    """The webhook's costs at one size."""
    grow_to(size)
    # The newest two: channels no earlier size has renewed.
    newest = select(GoogleConnection.id).order_by(GoogleConnection.id.desc()).limit(2)
    first, other = db.session.scalars(newest)
    notify(f"bench-{other}")  # remembered, and its pull's marker set: the rest coalesce
    known = median_of(lambda: notify(f"bench-{other}"), stack)
    notify(f"bench-{first}")  # its pull's marker set too
    directory._known.clear()
    cold = cost_of(lambda: notify(f"bench-{first}"), stack.redis)
    notify(f"bench-{other}")
    forged = median_of(lambda: notify("forged", "guessed"), stack)
    reads = _count_reads()
    renew(first, size)
    after = {
        "other": cost_of(lambda: notify(f"bench-{other}"), stack.redis),
        "new": cost_of(lambda: notify(f"renewed-{first}-{size}"), stack.redis),
        "forged": cost_of(lambda: notify("forged", "guessed"), stack.redis),
    }
    row = {"known": known, "cold": cold, "forged": forged, "after": after}
    row |= {"rebuilds": reads(), "rebuild": rebuild_cost(), "ceiling": ceilings(stack)}
    print(f"{size:>7}: {_line(row)}", flush=True)
    return row


def _count_reads() -> Callable[[], int]:
    """Count the full roster reads from now on; the returned function stops and answers."""
    original, count = directory._read_roster, [0]

    def counted() -> directory.Roster:
        count[0] += 1
        return original()

    directory._read_roster = counted

    def done() -> int:
        directory._read_roster = original
        return count[0]

    return done


def ceilings(stack: Stack) -> dict:
    """The ceiling, in the same run: a trivial Redis GET and a dict lookup, median ms."""
    get = median_of(lambda: stack.redis.get("bench:nothing"), stack)
    table = {f"{n:032x}": n for n in range(1000)}
    lookup = median_of(lambda: table.get("0" * 32), stack)
    return {"redis_get_ms": get.ms, "dict_ms": lookup.ms}


def _one(cost: Cost) -> str:
    return f"{cost.ms:.3f} ms, {cost.statements} SQL, {cost.redis_commands} Redis"


def _line(row: dict) -> str:
    after, rebuild, ceiling = row["after"], row["rebuild"], row["ceiling"]
    return (
        f"known {_one(row['known'])} · first read {_one(row['cold'])}"
        f" · forged {_one(row['forged'])}"
        f" · after a renewal: other channel {_one(after['other'])}, new channel"
        f" {_one(after['new'])}, forged {_one(after['forged'])}; full roster reads"
        f" {row['rebuilds']}; a full read {rebuild['ms']:.0f} ms,"
        f" peak {rebuild['peak_mb']:.1f} MB (as before: {rebuild['old_ms']:.0f} ms,"
        f" peak {rebuild['old_peak_mb']:.1f} MB)"
        f" · ceiling: Redis GET {ceiling['redis_get_ms']:.3f} ms, dict {ceiling['dict_ms']:.4f} ms"
    )


def run(sizes=(1000, 10_000, 100_000)) -> list:
    """Measure every size; returns the figures."""
    with Stack(workers=0, web=False) as stack:
        costs = {size: measure_size(stack, size) for size in sizes}
        memory = facts_memory(max(sizes))
    rows = [figures.Figure(NAME, f"at {size:,} channels", _line(c)) for size, c in costs.items()]
    small, large = costs[min(sizes)]["known"], costs[max(sizes)]["known"]
    same = (small.statements, small.redis_commands) == (large.statements, large.redis_commands)
    rows.append(
        figures.Figure(
            NAME,
            f"known channel at {max(sizes):,} vs {min(sizes):,}",
            f"{'the same' if same else 'different'} statements and commands;"
            f" {large.ms / small.ms:.2f}× the time",
            "same cost",
            same,
        )
    )
    rows.append(figures.Figure(NAME, f"facts of {max(sizes):,} channels", f"{memory:.1f} MB"))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.node()} ({platform.machine()}, load {figures.machine_load()})"
    print(f"\nmeasured {stamp} on {machine}")
    details = {str(k): _plain(v) for k, v in costs.items()} | {"facts_mb": memory}
    figures.report(NAME, rows, details | {"when": stamp, "machine": machine})
    return rows


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return vars(value) if isinstance(value, Cost) else value


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    run(tuple(int(s) for s in args.sizes.split(",")))


if __name__ == "__main__":
    main()
