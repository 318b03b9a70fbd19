"""Fault injection, the request log and the per-user and per-project quotas."""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class Fault:
    """The next `remaining` calls of `method` answer `status` (or are just slowed down)."""

    method: str
    status: int | None
    reason: str | None
    remaining: int
    delay: float
    retry_after: int | None

    def public(self) -> dict[str, Any]:
        """The fault as the control API shows it."""
        return {
            "method": self.method,
            "status": self.status,
            "reason": self.reason,
            "count": self.remaining,
            "delay": self.delay,
            "retry_after": self.retry_after,
        }


class Monitor:
    """Faults, request log and quota counters, behind their own lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.log: list[dict[str, Any]] = []
        self._calls: dict[str, collections.deque[float]] = {}

    def add_fault(
        self,
        method: str,
        status: int | None,
        reason: str | None = None,
        count: int = 1,
        delay: float = 0.0,
        retry_after: int | None = None,
    ) -> Fault:
        """Queue a fault for a Google method id (or "*")."""
        fault = Fault(method, status, reason, max(1, int(count)), float(delay), retry_after)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Forget every pending fault."""
        with self._lock:
            self.faults.clear()

    def list_faults(self) -> list[dict[str, Any]]:
        """The pending faults."""
        with self._lock:
            return [f.public() for f in self.faults]

    def take_fault(self, method: str) -> Fault | None:
        """Consume one use of the first fault matching this method id."""
        with self._lock:
            for fault in self.faults:
                if fault.method in (method, "*"):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
            return None

    def record(self, entry: dict[str, Any]) -> None:
        """Append one request to the log."""
        with self._lock:
            self.log.append(entry)
            del self.log[:-20000]

    def entries(self) -> list[dict[str, Any]]:
        """A copy of the request log."""
        with self._lock:
            return [dict(e) for e in self.log]

    def counts(self) -> dict[str, int]:
        """Calls per method id."""
        with self._lock:
            return dict(collections.Counter(e["method"] for e in self.log if e.get("method")))

    def clear_log(self) -> None:
        """Empty the request log."""
        with self._lock:
            self.log.clear()

    def over_quota(self, who: str, per_minute: int | None) -> bool:
        """Count one call for a user (or a project); True when that exceeds its per-minute quota."""
        if not per_minute:
            return False
        now = time.time()
        with self._lock:
            calls = self._calls.setdefault(who, collections.deque())
            while calls and calls[0] < now - 60:
                calls.popleft()
            if len(calls) >= per_minute:
                return True
            calls.append(now)
            return False

    def reset(self) -> None:
        """Forget faults, log and quota counters."""
        with self._lock:
            self.faults.clear()
            self.log.clear()
            self._calls.clear()
