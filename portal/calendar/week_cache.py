"""Rendered week regions, kept per web process and keyed by the week's fingerprint.

A coordinator comes back to the same week all day: after each note, each call, each reload.
The fingerprint (queries.week_fingerprint) changes whenever anything the region shows may have
changed, so a region rendered under one fingerprint can be served again while it stands;
drawing 300 appointments costs tens of milliseconds, serving them again almost nothing.

Kept in the process, not in Redis: a restart or a deploy (new templates, new code) starts
empty, so a region never outlives the code that drew it, and nothing is shared that could leak
between processes. The cache is bounded in bytes and forgets the least recently used first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app


class RenderedWeeks:
    """A byte-bounded LRU of rendered regions, safe across a gthread worker's threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._regions: OrderedDict[Hashable, str] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def region(self, key: Hashable, render: Callable[[], str]) -> str:
        """The region kept under key, or render() kept there now."""
        with self._lock:
            html = self._regions.get(key)
            if html is not None:
                self._regions.move_to_end(key)
                self.hits += 1
                return html
            self.misses += 1
        # Rendered outside the lock: another thread's hit need not wait for this page.
        html = render()
        self._keep(key, html)
        return html

    def _keep(self, key: Hashable, html: str) -> None:
        # Characters, not encoded bytes: close enough for a bound, and free to measure.
        size = len(html)
        if size > self.max_bytes:
            return
        with self._lock:
            previous = self._regions.pop(key, None)
            if previous is not None:
                self._size -= len(previous)
            self._regions[key] = html
            self._size += size
            while self._size > self.max_bytes:
                _, dropped = self._regions.popitem(last=False)
                self._size -= len(dropped)

    @property
    def size(self) -> int:
        """Characters held now."""
        return self._size

    def __len__(self) -> int:
        return len(self._regions)


def rendered_weeks() -> RenderedWeeks:
    """This app's cache in this process (WEEK_CACHE_BYTES; 0 keeps nothing)."""
    cache = current_app.extensions.get("rendered_weeks")
    if cache is None:
        cache = RenderedWeeks(current_app.config["WEEK_CACHE_BYTES"])
        # setdefault: two threads' first requests end up sharing one cache.
        cache = current_app.extensions.setdefault("rendered_weeks", cache)
    return cache
