"""How many Google API calls each kind of sync costs, read from the emulator's request log.

.venv/bin/python -m bench.api_efficiency [--burst 1000] [--changes 100]
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from bench import figures
from bench.harness import Coordinator, Stack
from bench.scenario import portal_create, portal_edit, seed_google

NAME = "api_efficiency"
LIST = "calendar.events.list"


def calls_by_method(stack: Stack) -> Counter:
    """Calendar API calls since the log was last cleared, by Google method id."""
    return Counter(entry["method"] for entry in stack.calendar_calls())


def _fmt(counts: Counter) -> str:
    return ", ".join(f"{n} {m.removeprefix('calendar.')}" for m, n in sorted(counts.items()))


def idle_pull(stack: Stack, coordinator: Coordinator) -> figures.Figure:
    """An incremental pull with nothing new: exactly one events.list."""
    from portal.google.worker.enqueue import enqueue_pull

    stack.google.clear_request_log()
    enqueue_pull(coordinator.connection_id)
    stack.wait_idle()
    calls = calls_by_method(stack)
    total = sum(calls.values())
    return figures.Figure(
        NAME,
        "idle incremental pull",
        f"{total} call(s): {_fmt(calls)}",
        "exactly 1",
        total == 1 and calls[LIST] == 1,
    )


def notification_burst(stack: Stack, coordinator: Coordinator, burst: int) -> figures.Figure:
    """A burst of genuine notifications on one channel coalesces into at most two pulls."""
    from portal.extensions import db
    from portal.google.realtime.channels import prepare_channel

    # A channel of our own making, so we know its secret token.
    channel, token = prepare_channel(stack.connection(coordinator.connection_id))
    channel_id = channel.channel_id
    db.session.commit()
    stack.google.clear_request_log()
    url = stack.public_url + "/google/notify"

    def post(number: int) -> int:
        headers = {
            "X-Goog-Channel-ID": channel_id,
            "X-Goog-Channel-Token": token,
            "X-Goog-Resource-State": "exists",
            "X-Goog-Message-Number": str(number),
        }
        return requests.post(url, headers=headers, timeout=30).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = Counter(pool.map(post, range(2, burst + 2)))
    ended = time.perf_counter()
    stack.wait_idle()
    pulls = calls_by_method(stack)[LIST]
    # The price of coalescing: how long after the burst its last pull had finished.
    settled = max(0.0, _last_listing_at(stack) - ended) if pulls else 0.0
    answered = ", ".join(f"{n}× {s}" for s, n in statuses.items())
    return figures.Figure(
        NAME,
        f"burst of {burst} notifications over {ended - started:.1f} s ({answered}), "
        f"worker running; last pull {settled:.1f} s after the burst",
        f"{pulls} pull(s)",
        "≤ 2 pulls",
        pulls <= 2,
    )


def _last_listing_at(stack: Stack) -> float:
    """When the emulator answered the last events.list, on this process's perf_counter clock."""
    from datetime import datetime

    stamps = [e["time"] for e in stack.calendar_calls() if e["method"] == LIST]
    last = datetime.fromisoformat(max(stamps).replace("Z", "+00:00")).timestamp()
    return time.perf_counter() - (time.time() - last)


def initial_import(stack: Stack, events: int) -> figures.Figure:
    """A first import of `events` events: ⌈N/2500⌉ list calls, the watch, and the one pull
    that catches what changed before the channel listened."""
    account = f"import{events}@efficiency.example"
    stack.google.add_user(account, "Import Test")
    seed_google(stack.google, account, events)
    stack.google.clear_request_log()
    stack.connect_coordinator(f"import{events}@bench.example", account)
    calls = calls_by_method(stack)
    expected = math.ceil(events / 2500) + 1
    return figures.Figure(
        NAME,
        f"initial import of {events} events",
        _fmt(calls),
        f"{expected - 1} + 1 list + 1 watch",
        calls[LIST] == expected and calls["calendar.events.watch"] == 1,
    )


def local_burst(stack: Stack, coordinator: Coordinator, changes: int) -> list[figures.Figure]:
    """M coordinator changes saved in quick succession: what the pushes (and echoes) cost."""
    from portal.calendar.operations import delete_event
    from portal.extensions import db
    from portal.google.worker.enqueue import kick
    from portal.models import Event

    rows = []
    stack.google.clear_request_log()
    ids = [portal_create(coordinator.user_id, f"Burst {n}", 500 + n) for n in range(changes)]
    stack.wait_idle()
    rows.append(_burst_figure(stack, f"{changes} creates in a burst"))
    stack.google.clear_request_log()
    for n, event_id in enumerate(ids):
        portal_edit(event_id, title=f"Burst {n} (edited)")
    stack.wait_idle()
    rows.append(_burst_figure(stack, f"{changes} edits in a burst"))
    stack.google.clear_request_log()
    for event_id in ids:
        delete_event(db.session.get(Event, event_id))
        db.session.commit()
        kick(coordinator.user_id)
    stack.wait_idle()
    rows.append(_burst_figure(stack, f"{changes} deletes in a burst"))
    return rows


def _burst_figure(stack: Stack, what: str) -> figures.Figure:
    calls = calls_by_method(stack)
    log = stack.google.request_log()
    # Quota counts every call, batched or not; the network sees one request per batch.
    envelopes = sum(1 for e in log if e.get("method") == "batch")
    batched = sum(1 for e in log if e.get("in_batch"))
    alone = sum(1 for e in log if str(e.get("method")).startswith("calendar.")) - batched
    return figures.Figure(
        NAME,
        what,
        f"{sum(calls.values())} API calls ({_fmt(calls)}) in {envelopes + alone} HTTP requests "
        f"({envelopes} batch requests carrying {batched})",
        "report",
    )


def run(burst: int = 1000, changes: int = 100) -> list[figures.Figure]:
    """Every scenario on one stack with one worker."""
    with Stack(workers=1) as stack:
        account = "casey@efficiency.example"
        stack.google.add_user(account, "Casey")
        seed_google(stack.google, account, 20)
        coordinator = stack.connect_coordinator("casey@bench.example", account)
        rows = [idle_pull(stack, coordinator), notification_burst(stack, coordinator, burst)]
        rows += [initial_import(stack, n) for n in (2500, 6000)]
        rows += local_burst(stack, coordinator, changes)
    figures.report(NAME, rows)
    return rows


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=100)
    args = parser.parse_args()
    run(args.burst, args.changes)


if __name__ == "__main__":
    main()
