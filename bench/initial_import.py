"""The first import of a large Google calendar, end to end, and the worker's peak memory.

Timed from the coordinator pressing "Allow" on Google's consent page until the connection is
connected, every event is in the portal and the watch channel is live. The worker is fresh,
so its VmHWM is the import's peak.

    .venv/bin/python -m bench.initial_import [--events 10000]
"""

from __future__ import annotations

import argparse
import time

from bench import figures, processes
from bench.harness import Stack
from bench.portal_user import PortalUser
from bench.scenario import live_event_count, seed_google

NAME = "initial_import"


def run(events: int = 10_000) -> list[figures.Figure]:
    """Import a calendar of `events` events with one worker; return the figures."""
    account = "casey@import.example"
    with Stack(workers=1) as stack:
        stack.google.add_user(account, "Casey")
        seed_google(stack.google, account, events)
        worker = stack.worker_processes[0]
        rss_before = processes.peak_rss_mb(worker.pid)
        browser = PortalUser(stack.public_url, "casey@bench.example")
        browser.sign_up()
        started = time.perf_counter()
        browser.connect_google(account)
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


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    run(parser.parse_args().events)


if __name__ == "__main__":
    main()
