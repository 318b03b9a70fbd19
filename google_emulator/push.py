"""Push notifications: a background thread POSTs to each channel's webhook, with retries."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from . import timefmt
from .model import Channel

if TYPE_CHECKING:
    from .state import EmulatorState

log = logging.getLogger(__name__)

# Google treats these answers from the webhook as delivered.
SUCCESS = {102, 200, 201, 202, 204}
USER_AGENT = "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)"


@dataclass(order=True)
class Job:
    """One notification to deliver (or retry) at `due`."""

    due: float
    order: int
    channel: Channel = field(compare=False)
    resource_state: str = field(compare=False)
    number: int = field(compare=False)
    attempt: int = field(compare=False, default=0)


class Notifier:
    """Queues and delivers notifications; applies notification faults."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._heap: list[Job] = []
        self._cond = threading.Condition()
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._busy = False
        self._session = requests.Session()
        self.drop = 0
        self.duplicate = 0
        self.delay = 0.0
        self.reorder = 0
        self._held: list[Job] = []

    def start(self) -> None:
        """Start the delivery thread if it is not running."""
        with self._cond:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="gemu-push", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the delivery thread (pending notifications are discarded)."""
        with self._cond:
            self._stopping = True
            self._heap.clear()
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._thread = None

    def clear(self) -> None:
        """Forget queued and held notifications and notification faults."""
        with self._cond:
            self._heap.clear()
            self._held.clear()
            self.drop = self.duplicate = self.reorder = 0
            self.delay = 0.0

    def set_faults(
        self, drop: int = 0, duplicate: int = 0, delay: float = 0.0, reorder: int = 0
    ) -> None:
        """Drop, duplicate, delay or reorder the next notifications."""
        with self._cond:
            self.drop = max(0, int(drop))
            self.duplicate = max(0, int(duplicate))
            self.delay = max(0.0, float(delay))
            if not reorder and self._held:
                self._release_held()
            self.reorder = max(0, int(reorder))

    def faults(self) -> dict[str, Any]:
        """The notification faults still pending."""
        with self._cond:
            return {
                "drop": self.drop,
                "duplicate": self.duplicate,
                "delay": self.delay,
                "reorder": self.reorder,
                "held": len(self._held),
            }

    def announce(self, channel: Channel, resource_state: str) -> None:
        """Queue one notification on a channel (message numbers only ever grow)."""
        channel.message_number += 1
        job = Job(0.0, 0, channel, resource_state, channel.message_number)
        with self._cond:
            if self.drop > 0:
                self.drop -= 1
                channel.dropped += 1
                return
            copies = 1
            if self.duplicate > 0:
                self.duplicate -= 1
                copies = 2
            for _ in range(copies):
                clone = Job(
                    time.time() + self.delay, next(self._order), channel, resource_state, job.number
                )
                if self.reorder > 0:
                    self._held.append(clone)
                    if len(self._held) >= self.reorder:
                        self.reorder = 0
                        self._release_held()
                else:
                    heapq.heappush(self._heap, clone)
            self._cond.notify_all()
        self.start()

    def _release_held(self) -> None:
        base = time.time() + self.delay
        for job in reversed(self._held):
            job.due = base
            job.order = next(self._order)
            heapq.heappush(self._heap, job)
        self._held.clear()
        self._cond.notify_all()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until nothing is queued, due or being delivered; False on timeout."""
        deadline = time.time() + timeout
        with self._cond:
            while self._heap or self._busy:
                remaining = deadline - time.time()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
            return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    if self._heap and self._heap[0].due <= time.time():
                        break
                    timeout = self._heap[0].due - time.time() if self._heap else 0.5
                    self._cond.wait(max(0.0, min(timeout, 0.5)))
                if self._stopping:
                    return
                job = heapq.heappop(self._heap)
                self._busy = True
            try:
                self._deliver(job)
            except Exception:
                log.exception("notification delivery crashed")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _deliver(self, job: Job) -> None:
        channel = job.channel
        now_ms = int(time.time() * 1000)
        with self.state.lock:
            if channel.stopped or channel.expired:
                return
            if now_ms >= channel.expiration:
                channel.expired = True
                return
            if channel.silenced:
                return
            timeout = float(self.state.delivery_timeout)
            attempts = int(self.state.notification_attempts)
            backoff = float(self.state.notification_backoff)
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": timefmt.http_date(channel.expiration / 1000),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": channel.resource_uri,
            "X-Goog-Resource-State": job.resource_state,
            "X-Goog-Message-Number": str(job.number),
            "User-Agent": USER_AGENT,
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        try:
            resp = self._session.post(
                channel.address, data=b"", headers=headers, timeout=timeout, allow_redirects=False
            )
            status: int | str = resp.status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
        ok = status in SUCCESS
        retry = not ok and (isinstance(status, str) or status >= 500)
        with self.state.lock:
            channel.deliveries.append(
                {
                    "number": job.number,
                    "state": job.resource_state,
                    "status": status,
                    "attempt": job.attempt + 1,
                    "time": time.time(),
                }
            )
            del channel.deliveries[:-200]
            if ok:
                channel.delivered += 1
            elif not retry or job.attempt + 1 >= attempts:
                channel.failed += 1
        if retry and job.attempt + 1 < attempts:
            # Google retries failed deliveries with exponential backoff.
            wait = min(backoff * (2**job.attempt), 30.0)
            with self._cond:
                heapq.heappush(
                    self._heap,
                    Job(
                        time.time() + wait,
                        next(self._order),
                        channel,
                        job.resource_state,
                        job.number,
                        job.attempt + 1,
                    ),
                )
                self._cond.notify_all()
