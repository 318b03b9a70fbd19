"""How often the clock's Google jobs run, and how long a change from Google may take without
live updates: in seconds for the clock (worker/clock.py), in words for what coordinators read.
"""

from __future__ import annotations

# Outbox rows nobody enqueued (Redis was down, a worker died) are looked for this often.
SWEEP_EVERY = 60
# This often the clock enqueues the safety-net pulls that are due (worker/safety_net.py).
SAFETY_NET_EVERY = 60
# The quick safety-net interval, for a connection without a healthy live channel (a healthy
# one waits GOOGLE_HEALTHY_PULL_EVERY, 2.5 h: safety_net.py has the arithmetic).
SAFETY_NET_AFTER = 15 * 60
# Channels are renewed, opened again after a refusal, or stopped when orphaned this often.
CHANNELS_EVERY = 10 * 60
# Processed outbox rows and old activity rows are pruned this often (worker/housekeeping.py).
HOUSEKEEPING_EVERY = 24 * 3600


def in_words(seconds: int) -> str:
    """“15 minutes”, “1 hour”, “30 seconds”: a whole interval as a coordinator reads it."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"
