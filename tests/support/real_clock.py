"""Children that must run on the real clock when `make test-dates` moves the suite's clock.

`make test-dates` preloads libfaketime into pytest, and every child inherits LD_PRELOAD.
Python children (workers, the clock, the emulator) should keep the moved clock: they are the
portal. redis-server and Chromium cannot: under libfaketime redis-server's allocator recurses
into clock_gettime() and it never starts, and Chromium's zygote hangs (or crashes when
FAKETIME_SKIP_CMDS skips it). Neither compares its own clock with the portal's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping


def without_faketime(env: Mapping[str, str]) -> dict[str, str]:
    """env with libfaketime taken out of LD_PRELOAD (anything else preloaded stays)."""
    preload = re.split(r"[:\s]+", env.get("LD_PRELOAD", ""))
    return {**env, "LD_PRELOAD": " ".join(lib for lib in preload if "faketime" not in lib)}
