"""Events of a calendar: the stored records, Google's write rules, and the owner's own edits."""

from __future__ import annotations

import copy
import threading
import time
from datetime import datetime
from typing import Any

from . import events as ev
from . import ids, invitations, late, listing, timefmt, writes
from .errors import ApiError, not_found
from .model import Calendar, Channel, EventRecord, User
from .push import Notifier
from .recurrence import RecurrenceError


class EventStore:
    """Mixin of EmulatorState: events and their changes."""

    lock: threading.RLock
    base_url: str
    notifier: Notifier
    users: dict[str, User]
    calendars: dict[str, Calendar]
    channel_map: dict[str, Channel]
    late_change_delay: float

    def _touch(self) -> None:
        raise NotImplementedError

    def _changed(self, cal: Calendar, record: EventRecord) -> None:
        cal.seq += 1
        record.seq = cal.seq
        cal.etag = ids.new_etag()
        cal.updated = timefmt.rfc3339_ms(timefmt.utcnow())
        self._touch()
        now_ms = int(time.time() * 1000)
        for channel in self.channel_map.values():
            if channel.calendar_id == cal.id and channel.live(now_ms):
                self.notifier.announce(channel, "exists")

    def _store(self, cal: Calendar, data: dict[str, Any]) -> EventRecord:
        record = cal.events.get(data["id"])
        old_data, old_seq = (record.data, record.seq) if record else (None, 0)
        if record is None:
            record = EventRecord(data, 0, cal.next_index)
            cal.next_index += 1
            cal.events[data["id"]] = record
        else:
            record.data = data
        self._changed(cal, record)
        # A held change reaches listings only after the notification plus the delay.
        wait = float(self.late_change_delay or 0)
        delay = wait + self.notifier.delay if wait > 0 else 0.0
        late.hold(record, old_data, old_seq, time.time(), delay)
        return record

    def _find(self, cal: Calendar, event_id: str) -> tuple[EventRecord | None, dict[str, Any]]:
        record = cal.events.get(event_id)
        if record is not None:
            return record, record.data
        base, sep, suffix = event_id.rpartition("_")
        master = cal.events.get(base) if sep else None
        if master is None or not master.data.get("recurrence"):
            raise not_found()
        if master.data.get("status") == "cancelled":
            raise not_found()
        try:
            series = ev.series_of(master.data, cal.time_zone)
        except (RecurrenceError, ValueError):
            raise not_found() from None
        occ = series.find(suffix)
        if occ is None:
            raise not_found()
        return None, ev.instance_data(master.data, occ, series.tz)

    def _owner(self, cal: Calendar) -> User:
        return self.users[cal.owner]

    def insert_event(
        self, cal: Calendar, body: dict[str, Any], how: writes.Write | None = None
    ) -> dict[str, Any]:
        """events.insert rules; returns stored data."""
        with self.lock:
            data = writes.insert(cal, body, self._owner(cal), how or writes.Write())
            self._store(cal, data)
            return data

    def write_event(
        self,
        cal: Calendar,
        event_id: str,
        body: dict[str, Any],
        *,
        replace: bool,
        if_match: str | None = None,
        how: writes.Write | None = None,
    ) -> dict[str, Any]:
        """events.patch (replace=False) or events.update (replace=True) rules."""
        with self.lock:
            _, current = self._find(cal, event_id)
            self._check_etag(current, if_match)
            was_cancelled = current.get("status") == "cancelled"
            if was_cancelled and (
                not isinstance(body, dict)
                or body.get("status")
                not in (
                    "confirmed",
                    "tentative",
                )
            ):
                # Google lets an update that explicitly confirms the event bring it back.
                raise ApiError(410, "deleted", "Resource has been deleted")
            data = writes.update(
                cal, current, body, self._owner(cal), how or writes.Write(), replace=replace
            )
            self._store(cal, data)
            if data.get("status") == "cancelled" and not was_cancelled:
                self._cascade_cancel(cal, data)
            return data

    def delete_event(self, cal: Calendar, event_id: str, if_match: str | None = None) -> None:
        """events.delete rules: a tombstone stays behind (status cancelled)."""
        with self.lock:
            _, current = self._find(cal, event_id)
            if current.get("status") == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            self._check_etag(current, if_match)
            data = copy.deepcopy(current)
            data["status"] = "cancelled"
            data["etag"] = ids.new_etag()
            data["updated"] = timefmt.rfc3339_ms(timefmt.utcnow())
            self._store(cal, data)
            self._cascade_cancel(cal, data)

    def _cascade_cancel(self, cal: Calendar, master: dict[str, Any]) -> None:
        if not master.get("recurrence") or master.get("recurringEventId"):
            return
        prefix = master["id"] + "_"
        for event_id, record in list(cal.events.items()):
            if event_id.startswith(prefix) and record.data.get("status") != "cancelled":
                data = dict(
                    record.data,
                    status="cancelled",
                    etag=ids.new_etag(),
                    updated=timefmt.rfc3339_ms(timefmt.utcnow()),
                )
                self._store(cal, data)

    @staticmethod
    def _check_etag(current: dict[str, Any], if_match: str | None) -> None:
        if if_match is None or if_match.strip() == "*":
            return
        candidates = [t.strip() for t in if_match.split(",")]
        if current.get("etag") not in candidates:
            raise ApiError(
                412,
                "conditionNotMet",
                "Precondition Failed",
                location="If-Match",
                location_type="header",
            )

    def fetch_event(self, cal: Calendar, event_id: str) -> dict[str, Any]:
        """events.get rules: deleted events still come back (as cancelled)."""
        with self.lock:
            return self._find(cal, event_id)[1]

    def render(self, cal: Calendar, data: dict[str, Any]) -> dict[str, Any]:
        """The Event resource for stored or virtual data."""
        return ev.render(data, cal, self.base_url)

    def list_page(self, cal: Calendar, query: listing.ListQuery) -> dict[str, Any]:
        """One events.list page."""
        with self.lock:
            shown = late.view(cal, time.time())
            return listing.list_events(shown, query, self.base_url, timefmt.utcnow())

    def instances_page(
        self, cal: Calendar, event_id: str, query: listing.ListQuery
    ) -> dict[str, Any]:
        """One events.instances page."""
        with self.lock:
            record = cal.events.get(event_id)
            if record is None or not record.data.get("recurrence"):
                raise not_found()
            if record.data.get("status") == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            return listing.list_instances(cal, record, query, self.base_url, timefmt.utcnow())

    # ---------------------------------------------------------------- events: as a person

    def _cal(self, calendar_id: str) -> Calendar:
        cal = self.calendars.get(calendar_id)
        if cal is None or cal.gone:
            raise KeyError(f"unknown calendar {calendar_id!r}")
        return cal

    def user_insert_event(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create an event as the owner would in Google Calendar (notifies watchers)."""
        with self.lock:
            cal = self._cal(calendar_id)
            return self.render(cal, self.insert_event(cal, body, writes.Write(writes.USER)))

    def user_patch_event(
        self, calendar_id: str, event_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Change some fields of an event (or instance) as the owner would."""
        with self.lock:
            cal = self._cal(calendar_id)
            how = writes.Write(writes.USER)
            return self.render(cal, self.write_event(cal, event_id, body, replace=False, how=how))

    def user_update_event(
        self, calendar_id: str, event_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Replace an event as the owner would."""
        with self.lock:
            cal = self._cal(calendar_id)
            how = writes.Write(writes.USER)
            return self.render(cal, self.write_event(cal, event_id, body, replace=True, how=how))

    def user_delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete an event (or one instance of a series) as the owner would."""
        with self.lock:
            self.delete_event(self._cal(calendar_id), event_id)

    def get_event(
        self, calendar_id: str, event_id: str, include_deleted: bool = True
    ) -> dict[str, Any] | None:
        """An event (or instance) as events.get renders it, or None."""
        with self.lock:
            cal = self._cal(calendar_id)
            try:
                data = self.fetch_event(cal, event_id)
            except ApiError:
                return None
            if data.get("status") == "cancelled" and not include_deleted:
                return None
            return self.render(cal, data)

    def list_events(self, calendar_id: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Every stored event of a calendar (masters and exceptions, not expanded)."""
        with self.lock:
            cal = self._cal(calendar_id)
            records = sorted(cal.events.values(), key=lambda r: r.index)
            return [
                self.render(cal, r.data)
                for r in records
                if include_deleted or r.data.get("status") != "cancelled"
            ]

    def expand(
        self,
        calendar_id: str,
        time_min: datetime | str | None,
        time_max: datetime | str | None,
    ) -> list[dict[str, Any]]:
        """Instances in the window as singleEvents=true lists them, by start time."""
        if isinstance(time_min, str):
            time_min = timefmt.parse_rfc3339(time_min)
        if isinstance(time_max, str):
            time_max = timefmt.parse_rfc3339(time_max)
        with self.lock:
            cal = self._cal(calendar_id)
            datas = listing.expand(cal, time_min, time_max, timefmt.utcnow())
            return [self.render(cal, d) for d in datas]

    def store_as_is(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Store an event exactly as given, past every API check (notifies watchers).

        For tests of what a client does with data it cannot read: real calendars hold events
        older clients and imports wrote, which today's API would refuse. Only the identity
        and bookkeeping fields are filled in when absent (id, etag, updated, created, status).
        """
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        with self.lock:
            cal = self._cal(calendar_id)
            data = copy.deepcopy(body)
            data["id"] = data.get("id") or ids.new_event_id()
            if data["id"] in cal.events:
                raise ValueError(f"event {data['id']!r} exists already")
            self._stamp_as_is(cal, data)
            self._store(cal, data)
            return self.render(cal, data)

    def _stamp_as_is(self, cal: Calendar, data: dict[str, Any]) -> None:
        owner = self._owner(cal)
        stamp = timefmt.rfc3339_ms(timefmt.utcnow())
        data.update(etag=ids.new_etag(), updated=stamp)
        defaults = {
            "created": stamp,
            "status": "confirmed",
            "eventType": "default",
            "iCalUID": f"{data['id']}@google.com",
            **ev.people(cal, owner.email, owner.name),
        }
        for name, value in defaults.items():
            data.setdefault(name, value)

    # ---------------------------------------------------------------- events: other people

    def google_insert_event(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Add an event as Google itself would (Gmail's fromGmail events, Contacts' birthdays)."""
        with self.lock:
            cal = self._cal(calendar_id)
            how = writes.Write(writes.GOOGLE)
            return self.render(cal, self.insert_event(cal, body, how))

    def invite(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Someone else invites the calendar's owner: the invitation lands in the calendar.

        body: the event's fields plus organizer {email, displayName?} and the owner's
        responseStatus (default needsAction)."""
        with self.lock:
            cal = self._cal(calendar_id)
            owner = self._owner(cal)
            copy_body = invitations.invitation_body(body, owner.email, owner.name)
            how = writes.Write(writes.GOOGLE)
            return self.render(cal, self.insert_event(cal, copy_body, how))

    def organizer_patch_event(
        self, calendar_id: str, event_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """The organiser changes an invitation: the attendee's own fields stay theirs."""
        with self.lock:
            cal = self._cal(calendar_id)
            how = writes.Write(writes.GOOGLE)
            return self.render(cal, self.write_event(cal, event_id, body, replace=False, how=how))

    def organizer_cancel_event(self, calendar_id: str, event_id: str) -> None:
        """The organiser cancels the event: the attendee's copy becomes cancelled."""
        with self.lock:
            self.delete_event(self._cal(calendar_id), event_id)
