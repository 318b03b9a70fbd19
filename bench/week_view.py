"""The week view with a full week (300 events): server time, and SQL queries per request.

Server time is measured in-process with Flask's test client (no network): drawn on every
request (as after each change), and served again while the week is unchanged (the rendered
region kept per fingerprint, calendar/week_cache.py); and once more against gunicorn over
loopback. Queries are counted with SQLAlchemy's before_cursor_execute;
the count must not grow with the number of events (no N+1).

    .venv/bin/python -m bench.week_view [--events 300] [--requests 200]
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event as sa_event

from bench import figures
from bench.harness import Stack
from bench.portal_user import PortalUser
from portal.calendar.week_cache import RenderedWeeks
from portal.core.collector import settle_collector

NAME = "week_view"
ZONE = "Australia/Sydney"
SETTLED = "(collector as in gunicorn.conf.py)"


def next_monday() -> date:
    """The Monday after this week, in the coordinator's zone."""
    today = date.today()
    return today + timedelta(days=7 - today.weekday())


def seed_week(user_id: int, monday: date, count: int) -> None:
    """count events spread over one week: overlapping visits, some participants, some all-day."""
    from datetime import datetime

    from portal.calendar.operations import EventData, create_event
    from portal.extensions import db
    from portal.models import User
    from portal.participants.operations import create_participant

    owner = db.session.get(User, user_id)
    participants = [
        create_participant(owner.business_id, f"Participant {n}", f"4{count:04d}{n:04d}").id
        for n in range(10)
    ]
    zone = ZoneInfo(ZONE)
    for n in range(count):
        day = monday + timedelta(days=n % 7)
        if n % 15 == 0:
            data = EventData(
                title=f"Report due {n}",
                time_zone=ZONE,
                all_day=True,
                start_date=day,
                end_date=day + timedelta(days=1),
            )
        else:
            start = datetime(day.year, day.month, day.day, 7 + n % 12, (n * 7) % 60, tzinfo=zone)
            data = EventData(
                title=f"Visit {n}",
                time_zone=ZONE,
                start_at=start,
                end_at=start + timedelta(minutes=45 + n % 60),
                participant_id=participants[n % 10] if n % 3 else None,
                location=f"{n} Example Street",
            )
        create_event(owner, data)
    db.session.commit()


class QueryCounter:
    """Counts SQL statements the app's engine executes."""

    def __init__(self, engine) -> None:
        self.count = 0
        sa_event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: object) -> None:
        self.count += 1


def time_requests(get: Callable[[str], int], path: str, requests: int) -> list[float]:
    """Milliseconds for each of `requests` GETs of path (after a few warm-ups)."""
    for _ in range(5):
        get(path)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        status = get(path)
        samples.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    return samples


def run(events: int = 300, requests: int = 200) -> list[figures.Figure]:
    """Seed a week, then time the view in-process and through gunicorn."""
    from portal.extensions import db
    from portal.models import User

    with Stack(workers=0) as stack:
        browser = PortalUser(stack.public_url, "casey@bench.example")
        browser.sign_up()
        user_id, _ = stack._ids_of(browser.email)
        monday = next_monday()
        small_week = f"/calendar?week={monday - timedelta(days=7)}"
        path = f"/calendar?week={monday}"
        seed_week(user_id, monday - timedelta(days=7), events // 10)
        seed_week(user_id, monday, events)
        counter = QueryCounter(db.engine)
        # Read while the bench's app context is still there: detached() leaves it.
        login_id = db.session.get(User, user_id).get_id()
        with stack.detached():
            client = stack.app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = login_id
            # Drawn on every request, as after each change: no region kept (week_cache.py).
            stack.app.extensions["rendered_weeks"] = RenderedWeeks(0)
            weeks = {f"{events // 10} events": small_week, f"{events} events": path}
            queries = _queries_per_week(client, counter, weeks)
            in_process = _time_in_process(stack, client, path, requests)
            size = len(client.get(path).data)
        over_http = _time_over_http(stack, browser, path, requests)
    return _figures(events, requests, in_process, over_http, queries, size)


def _queries_per_week(client, counter: QueryCounter, weeks: dict[str, str]) -> dict[str, int]:
    """SQL statements each week's page costs; the second round counts, the first warms caches."""
    queries = {}
    for label, url in list(weeks.items()) * 2:
        before = counter.count
        assert client.get(url).status_code == 200
        queries[label] = counter.count - before
    return queries


def _time_in_process(stack: Stack, client, path: str, requests: int) -> dict[str, list[float]]:
    """The week through the test client: drawn, drawn with the collector settled, served again."""
    get = lambda p: client.get(p).status_code  # noqa: E731
    drawn = time_requests(get, path, requests)
    # The same with the collector set up as gunicorn.conf.py and the worker do.
    defaults = gc.get_threshold()
    settle_collector()
    settled = time_requests(get, path, requests)
    # The week unchanged since it was last drawn: the region is served again.
    stack.app.extensions["rendered_weeks"] = RenderedWeeks(16 * 1024 * 1024)
    served_again = time_requests(get, path, requests)
    gc.unfreeze()
    gc.set_threshold(*defaults)
    return {
        "drawn each time": drawn,
        f"drawn each time {SETTLED}": settled,
        f"unchanged week served again {SETTLED}": served_again,
    }


def _time_over_http(
    stack: Stack, browser: PortalUser, path: str, requests: int
) -> dict[str, list[float]]:
    """The week through gunicorn, which reads gunicorn.conf.py: the production settings."""
    over_http = {}
    for label, keep in (("drawn each time", "0"), ("unchanged week served again", None)):
        stack.env.pop("WEEK_CACHE_BYTES", None)
        if keep is not None:
            stack.env["WEEK_CACHE_BYTES"] = keep
        stack.start_web(stack.web_workers, stack.web_threads)
        over_http[f"gunicorn (gunicorn.conf.py), {label}"] = time_requests(
            lambda p: browser.http.get(browser.url(p), timeout=30).status_code, path, requests
        )
    stack.env.pop("WEEK_CACHE_BYTES", None)
    return over_http


def _figures(events, requests, in_process, over_http, queries, size) -> list[figures.Figure]:
    counts = list(queries.values())
    rows = []
    for label, samples in in_process.items():
        local = figures.latency_summary(samples)
        where = f"{events} events, test client, {label}, {requests} GETs"
        if SETTLED in label:
            rows.append(figures.at_most(NAME, f"server time p95 ({where})", local["p95"], 50))
        else:
            # With Python's own collector settings: this row shows what settle_collector saves.
            rows.append(
                figures.Figure(NAME, f"server time p95 ({where})", f"{local['p95']:.0f} ms")
            )
        rows.append(
            figures.Figure(
                NAME,
                f"server time p50 / p99 ({label})",
                f"{local['p50']:.1f} / {local['p99']:.1f} ms",
            )
        )
    rows += [
        *(
            figures.Figure(
                NAME,
                f"through {label} (HTTP round trip) p50 / p95 / p99",
                "{p50:.1f} / {p95:.1f} / {p99:.1f} ms".format(**figures.latency_summary(samples)),
            )
            for label, samples in over_http.items()
        ),
        figures.Figure(
            NAME,
            "SQL queries per request (" + ", ".join(queries) + ")",
            " vs ".join(str(c) for c in counts),
            "constant (no N+1)",
            counts[0] == counts[-1],
        ),
        figures.Figure(NAME, "page size", f"{size / 1024:.0f} KiB"),
    ]
    figures.report(NAME, rows, {"in_process_ms": in_process, "http_ms": over_http})
    return rows


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    run(args.events, args.requests)


if __name__ == "__main__":
    main()
