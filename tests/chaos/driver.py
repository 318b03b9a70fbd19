"""A seeded random driver: creates, edits, moves, all-day changes and deletes on both sides.

Portal writes go through the calendar's operations (commit, then the outbox kick), Google
writes through the emulator "as the user". The driver remembers, for every event it made,
the last value it wrote on each side and whether it deleted the event anywhere.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from portal.calendar.operations import EventData, create_event, delete_event, update_event
from portal.extensions import db
from portal.google.mapping import portal_id_of
from portal.google.outbox import kick
from portal.models import Event, EventLink, User
from tests.chaos.values import Value, google_value, portal_value
from tests.chaos.world import World

ZONES = ("Australia/Sydney", "Australia/Brisbane", "Australia/Perth", "Australia/Adelaide")
KINDS = ("create", "edit", "move", "all_day", "delete")
WEIGHTS = (30, 25, 15, 10, 20)


@dataclass
class Tracked:
    """One event the driver made, however it is known on each side."""

    key: str
    portal_id: int | None = None
    google_id: str | None = None
    portal_value: Value | None = None
    google_value: Value | None = None
    deleted_on: str | None = None

    def written(self) -> set[Value]:
        """The last values the driver wrote, on either side."""
        return {v for v in (self.portal_value, self.google_value) if v is not None}


@dataclass
class Driver:
    """Random operations on both sides; `log` says what was done, in order."""

    world: World
    rng: random.Random
    tracked: list[Tracked] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    base: datetime = field(
        default_factory=lambda: (
            datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        )
    )

    def step(self, n: int) -> None:
        """One random operation on a random side."""
        side = self.rng.choice(("portal", "google"))
        kind = self.rng.choices(KINDS, WEIGHTS)[0]
        target = None if kind == "create" else self._pick(side)
        if target is None:
            kind = "create"
        getattr(self, f"_{side}_{kind}")(n, *(() if target is None else (target,)))

    # -- picking what to change -----------------------------------------------------------

    def _pick(self, side: str):
        if side == "portal":
            db.session.rollback()  # see what the workers committed
            stmt = select(Event).where(
                Event.owner_id == self.world.user_id, Event.deleted_at.is_(None)
            )
            live = list(db.session.scalars(stmt.order_by(Event.id)))
        else:
            live = self.world.google.list_events(self.world.calendar_id)
        return self.rng.choice(live) if live else None

    def _track_portal(self, event: Event) -> Tracked:
        for item in self.tracked:
            if item.portal_id == event.id:
                return item
        google_id = db.session.scalar(
            select(EventLink.google_event_id).where(EventLink.event_id == event.id)
        )
        found = self._by_google_id(google_id) if google_id else None
        found = found or self._new(f"unknown-portal-{event.id}")
        found.portal_id = event.id
        return found

    def _track_google(self, item: dict) -> Tracked:
        found = self._by_google_id(item["id"])
        if found is None:
            portal_id = portal_id_of(item)
            found = next((t for t in self.tracked if t.portal_id == portal_id), None)
            found = found or self._new(f"unknown-google-{item['id']}")
            found.google_id = item["id"]
        return found

    def _by_google_id(self, google_id: str) -> Tracked | None:
        return next((t for t in self.tracked if t.google_id == google_id), None)

    def _new(self, key: str) -> Tracked:
        item = Tracked(key)
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

    # -- the portal side ------------------------------------------------------------------

    def _save(self, event: Event, data: EventData, what: str) -> None:
        tracked = self._track_portal(event)
        update_event(event, data)
        db.session.commit()
        kick(self.world.user_id)
        tracked.portal_value = portal_value(event)
        self.log.append(f"portal {what} {tracked.key}: {tracked.portal_value}")

    def _portal_create(self, n: int) -> None:
        owner = db.session.get(User, self.world.user_id)
        start, end = self._when()
        zone = self.rng.choice(ZONES)
        event = create_event(owner, EventData(f"P{n}", zone, start_at=start, end_at=end))
        db.session.commit()
        kick(self.world.user_id)
        tracked = self._new(f"p{n}")
        tracked.portal_id, tracked.portal_value = event.id, portal_value(event)
        self.log.append(f"portal create {tracked.key} (#{event.id}): {tracked.portal_value}")

    def _portal_edit(self, n: int, event: Event) -> None:
        self._save(
            event, replace(EventData.of(event), title=f"{event.title.split()[0]} e{n}"), "edit"
        )

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
        db.session.commit()
        kick(self.world.user_id)
        tracked.deleted_on = tracked.deleted_on or "portal"
        self.log.append(f"portal delete {tracked.key}")

    # -- the Google side ------------------------------------------------------------------

    def _google_times(self, all_day: bool) -> dict:
        zone = self.rng.choice(ZONES)
        if all_day:
            first, last = self._days()
            return {"start": {"date": first.isoformat()}, "end": {"date": last.isoformat()}}
        start, end = self._when()
        return {
            "start": {"dateTime": _rfc3339(start), "timeZone": zone},
            "end": {"dateTime": _rfc3339(end), "timeZone": zone},
        }

    def _google_create(self, n: int) -> None:
        body = {"summary": f"G{n}", **self._google_times(all_day=self.rng.random() < 0.2)}
        item = self.world.google.user_insert_event(self.world.calendar_id, body)
        tracked = self._new(f"g{n}")
        tracked.google_id, tracked.google_value = item["id"], google_value(item)
        self.log.append(f"google create {tracked.key} ({item['id']}): {tracked.google_value}")

    def _google_write(self, item: dict, body: dict, what: str, whole: bool = False) -> None:
        tracked = self._track_google(item)
        google = self.world.google
        if whole:
            written = google.user_update_event(self.world.calendar_id, item["id"], body)
        else:
            written = google.user_patch_event(self.world.calendar_id, item["id"], body)
        tracked.google_value = google_value(written)
        self.log.append(f"google {what} {tracked.key}: {tracked.google_value}")

    def _google_edit(self, n: int, item: dict) -> None:
        title = f"{item.get('summary', 'G').split()[0]} e{n}"
        self._google_write(item, {"summary": title}, "edit")

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
        self.world.google.user_delete_event(self.world.calendar_id, item["id"])
        tracked.deleted_on = tracked.deleted_on or "google"
        self.log.append(f"google delete {tracked.key}")


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
