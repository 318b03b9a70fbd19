"""A seeded random driver: single events and recurring series, changed on both sides, and
Google's own kinds of event (invitations and special types, google_kinds.py).

Portal writes go through the calendar's operations (commit, then the outbox kick), Google
writes through the emulator "as the user". The driver remembers, for every event and series
it made, the last value it wrote on each side and whether it deleted it anywhere; which
occurrences it cancelled; and every text the portal wrote, so the checker can tell a value
pulled back from Google (at a privacy level that never sent it) from the portal's own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from portal.calendar.operations import EventData, create_event, delete_event, update_event
from portal.extensions import db
from portal.google.sync.mapping import portal_id_of
from portal.google.worker.enqueue import kick
from portal.models import Event, User
from tests.chaos.google_kinds import KindOperations
from tests.chaos.rules import base_of, rfc3339
from tests.chaos.series import SeriesOperations
from tests.chaos.tracking import Cancelled, Expectations, Tracked
from tests.chaos.values import INVITATION, TEXT_FIELDS, google_value, kind_of, portal_value
from tests.chaos.world import Account, World
from tests.google.sync_support import link_of

ZONES = ("Australia/Sydney", "Australia/Brisbane", "Australia/Perth", "Australia/Adelaide")
# Operation kinds and their weights; the series_* ones are in series.py, the invitations and
# special types in google_kinds.py.
KINDS = {
    "create": 18,
    "edit": 18,
    "move": 10,
    "all_day": 6,
    "delete": 12,
    "series_create": 8,
    "occurrence_edit": 8,
    "occurrence_cancel": 6,
    "series_following": 4,
    "series_edit": 5,
    "series_delete": 3,
    "invite": 5,
    "organiser_change": 3,
    "organiser_cancel": 2,
    "answer": 6,
    "special_create": 5,
    "kind_edit": 6,
    "both_sides": 4,
}
# Only Google has these: someone else invites the coordinator, and Google's own types are made
# there (the portal makes ordinary events only).
GOOGLE_ONLY = frozenset(
    {"invite", "organiser_change", "organiser_cancel", "special_create", "both_sides"}
)
# What each operation on an existing event acts on, and what it becomes when there is none.
TARGETS = {
    **{kind: ("single", "create") for kind in ("edit", "move", "all_day", "delete")},
    **{
        kind: ("series", "series_create")
        for kind in (
            "occurrence_edit",
            "occurrence_cancel",
            "series_following",
            "series_edit",
            "series_delete",
        )
    },
    **{
        kind: ("invitation", "invite")
        for kind in ("answer", "organiser_change", "organiser_cancel")
    },
    "kind_edit": ("special", "special_create"),
    "both_sides": ("kind", "invite"),
}


@dataclass
class Driver(SeriesOperations, KindOperations):
    """Random operations on both sides; `log` says what was done, in order."""

    world: World
    rng: random.Random
    tracked: list[Tracked] = field(default_factory=list)
    cancelled: list[Cancelled] = field(default_factory=list)
    portal_texts: dict[str, set[str]] = field(
        default_factory=lambda: {name: set() for name in TEXT_FIELDS}
    )
    log: list[str] = field(default_factory=list)
    base: datetime = field(
        default_factory=lambda: (
            datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        )
    )
    zones: tuple[str, ...] = ZONES
    account: Account | None = None

    @property
    def tag(self) -> str:
        """The current account's level, to tell the accounts apart in the log."""
        return f"[{self.account.privacy_level}] "

    @property
    def expectations(self) -> Expectations:
        """What the checker holds the final state to."""
        return Expectations(self.tracked, self.cancelled, self.portal_texts)

    def step(self, n: int) -> None:
        """One random operation on a random side of a random account."""
        self.account = self.rng.choice(self.world.accounts)
        side = self.rng.choice(("portal", "google"))
        kind = self.rng.choices(list(KINDS), list(KINDS.values()))[0]
        target = None
        if kind in GOOGLE_ONLY:
            side = "google"
        if kind in TARGETS:
            what, instead = TARGETS[kind]
            target = self._pick(side, what)
            if target is None:
                kind, side = instead, "google" if instead in GOOGLE_ONLY else side
        getattr(self, f"_{side}_{kind}")(n, *(() if target is None else (target,)))

    # -- picking what to change -----------------------------------------------------------

    def _pick(self, side: str, what: str = "single") -> Event | dict | None:
        """A live event of one sort, or None: an ordinary single event or series (its master),
        an invitation, an event of a special type (on the portal's side: of any kind), or on
        Google's side an invitation or special event ("kind")."""
        if side == "google":
            if what in ("single", "series"):
                items = self.world.google.list_events(self.account.calendar_id)
                keep = _repeats if what == "series" else _single
                live = [item for item in items if keep(item)]
            else:
                live = self._google_kind_items(what)
            return self.rng.choice(live) if live else None
        db.session.rollback()  # see what the workers committed
        stmt = select(Event).where(
            Event.owner_id == self.account.user_id,
            Event.deleted_at.is_(None),
            Event.series_id.is_(None),
        )
        if what in ("single", "series"):
            repeats = (
                Event.recurrence.is_not(None) if what == "series" else Event.recurrence.is_(None)
            )
            stmt = stmt.where(repeats, Event.google_kind.is_(None))
        elif what == INVITATION:
            stmt = stmt.where(Event.google_kind == INVITATION)
        else:
            stmt = stmt.where(Event.google_kind.is_not(None))
        live = list(db.session.scalars(stmt.order_by(Event.id)))
        return self.rng.choice(live) if live else None

    def _track_portal(self, event: Event) -> Tracked:
        for item in self.tracked:
            if item.portal_id == event.id:
                return item
        link = link_of(event)
        found = self._by_google_id(link.google_event_id) if link else None
        found = found or self._new(f"unknown-portal-{event.id}", event.is_series)
        found.portal_id = event.id
        return found

    def _track_google(self, item: dict) -> Tracked:
        found = self._by_google_id(item["id"])
        if found is None:
            portal_id = portal_id_of(item)
            found = next((t for t in self.tracked if t.portal_id == portal_id), None)
            found = found or self._new(f"unknown-google-{item['id']}", bool(item.get("recurrence")))
            found.google_id = item["id"]
        return found

    def _by_google_id(self, google_id: str) -> Tracked | None:
        return next((t for t in self.tracked if t.google_id == google_id), None)

    def _new(self, key: str, series: bool = False) -> Tracked:
        item = Tracked(key, series=series, account=self.account)
        self.tracked.append(item)
        return item

    # -- random values --------------------------------------------------------------------

    def _when(self) -> tuple[datetime, datetime]:
        start = self.base + timedelta(hours=self.rng.randrange(30 * 24))
        start += timedelta(minutes=self.rng.choice((0, 15, 30, 45)))
        return start, start + timedelta(minutes=self.rng.choice((15, 30, 60, 90, 180)))

    def _days(self) -> tuple[date, date]:
        first = self.base.date() + timedelta(days=self.rng.randrange(30))
        return first, first + timedelta(days=self.rng.choice((1, 1, 2, 3)))

    def _text_change(self, n: int, title: str) -> tuple[str, str]:
        """Which text field to change, and to what (unique to this step)."""
        name = self.rng.choices(TEXT_FIELDS, (6, 2, 2))[0]
        value = {
            "title": f"{title.split()[0]} e{n}",
            "location": f"Room {n}",
            "notes": f"Notes of step {n}",
        }[name]
        return name, value

    def _wrote(self, data: EventData) -> None:
        """Remember the texts the portal sent (or kept back, at its privacy level)."""
        self.portal_texts["title"].add(data.title.strip())
        self.portal_texts["location"].add(data.location)
        self.portal_texts["notes"].add(data.notes)

    def _commit(self) -> None:
        """Commit the portal's change, then kick the push (a failed kick waits for the sweep)."""
        db.session.commit()
        kick(self.account.user_id)

    # -- the portal side ------------------------------------------------------------------

    def _save(self, event: Event, data: EventData, what: str) -> None:
        tracked = self._track_portal(event)
        update_event(event, data)
        self._wrote(data)
        self._commit()
        tracked.portal_value = portal_value(event)
        self.log.append(f"{self.tag}portal {what} {tracked.key}: {tracked.portal_value}")

    def _portal_create(self, n: int) -> None:
        owner = db.session.get(User, self.account.user_id)
        start, end = self._when()
        zone = self.rng.choice(ZONES)
        data = EventData(f"P{n}", zone, start_at=start, end_at=end)
        event = create_event(owner, data)
        self._wrote(data)
        self._commit()
        tracked = self._new(f"p{n}")
        tracked.portal_id, tracked.portal_value = event.id, portal_value(event)
        self.log.append(
            f"{self.tag}portal create {tracked.key} (#{event.id}): {tracked.portal_value}"
        )

    def _portal_edit(self, n: int, event: Event) -> None:
        name, value = self._text_change(n, event.title)
        data = replace(EventData.of(event), **{name: value})
        self._save(event, data, f"edit {name} of")

    def _portal_move(self, n: int, event: Event) -> None:
        data = EventData.of(event)
        if data.all_day:
            first, last = self._days()
            data = replace(data, start_date=first, end_date=last)
        else:
            start, end = self._when()
            data = replace(data, start_at=start, end_at=end)
        self._save(event, data, "move")

    def _portal_all_day(self, n: int, event: Event) -> None:
        if event.all_day:
            start, end = self._when()
            data = replace(
                EventData.of(event),
                all_day=False,
                start_at=start,
                end_at=end,
                start_date=None,
                end_date=None,
            )
        else:
            first, last = self._days()
            data = replace(
                EventData.of(event),
                all_day=True,
                start_date=first,
                end_date=last,
                start_at=None,
                end_at=None,
            )
        self._save(event, data, "all-day change")

    def _portal_delete(self, n: int, event: Event) -> None:
        tracked = self._track_portal(event)
        delete_event(event)
        self._commit()
        tracked.deleted_on = tracked.deleted_on or "portal"
        self.log.append(f"{self.tag}portal delete {tracked.key}")

    # -- the Google side ------------------------------------------------------------------

    def _google_times(self, all_day: bool) -> dict:
        zone = self.rng.choice(ZONES)
        if all_day:
            first, last = self._days()
            return {"start": {"date": first.isoformat()}, "end": {"date": last.isoformat()}}
        start, end = self._when()
        return {
            "start": {"dateTime": rfc3339(start), "timeZone": zone},
            "end": {"dateTime": rfc3339(end), "timeZone": zone},
        }

    def _google_create(self, n: int) -> None:
        body = {"summary": f"G{n}", **self._google_times(all_day=self.rng.random() < 0.2)}
        item = self.world.google.user_insert_event(self.account.calendar_id, body)
        tracked = self._new(f"g{n}")
        tracked.google_id, tracked.google_value = item["id"], google_value(item)
        self.log.append(
            f"{self.tag}google create {tracked.key} ({item['id']}): {tracked.google_value}"
        )

    def _google_write(self, item: dict, body: dict, what: str, whole: bool = False) -> None:
        tracked = self._track_google(item)
        google = self.world.google
        if whole:
            written = google.user_update_event(self.account.calendar_id, item["id"], body)
        else:
            written = google.user_patch_event(self.account.calendar_id, item["id"], body)
        tracked.google_value = google_value(written)
        self.log.append(f"{self.tag}google {what} {tracked.key}: {tracked.google_value}")

    def _google_edit(self, n: int, item: dict) -> None:
        name, value = self._text_change(n, base_of(item.get("summary")))
        google_name = {"title": "summary", "location": "location", "notes": "description"}[name]
        self._google_write(item, {google_name: value}, f"edit {name} of")

    def _google_move(self, n: int, item: dict) -> None:
        self._google_write(item, self._google_times("date" in item["start"]), "move")

    def _google_all_day(self, n: int, item: dict) -> None:
        # A whole-event update: a patch would merge the old dateTime into the new date.
        kept = ("summary", "description", "location", "extendedProperties", "visibility")
        body = {k: item[k] for k in kept if k in item}
        body.update(self._google_times(all_day="date" not in item["start"]))
        self._google_write(item, body, "all-day change", whole=True)

    def _google_delete(self, n: int, item: dict) -> None:
        tracked = self._track_google(item)
        self.world.google.user_delete_event(self.account.calendar_id, item["id"])
        tracked.deleted_on = tracked.deleted_on or "google"
        self.log.append(f"{self.tag}google delete {tracked.key}")


def _repeats(item: dict) -> bool:
    """An ordinary Google series (its master)."""
    return bool(item.get("recurrence")) and kind_of(item) is None


def _single(item: dict) -> bool:
    """An ordinary Google item that is neither a series nor one of its occurrences."""
    return not item.get("recurrence") and not item.get("recurringEventId") and kind_of(item) is None
