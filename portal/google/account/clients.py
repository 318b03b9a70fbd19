"""Stay under Google's per-user quota (600 requests a minute) across every worker process."""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis


def per_minute_throttle(
    redis: Redis,
    connection_id: int,
    limit: int,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> Callable[[], None]:
    """A callable to run before each Google call: waits for the next minute once over limit."""

    def throttle() -> None:
        while True:
            window = int(clock() // 60)
            key = f"coordinoter:quota:{connection_id}:{window}"
            with redis.pipeline() as pipe:
                pipe.incr(key)
                pipe.expire(key, 120)
                used = pipe.execute()[0]
            if used <= limit:
                return
            sleep(max(0.05, (window + 1) * 60 - clock()))

    return throttle
