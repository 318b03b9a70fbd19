"""Loaded by every Python process of `make test-dates` (this folder is on its PYTHONPATH).

Under Debian's libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1, which keeps timeouts
and locks on the real monotonic clock, `time.sleep` fails with EINVAL: Python 3.11 sleeps with
clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) and libfaketime shifts that deadline by the
fake offset (wolfcw/libfaketime#426). select()'s relative timeout is left alone, so sleeps go
through select() instead, in this process and in every worker or clock it starts.
"""

from __future__ import annotations

import os
import select
import time


def _select_sleep(seconds: float) -> None:
    """time.sleep through select(), which libfaketime does not shift."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    select.select([], [], [], seconds)


# Only when libfaketime is really loaded: elsewhere time.sleep stays what it was.
if "faketime" in os.environ.get("LD_PRELOAD", ""):
    time.sleep = _select_sleep
