"""An incremental pull costs what changed, not what the calendar holds.

One coordinator's calendar grows from 1k to 10k to 50k events (Google and portal alike, each
growth step synced through the worker). At each size, 10 Google changes (patches, inserts
and deletes) are pulled by one `pull_job` on the worker, several times over: we report the
Google calls and the job's own duration (RQ's started_at → ended_at). Notifications are
switched off during the run so only the pulls we ask for happen.

    .venv/bin/python -m bench.pull_scaling [--sizes 1000,10000,50000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter

import requests

from bench import figures
from bench.harness import Stack
from bench.scenario import google_body, seed_google

NAME = "pull_scaling"
CHANGES = 10


def grow(stack: Stack, account: str, ids: list[str], size: int, connection_id: int) -> None:
    """Add Google events until the calendar holds `size`, then let the worker pull them in."""
    from portal.google.worker.enqueue import enqueue_pull

    ids += seed_google(stack.google, account, size - len(ids), first=len(ids))
    enqueue_pull(connection_id)
    stack.wait_idle(timeout=1200)
    analyze()


def analyze() -> None:
    """Refresh the planner's statistics, as autovacuum does within a minute or so of a bulk
    import. Right after one, with stale statistics, PostgreSQL picked an index that filters
    every link of the connection (≈ 20 ms a lookup at 50k links instead of 0.03 ms)."""
    from sqlalchemy import text

    from portal.extensions import db

    db.session.rollback()
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE event_link, event"))
        conn.commit()


def ten_changes(
    stack: Stack, account: str, ids: list[str], rng: random.Random, round_: int
) -> None:
    """Six patches, two inserts and two deletes, as a Google user would make them."""
    for gid in rng.sample(ids, 6):
        stack.google.user_patch_event(account, gid, {"summary": f"Changed in round {round_}"})
    for n in range(2):
        body = google_body(len(ids) + n, f"Added in round {round_}")
        ids.append(stack.google.user_insert_event(account, body)["id"])
    for gid in rng.sample(ids[:-2], 2):
        stack.google.user_delete_event(account, gid)
        ids.remove(gid)


def measured_pull(stack: Stack, connection_id: int) -> tuple[float, Counter]:
    """Run one pull on the worker; returns its duration (ms) and the Google calls it made."""
    from portal.google.worker.enqueue import enqueue_pull

    queue = stack.queue()
    registry = queue.finished_job_registry
    before = set(registry.get_job_ids())
    stack.google.clear_request_log()
    enqueue_pull(connection_id)
    stack.wait_idle()
    [job_id] = set(registry.get_job_ids()) - before
    job = queue.fetch_job(job_id)
    duration = (job.ended_at - job.started_at).total_seconds() * 1000
    return duration, Counter(e["method"] for e in stack.calendar_calls())


def emulator_list_ms(stack: Stack, connection_id: int, account: str, repeat: int = 5) -> float:
    """The emulator's own time for an incremental list with nothing new (it scans every event,
    where Google uses an index), measured from here with the connection's token."""
    from portal.google.account.tokens import stored_tokens

    connection = stack.connection(connection_id)
    access, _ = stored_tokens(connection)
    url = f"{stack.emulator.url}/calendar/v3/calendars/{account}/events"
    params = {"syncToken": connection.sync_token, "maxResults": 2500}
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = requests.get(url, params=params, headers={"Authorization": f"Bearer {access}"})
        answer.raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def run(sizes: tuple[int, ...] = (1000, 10_000, 50_000), repeat: int = 5) -> list:
    """Grow the calendar through each size and measure pulls of 10 changes at each."""
    rng = random.Random(8)
    account = "casey@scaling.example"
    results: dict[int, dict] = {}
    with Stack(workers=1) as stack:
        stack.google.add_user(account, "Casey")
        ids = seed_google(stack.google, account, sizes[0])
        coordinator = stack.connect_coordinator("casey@bench.example", account)
        stack.google.set_notification_faults(drop=10**9)
        analyze()
        for size in sizes:
            if len(ids) < size:
                grow(stack, account, ids, size, coordinator.connection_id)
            durations, calls = [], Counter()
            for round_ in range(repeat):
                ten_changes(stack, account, ids, rng, round_)
                duration, used = measured_pull(stack, coordinator.connection_id)
                durations.append(duration)
                calls += used
            emulator = emulator_list_ms(stack, coordinator.connection_id, account)
            results[size] = {"ms": durations, "calls": calls, "emulator_ms": emulator}
            print(
                f"{size:>6} events: pull of {CHANGES} changes "
                f"{statistics.median(durations):.0f} ms (median of {repeat}), {dict(calls)}; "
                f"the emulator's empty incremental list alone: {emulator:.0f} ms"
            )
    return _figures(results, repeat)


def _figures(results: dict[int, dict], repeat: int) -> list[figures.Figure]:
    rows = []
    for size, result in results.items():
        calls = sum(result["calls"].values()) / repeat
        median = statistics.median(result["ms"])
        rows.append(
            figures.Figure(
                NAME,
                f"pull of {CHANGES} changes at {size:,} events",
                f"{median:.0f} ms median, {calls:g} call(s); of which the emulator's scan "
                f"≈ {result['emulator_ms']:.0f} ms",
            )
        )
    smallest, largest = min(results), max(results)

    def portal_ms(size: int) -> float:
        return statistics.median(results[size]["ms"]) - results[size]["emulator_ms"]

    ratio = portal_ms(largest) / portal_ms(smallest)
    rows.append(
        figures.Figure(
            NAME,
            f"portal's own time at {largest:,} ÷ at {smallest:,} events (emulator's scan removed)",
            f"{portal_ms(largest):.0f} ÷ {portal_ms(smallest):.0f} ms = {ratio:.2f}×",
            "≈ 1× (flat)",
            ratio < 1.5,
        )
    )
    details = {str(k): {**v, "calls": dict(v["calls"])} for k, v in results.items()}
    figures.report(NAME, rows, details)
    return rows


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    run(tuple(int(s) for s in args.sizes.split(",")), args.repeat)


if __name__ == "__main__":
    main()
