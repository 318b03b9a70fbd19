"""How often the clock's Google jobs run, and how long a change from Google may take without
live updates: in seconds for the clock (worker/clock.py), in words for what coordinators read.
"""

from __future__ import annotations

# Outbox rows nobody enqueued (Redis was down, a worker died) are looked for this often.
SWEEP_EVERY = 60
# This often the clock looks for connections whose last pull is older than SAFETY_NET_AFTER.
SAFETY_NET_EVERY = 60
SAFETY_NET_AFTER = 15 * 60
# Channels are renewed, opened again after a refusal, or stopped when orphaned this often.
CHANNELS_EVERY = 10 * 60


def in_words(seconds: int) -> str:
    """“15 minutes”, “1 hour”, “30 seconds”: a whole interval as a coordinator reads it."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"
