"""How fast an edit on one side is visible on the other, through the real processes.

Google → portal: the emulator notifies gunicorn's /google/notify, which enqueues a pull; the
RQ worker lists the change and commits it; we poll the portal's database for the new title.
Portal → Google: create_event/update_event + commit (whose hook enqueues the push); the
worker pushes; we poll the emulator. The stack is idle before each edit, so every figure is
one edit's own latency.

    .venv/bin/python -m bench.propagation [--edits 200] [--workers 1]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bench import figures
from bench.harness import Stack
from bench.scenario import (
    TitleProbe,
    event_id_of,
    google_id_of,
    portal_create,
    portal_edit,
    seed_google,
)

NAME = "propagation"
POLL = 0.001
# Each edit is a lone change, as a coordinator makes them: one that followed the previous
# notification within GOOGLE_BURST_GAP (0.25 s) would be treated as part of a burst.
PAUSE = 0.3


def _until(condition: Callable[[], bool], timeout: float = 30.0) -> float:
    """Poll condition; returns when it first held (perf_counter), or raises."""
    deadline = time.perf_counter() + timeout
    while True:
        now = time.perf_counter()
        if condition():
            return now
        if now > deadline:
            raise TimeoutError("the edit never arrived")
        time.sleep(POLL)


def google_to_portal(stack: Stack, account: str, google_ids: list[str], edits: int) -> list[float]:
    """Latency (ms) from a Google user's edit to the new title in the portal's database."""
    probe = TitleProbe(stack.database_url)
    event_ids = [event_id_of(gid) for gid in google_ids]
    samples = []
    try:
        for n in range(edits):
            index = n % len(google_ids)
            title = f"Edited in Google {n}"
            started = time.perf_counter()
            stack.google.user_patch_event(account, google_ids[index], {"summary": title})
            arrived = _until(lambda i=event_ids[index], t=title: probe.title(i) == t)
            samples.append((arrived - started) * 1000)
            stack.wait_idle()
            time.sleep(PAUSE)
    finally:
        probe.close()
    return samples


def portal_to_google(stack: Stack, account: str, event_ids: list[int], edits: int) -> list[float]:
    """Latency (ms) from a coordinator's save to the new title on Google."""
    google_ids = [google_id_of(eid) for eid in event_ids]
    samples = []
    for n in range(edits):
        index = n % len(event_ids)
        title = f"Edited in the portal {n}"
        started = time.perf_counter()
        portal_edit(event_ids[index], title=title)
        gid = google_ids[index]
        arrived = _until(
            lambda g=gid, t=title: (stack.google.get_event(account, g) or {}).get("summary") == t
        )
        samples.append((arrived - started) * 1000)
        # Google's echo notification and pull follow; let them pass before the next edit.
        stack.wait_idle()
        time.sleep(PAUSE)
    return samples


def run(edits: int = 200, workers: int = 1) -> list[figures.Figure]:
    """Measure both directions and return the figures."""
    account = "casey@propagation.example"
    with Stack(workers=workers) as stack:
        stack.google.add_user(account, "Casey")
        google_ids = seed_google(stack.google, account, 10)
        coordinator = stack.connect_coordinator("casey@bench.example", account)
        portal_ids = [
            portal_create(coordinator.user_id, f"Portal event {n}", 100 + n) for n in range(10)
        ]
        stack.wait_idle()
        inbound = google_to_portal(stack, account, google_ids, edits)
        outbound = portal_to_google(stack, account, portal_ids, edits)
    return _figures(inbound, outbound, edits, workers)


def _figures(inbound: list[float], outbound: list[float], edits: int, workers: int) -> list:
    into, out = figures.latency_summary(inbound), figures.latency_summary(outbound)
    where = f"{edits} edits, {workers} worker"
    rows = [
        figures.at_most(NAME, f"Google → portal p50 ({where})", into["p50"], 300),
        figures.at_most(NAME, "Google → portal p95", into["p95"], 1000),
        figures.Figure(
            NAME, "Google → portal p99 / max", f"{into['p99']:.0f} / {into['max']:.0f} ms"
        ),
        figures.at_most(NAME, f"portal → Google p50 ({where})", out["p50"], 200),
        figures.at_most(NAME, "portal → Google p95", out["p95"], 500),
        figures.Figure(
            NAME, "portal → Google p99 / max", f"{out['p99']:.0f} / {out['max']:.0f} ms"
        ),
    ]
    figures.report(NAME, rows, {"google_to_portal_ms": inbound, "portal_to_google_ms": outbound})
    return rows


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    run(args.edits, args.workers)


if __name__ == "__main__":
    main()
