"""Late changes: a change reaches events.list (and sync tokens) some seconds after its notification.

Google's push guide says notifications carry no event data and are not 100% reliable
(https://developers.google.com/workspace/calendar/api/guides/push), and its sync guide
promises only that a sync token returns changes made since it was issued
(https://developers.google.com/workspace/calendar/api/guides/sync). Nothing promises that a
list made right after a notification already holds the change; integrators report changes
that only surface with a later list. The `late_change_delay` setting reproduces that: while
a change is held, listings show the event as it was before (or not at all if it is new),
and nextSyncToken stops short of the held change so the next incremental sync returns it.
events.get and writes always see the newest version.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .model import Calendar, EventRecord


def hold(
    record: EventRecord,
    old_data: dict[str, Any] | None,
    old_seq: int,
    now: float,
    delay: float,
) -> None:
    """Book-keep one change: with a delay, keep what listings must still show until then."""
    if delay <= 0:
        if record.visible_at <= now:
            record.shown = None
        return
    if record.visible_at <= now:
        # The previous version was visible: listings keep showing it while this one is held.
        record.shown = {"data": old_data, "seq": old_seq, "first": record.seq}
    record.visible_at = now + delay


def view(cal: Calendar, now: float) -> Calendar:
    """The calendar as events.list sees it at `now` (the calendar itself when nothing is held)."""
    held = {
        event_id: r.shown
        for event_id, r in cal.events.items()
        if r.visible_at > now and r.shown is not None
    }
    if not held:
        return cal
    events: dict[str, EventRecord] = {}
    for event_id, record in cal.events.items():
        shown = held.get(event_id)
        if shown is not None:
            if shown.get("data") is None:
                continue
            record = EventRecord(shown["data"], shown["seq"], record.index)
        events[event_id] = record
    upto = min(shown["first"] for shown in held.values()) - 1
    return dataclasses.replace(cal, events=events, seq=min(cal.seq, upto))
