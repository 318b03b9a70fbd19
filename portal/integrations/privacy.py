"""Choosing what Google sees: widening asks first, and every change says what it did."""

from __future__ import annotations

# From least to most that Google sees.
ORDER = ("busy", "private_title", "full")

# What Google sees once a level applies, as the message after the change says it.
NOW_SEES = {
    "busy": "Google now sees only “Coordinoter appointment” and the time",
    "private_title": "Google now sees titles and times only",
    "full": "Google now sees titles, times, locations and notes",
}

# What the coordinator is asked before Google is shown more.
WILL_SEE = {
    "private_title": (
        "Google will see the title and time of each appointment. Titles often name the "
        "participant, so anyone who can see your Google Calendar will see them too."
    ),
    "full": (
        "Google will see the title, time, location and notes of each appointment. "
        "Addresses and notes often describe the participant, and anyone who can see your "
        "Google Calendar will see them too. Internal notes and NDIS numbers are never sent."
    ),
}


def widens(current: str, chosen: str) -> bool:
    """Whether chosen lets Google see more than current does."""
    return ORDER.index(chosen) > ORDER.index(current)


def changed_message(level: str, updated: int) -> str:
    """What was done: "Google now sees titles only; 42 events updated"."""
    if updated == 0:
        return f"{NOW_SEES[level]}. No events in Google needed updating."
    events = "event" if updated == 1 else "events"
    return f"{NOW_SEES[level]}; {updated:,} {events} updated."
