"""The first import of a large Google calendar, end to end, and the worker's peak memory.

Timed from the coordinator pressing "Allow" on Google's consent page until the connection is
connected, every event is in the portal and the watch channel is live. The worker is fresh,
so its VmHWM is the import's peak.

    .venv/bin/python -m bench.initial_import [--events 10000]

With --in-process there is no worker: this process runs the import's full_sync itself and
times it alone (events/s, SQL statements), steadier than the end-to-end figure on a shared
machine. The emulator then answers in this process too, so its time to serve each page is
included, as it is for a worker waiting on Google. --profile adds cProfile's top functions
(bench/results/initial_import.prof.txt).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench import figures, processes
from bench.harness import Stack
from bench.portal_user import PortalUser
from bench.scenario import live_event_count, seed_google

NAME = "initial_import"
ACCOUNT = "casey@import.example"


def run(events: int = 10_000) -> list[figures.Figure]:
    """Import a calendar of `events` events with one worker; return the figures."""
    with Stack(workers=1) as stack:
        stack.google.add_user(ACCOUNT, "Casey")
        seed_google(stack.google, ACCOUNT, events)
        worker = stack.worker_processes[0]
        rss_before = processes.peak_rss_mb(worker.pid)
        browser = PortalUser(stack.public_url, "casey@bench.example")
        browser.sign_up()
        started = time.perf_counter()
        browser.connect_google(ACCOUNT)
        consented = time.perf_counter()
        user_id, connection_id = stack._ids_of(browser.email)
        stack.wait_connected(connection_id, timeout=600)
        done = time.perf_counter()
        imported = live_event_count(user_id)
        rss_peak = processes.peak_rss_mb(worker.pid)
        list_calls = sum(1 for e in stack.calendar_calls() if e["method"] == "calendar.events.list")
    total = done - started
    rows = [
        figures.at_most(NAME, f"import of {events} events, consent → connected", total, 10, "s"),
        figures.Figure(NAME, "of which the OAuth round trip", f"{consented - started:.2f} s"),
        figures.Figure(NAME, "events imported", str(imported), str(events), imported == events),
        figures.Figure(NAME, "events.list calls", str(list_calls)),
        figures.Figure(NAME, "import rate", f"{imported / total:,.0f} events/s"),
        figures.Figure(
            NAME,
            "worker peak RSS (VmHWM)",
            f"{rss_peak:.0f} MiB (idle worker: {rss_before:.0f} MiB)",
        ),
    ]
    figures.report(NAME, rows, {"seconds": total, "rss_peak_mb": rss_peak})
    return rows


def run_in_process(events: int = 10_000, profile: bool = False) -> list[figures.Figure]:
    """Time full_sync alone, in this process, on a calendar of `events` events."""
    with Stack(workers=0) as stack:
        stack.google.add_user(ACCOUNT, "Casey")
        seed_google(stack.google, ACCOUNT, events)
        browser = PortalUser(stack.public_url, "casey@bench.example")
        browser.sign_up()
        # The import job stays queued: nobody takes it, this process does its work below.
        browser.connect_google(ACCOUNT)
        user_id, connection_id = stack._ids_of(browser.email)
        profiler = cProfile.Profile() if profile else None
        with counted_statements() as statements:
            seconds = _time_full_sync(connection_id, profiler)
        imported = live_event_count(user_id)
    name = f"{NAME}_in_process"
    rows = [
        figures.Figure(name, f"full_sync of {events} events, in process", f"{seconds:.2f} s"),
        figures.Figure(name, "events imported", str(imported), str(events), imported == events),
        figures.Figure(name, "full_sync rate", f"{imported / seconds:,.0f} events/s"),
        figures.Figure(name, "SQL statements", f"{statements[0]:,}"),
    ]
    if profiler is not None:
        _write_profile(profiler)
    figures.report(name, rows, {"seconds": seconds, "statements": statements[0]})
    return rows


def _time_full_sync(connection_id: int, profiler: cProfile.Profile | None) -> float:
    """Run the import's full_sync (committing page by page, as the job does); its seconds."""
    from portal.extensions import db
    from portal.google.account.clients import client_for
    from portal.google.sync.pull import full_sync
    from portal.models import GoogleConnection

    connection = db.session.get(GoogleConnection, connection_id)
    client = client_for(connection)
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    full_sync(connection, client, checkpoint=db.session.commit)
    db.session.commit()
    if profiler is not None:
        profiler.disable()
    return time.perf_counter() - started


@contextmanager
def counted_statements() -> Iterator[list[int]]:
    """Count the SQL statements this process sends meanwhile (one list item, updated live)."""
    from sqlalchemy import event

    from portal.extensions import db

    count = [0]

    def one_more(*_args: object) -> None:
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", one_more)
    try:
        yield count
    finally:
        event.remove(db.engine, "before_cursor_execute", one_more)


def _write_profile(profiler: cProfile.Profile) -> None:
    """Keep cProfile's top functions, by cumulative and by own time, next to the figures."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    figures.RESULTS.mkdir(exist_ok=True)
    path = figures.RESULTS / f"{NAME}.prof.txt"
    path.write_text(out.getvalue())
    print(f"profile: {path}")


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument(
        "--in-process", action="store_true", help="time full_sync alone, without a worker"
    )
    parser.add_argument("--profile", action="store_true", help="with --in-process: cProfile it")
    args = parser.parse_args()
    if args.in_process:
        run_in_process(args.events, args.profile)
    else:
        run(args.events)


if __name__ == "__main__":
    main()
