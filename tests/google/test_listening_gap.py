"""Nothing slips between a listing and a live channel, nor past a list that lags behind.

Google announces only the changes made once a channel exists. Each test makes one change in
Google at a chosen moment of the first sync (or of a channel's replacement), while a real
worker runs the job and the live portal receives Google's notifications, and then makes no
other change: the event must arrive within seconds, not at the 15-minute safety net.

The moment is chosen with the emulator's own controls: a call is slowed down (a delay fault),
and the change is made while Google is still answering it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from rq import Worker
from sqlalchemy import select

from portal.core.queue import get_queue
from portal.extensions import db
from portal.google.worker.enqueue import enqueue_channel
from portal.models import Event
from tests import factories
from tests.google.conftest import GOOGLE_USER
from tests.support.processes import start_worker, stop, wait_for

# Without a notification or a catch-up pull the change would wait for the 15-minute safety
# net (no clock runs here), so a bound this loose still tells the two apart on a busy machine.
ARRIVES_WITHIN = 30.0
SLOW_CALL = 1.5
TOMORROW = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def public_base_url(portal_port: int) -> str:
    """The live server is the portal's public origin: Google posts notifications there."""
    return f"http://127.0.0.1:{portal_port}"


@pytest.fixture
def worker(app, live_portal) -> Iterator[None]:
    """A real `flask worker` for the import and every pull that follows it."""
    process = start_worker(app)
    # Timed from a listening worker: starting one can take seconds on a loaded machine.
    wait_for(lambda: Worker.count(queue=get_queue()) > 0, timeout=60)
    yield
    stop(process)


def _google_adds(google, summary: str) -> None:
    start = TOMORROW
    google.state.user_insert_event(
        GOOGLE_USER,
        {
            "summary": summary,
            "start": {"dateTime": start.isoformat(), "timeZone": "Australia/Sydney"},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        },
    )


def _while_slowed(google, method: str, change: Callable[[], None], skip: int = 0) -> None:
    """Slow the next call of `method` (after `skip` calls at full speed) and run `change`
    while Google is still answering it."""
    for _ in range(skip):
        google.state.add_fault(method, None)  # taken by a call, changes nothing
    google.state.add_fault(method, None, delay=SLOW_CALL)

    def _when_taken() -> None:
        deadline = time.monotonic() + 30
        while any(f["method"] == method for f in google.state.faults()):
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
        change()

    threading.Thread(target=_when_taken, daemon=True).start()


def _arrives(summary: str) -> Event:
    def _found() -> Event | None:
        db.session.rollback()
        return db.session.scalar(select(Event).where(Event.title == summary))

    return wait_for(_found, timeout=ARRIVES_WITHIN)


def _list_calls(google) -> int:
    return google.count("calendar.events.list")


def test_a_change_made_while_the_listing_pages_arrives(coordinator, connect_flow, google, worker):
    google.state.configure(page_size_cap=2)
    for n in range(3):
        _google_adds(google, f"Already there {n}")
    # The listing's first page has been answered; its second is still on its way.
    _while_slowed(
        google, "calendar.events.list", lambda: _google_adds(google, "Added mid-listing"), skip=1
    )
    connect_flow.connect()
    _arrives("Added mid-listing")
    # Two pages, and the one pull that closes the gap once the channel listens.
    assert wait_for(lambda: _list_calls(google) == 3)


def test_a_change_made_while_the_portals_events_go_to_google_arrives(
    coordinator, connect_flow, google, worker
):
    factories.make_event(coordinator, "Home visit", start=TOMORROW)
    db.session.commit()
    _while_slowed(google, "calendar.events.insert", lambda: _google_adds(google, "Added mid-push"))
    connect_flow.connect()
    _arrives("Added mid-push")


def test_a_change_made_before_the_watch_answers_arrives(coordinator, connect_flow, google, worker):
    _while_slowed(google, "calendar.events.watch", lambda: _google_adds(google, "Added mid-watch"))
    connect_flow.connect()
    _arrives("Added mid-watch")
    assert [c["id"] for c in google.state.channels() if not c.get("stopped")]


def test_a_change_made_while_a_silent_channel_is_replaced_arrives(connected, google, worker):
    [old] = google.state.channels()
    # The old channel stays open at Google but delivers nothing, as a channel gone silent.
    google.state.silence_channel(old["id"])
    _while_slowed(
        google, "calendar.events.watch", lambda: _google_adds(google, "Added mid-renewal")
    )
    enqueue_channel(connected.id)
    _arrives("Added mid-renewal")


def test_a_change_google_lists_only_after_its_notification_still_arrives(connected, google, worker):
    # Google does not promise that the list right after a notification holds the change.
    google.state.configure(late_change_delay=2)
    before = _list_calls(google)
    _google_adds(google, "Listed late")
    _arrives("Listed late")
    # The pull the notification asked for found nothing; one more look found it. No more.
    time.sleep(4)
    assert _list_calls(google) - before == 2
