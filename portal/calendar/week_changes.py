"""What changed in the week on screen while it was open: a line for a polite live region.

The week region carries a compact token of what it shows (`shown_token`): per item its
identity, version and start. When the poller finds the week changed, the page sends that
token with the reload (static/js/portal.js), and `summarise` compares it with the week as it
is now: "Calendar updated: “Team meeting” moved; 1 event deleted in Google."
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask import render_template

from portal.calendar.queries import series_in_week, visible_events_in_week
from portal.calendar.recurrence import Occurrence
from portal.extensions import db
from portal.models import Event

# A hand-made token is cut here: a week never shows this many items.
MAX_ITEMS = 2000


@dataclass(frozen=True)
class Seen:
    """One item as the page showed it."""

    version: str
    start: str


def _identity(item: Event | Occurrence) -> str:
    if isinstance(item, Occurrence):
        return f"{item.master_id}@{item.key}"
    return str(item.id)


def _start(item: Event | Occurrence) -> str:
    if item.all_day:
        return f"d{item.start_date.isoformat()}" if item.start_date else ""
    return str(int(item.start_at.timestamp()) // 60) if item.start_at else ""


def shown_token(items: Iterable[Event | Occurrence]) -> str:
    """What the week shows, compactly: "id:version:start,…" (occurrences as master@key)."""
    return ",".join(f"{_identity(i)}:{i.version}:{_start(i)}" for i in items)


def parse_token(token: str) -> dict[str, Seen]:
    """The token back as identity → Seen; malformed entries are left out."""
    seen: dict[str, Seen] = {}
    for entry in token.split(",")[:MAX_ITEMS]:
        parts = entry.split(":")
        if len(parts) == 3 and parts[0]:
            seen[parts[0]] = Seen(parts[1], parts[2])
    return seen


def changes_note(owner_id: int, first: date, zone_name: str, days: int, token: str | None) -> str:
    """The live region's new line, out of band, for a reload that sent its token; else ""."""
    if not token:
        return ""
    items = visible_events_in_week(owner_id, first, zone_name, days)
    items += series_in_week(owner_id, first, zone_name, days)
    note = summarise(token, items, owner_id)
    return render_template("calendar/_week_changes.html", note=note, oob=True) if note else ""


def summarise(token: str, items: list[Event | Occurrence], owner_id: int) -> str | None:
    """The live-region line for the differences between the token and items, or None."""
    before = parse_token(token)
    now = {_identity(i): i for i in items}
    moved, changed, added, deleted, in_google = [], [], [], 0, 0
    for identity, item in now.items():
        old = before.get(identity)
        if old is None:
            added.append(item.title)
        elif old.start != _start(item):
            moved.append(item.title)
        elif old.version != str(item.version):
            changed.append(item.title)
    for identity in before.keys() - now.keys():
        event = _event_of(identity, owner_id)
        if event is None:
            continue
        if event.deleted_at is not None or event.deleted_by:
            deleted += 1
            in_google += event.deleted_by == "google"
        else:
            moved.append(event.title)
    parts = [_titled(moved, "moved"), _titled(changed, "changed"), _titled(added, "added")]
    parts.append(_deleted(deleted, in_google))
    said = [part for part in parts if part]
    return "Calendar updated: " + "; ".join(said) + "." if said else None


def _event_of(identity: str, owner_id: int) -> Event | None:
    """The event (a series' master for an occurrence) behind an identity, if the owner's."""
    number = identity.split("@", 1)[0]
    if not number.isdigit():
        return None
    event = db.session.get(Event, int(number))
    return event if event is not None and event.owner_id == owner_id else None


def _titled(titles: list[str], verb: str) -> str:
    if not titles:
        return ""
    if len(titles) == 1:
        return f"“{titles[0]}” {verb}"
    return f"{len(titles)} events {verb}"


def _deleted(count: int, in_google: int) -> str:
    if not count:
        return ""
    events = "event" if count == 1 else "events"
    return f"{count} {events} deleted" + (" in Google" if in_google == count else "")
