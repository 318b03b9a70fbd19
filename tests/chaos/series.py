"""Recurring series on both sides: create one, then "this event" (edit or cancel one
occurrence), "this and following", "all events", and deleting the whole series.

Portal: portal/calendar/recurrence_ops.py, as the calendar's form calls it. Google: what a
person does in Google Calendar, through the emulator's user API: a series carries an RRULE;
"this event" writes or deletes the instance; "this and following" ends the series with an
UNTIL just before the occurrence, deletes its exceptions from there on and starts a new series
there (with what is left of a COUNT); "all events" patches the series itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.calendar.operations import EventData
from portal.calendar.recurrence import (
    RecurrenceError,
    Repeat,
    expand,
    occurrence_at,
    occurrence_key,
    original_start,
)
from portal.calendar.recurrence_ops import (
    create_series,
    delete_occurrence,
    delete_series,
    edit_occurrence,
    edit_series,
    split_series,
)
from portal.calendar.rules import WEEKDAYS, build_rule
from portal.extensions import db
from portal.models import Event, User
from tests.chaos.rules import (
    UTC_BASIC,
    base_of,
    google_original,
    google_start,
    parse_instant,
    rfc3339,
    split_rule,
)
from tests.chaos.tracking import Cancelled
from tests.chaos.values import google_value, portal_value
from tests.support.occurrences import window

# The window every series lives in: the driver's events start within 30 days of its base,
# and no series it makes runs longer than about 60 days.
WINDOW_BEFORE = timedelta(days=2)
WINDOW_AFTER = timedelta(days=200)


class SeriesOperations:
    """The series half of the Driver (mixed in: it uses the driver's world, rng and tracking)."""

    def window(self) -> tuple[datetime, datetime]:
        """The stretch of time the series are compared over."""
        return self.base - WINDOW_BEFORE, self.base + WINDOW_AFTER

    def _repeat_choice(self) -> tuple[str, int | None, int]:
        """Daily or weekly; a COUNT, or an UNTIL that many days after the first day."""
        frequency = self.rng.choice(("daily", "weekly", "weekly"))
        longest = 8 if frequency == "daily" else 45
        if self.rng.random() < 0.5:
            return frequency, self.rng.randint(2, 8), 0
        return frequency, None, self.rng.randint(2, longest)

    # -- the portal side ------------------------------------------------------------------

    def _portal_occurrences(self, master: Event) -> list:
        exceptions = db.session.scalars(select(Event).where(Event.series_id == master.id)).all()
        shown = expand(master, exceptions, window(*self.window()))
        return sorted(shown, key=lambda o: occurrence_key(o.original))

    def _portal_op(self, what: str, operation: Callable[[], Event], data: EventData | None):
        """Run a recurrence operation and commit it; a refusal (as the form shows) rolls back."""
        try:
            result = operation()
        except (RecurrenceError, ValueError) as refused:
            db.session.rollback()
            self.log.append(f"{self.tag}portal {what}: refused ({refused})")
            return None
        if data is not None:
            self._wrote(data)
        self._commit()
        return result

    def _portal_series_create(self, n: int) -> None:
        owner = db.session.get(User, self.account.user_id)
        zone = self.rng.choice(self.zones)
        if self.rng.random() < 0.2:
            first, _ = self._days()
            data = EventData(
                f"PS{n}", zone, all_day=True, start_date=first, end_date=first + timedelta(days=1)
            )
        else:
            start, end = self._when()
            data = EventData(f"PS{n}", zone, start_at=start, end_at=end)
            first = start.astimezone(ZoneInfo(zone)).date()
        frequency, count, days = self._repeat_choice()
        if count:
            repeat = Repeat(frequency, ends="count", count=count)
        else:
            repeat = Repeat(frequency, ends="until", until=first + timedelta(days=days))
        rule = build_rule(repeat, first, data.all_day, zone)
        master = self._portal_op("series create", lambda: create_series(owner, data, rule), data)
        if master is not None:
            tracked = self._new(f"ps{n}", series=True)
            tracked.portal_id, tracked.portal_value = master.id, portal_value(master)
            self.log.append(
                f"{self.tag}portal series create {tracked.key} (#{master.id}): "
                f"{tracked.portal_value} {rule}"
            )

    def _portal_occurrence_edit(self, n: int, master: Event) -> None:
        occurrences = self._portal_occurrences(master)
        if not occurrences:
            return self._portal_series_edit(n, master)
        tracked = self._track_portal(master)
        chosen = self.rng.choice(occurrences)
        data = replace(
            EventData.of(chosen.event),
            start_at=chosen.start_at,
            end_at=chosen.end_at,
            start_date=chosen.start_date,
            end_date=chosen.end_date,
        )
        data, what = self._changed_occurrence(n, data, master.title)
        key = occurrence_key(chosen.original)
        if self._portal_op(
            "occurrence edit", lambda: edit_occurrence(master, chosen.original, data), data
        ):
            self.log.append(
                f"{self.tag}portal occurrence {what} {tracked.key} @{key}: {data.title}"
            )
        return None

    def _changed_occurrence(self, n: int, data: EventData, title: str) -> tuple[EventData, str]:
        """One occurrence renamed, or moved by hours (a day or two if all-day)."""
        if self.rng.random() < 0.5:
            return replace(data, title=f"{base_of(title)} o{n}"), "retitle"
        if data.all_day:
            shift = timedelta(days=self.rng.choice((1, 2)))
            return replace(
                data, start_date=data.start_date + shift, end_date=data.end_date + shift
            ), "move"
        shift = timedelta(hours=self.rng.choice((-2, -1, 1, 2, 3)))
        return replace(data, start_at=data.start_at + shift, end_at=data.end_at + shift), "move"

    def _portal_occurrence_cancel(self, n: int, master: Event) -> None:
        occurrences = self._portal_occurrences(master)
        if not occurrences:
            return self._portal_series_edit(n, master)
        tracked = self._track_portal(master)
        chosen = self.rng.choice(occurrences)
        key = occurrence_key(chosen.original)
        if self._portal_op(
            "occurrence cancel", lambda: delete_occurrence(master, chosen.original), None
        ):
            self.cancelled.append(Cancelled(tracked, key, "portal"))
            self.log.append(f"{self.tag}portal occurrence cancel {tracked.key} @{key}")
        return None

    def _portal_series_following(self, n: int, master: Event) -> None:
        first = original_start(master)
        later = [o for o in self._portal_occurrences(master) if o.original != first]
        if not later:
            return self._portal_series_edit(n, master)
        tracked = self._track_portal(master)
        chosen = self.rng.choice(later)
        # The new series starts where the rule had that occurrence (not where it was moved).
        at = occurrence_at(master, chosen.original)
        data = replace(
            EventData.of(master),
            title=f"{base_of(master.title)} s{n}",
            start_at=at.start_at,
            end_at=at.end_at,
            start_date=at.start_date,
            end_date=at.end_date,
        )
        key = occurrence_key(chosen.original)
        new = self._portal_op(
            "this and following", lambda: split_series(master, chosen.original, data), data
        )
        if new is not None:
            tracked.portal_value = portal_value(master)
            split = self._new(f"ps{n}", series=True)
            split.portal_id, split.portal_value = new.id, portal_value(new)
            self.log.append(
                f"{self.tag}portal this-and-following {tracked.key} @{key} → {split.key} "
                f"(#{new.id}): {split.portal_value} {new.recurrence}"
            )
        return None

    def _portal_series_edit(self, n: int, master: Event) -> None:
        tracked = self._track_portal(master)
        name, value = self._text_change(n, master.title)
        data = replace(EventData.of(master), **{name: value})
        if self._portal_op("all events edit", lambda: edit_series(master, data), data):
            tracked.portal_value = portal_value(master)
            self.log.append(f"{self.tag}portal all-events edit {name} of {tracked.key}: {value!r}")

    def _portal_series_delete(self, n: int, master: Event) -> None:
        tracked = self._track_portal(master)
        self._portal_op("series delete", lambda: delete_series(master), None)
        tracked.deleted_on = tracked.deleted_on or "portal"
        self.log.append(f"{self.tag}portal series delete {tracked.key}")

    # -- the Google side ------------------------------------------------------------------

    def _google_instances(self, master: dict) -> list[dict]:
        instances = self.world.google.expand(self.account.calendar_id, *self.window())
        mine = [i for i in instances if i.get("recurringEventId") == master["id"]]
        return sorted(mine, key=lambda i: occurrence_key(google_original(i)))

    def _google_series_create(self, n: int) -> None:
        zone = self.rng.choice(self.zones)
        if self.rng.random() < 0.2:
            first, _ = self._days()
            body = {
                "start": {"date": first.isoformat()},
                "end": {"date": (first + timedelta(days=1)).isoformat()},
            }
            all_day = True
        else:
            start, end = self._when()
            body = {
                "start": {"dateTime": rfc3339(start), "timeZone": zone},
                "end": {"dateTime": rfc3339(end), "timeZone": zone},
            }
            first, all_day = start.astimezone(ZoneInfo(zone)).date(), False
        frequency, count, days = self._repeat_choice()
        parts = ["FREQ=DAILY"] if frequency == "daily" else ["FREQ=WEEKLY"]
        if frequency == "weekly":
            parts.append(f"BYDAY={WEEKDAYS[first.weekday()]}")
        if count:
            parts.append(f"COUNT={count}")
        elif all_day:
            parts.append(f"UNTIL={first + timedelta(days=days):%Y%m%d}")
        else:
            # As Google writes it for "ends on <day>": that day's end, in UTC.
            until = datetime.combine(first + timedelta(days=days), time(23, 59, 59))
            parts.append(
                f"UNTIL={until.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC):{UTC_BASIC}}"
            )
        body.update(summary=f"GS{n}", recurrence=["RRULE:" + ";".join(parts)])
        item = self.world.google.user_insert_event(self.account.calendar_id, body)
        tracked = self._new(f"gs{n}", series=True)
        tracked.google_id, tracked.google_value = item["id"], google_value(item)
        self.log.append(
            f"{self.tag}google series create {tracked.key} ({item['id']}): {tracked.google_value} "
            f"{body['recurrence'][0]}"
        )

    def _google_occurrence_edit(self, n: int, master: dict) -> None:
        instances = self._google_instances(master)
        if not instances:
            return self._google_series_edit(n, master)
        tracked = self._track_google(master)
        chosen = self.rng.choice(instances)
        if self.rng.random() < 0.5:
            body, what = {"summary": f"{base_of(chosen.get('summary'))} o{n}"}, "retitle"
        else:
            body, what = self._moved_instance(chosen), "move"
        written = self.world.google.user_patch_event(self.account.calendar_id, chosen["id"], body)
        key = occurrence_key(google_original(chosen))
        self.log.append(
            f"{self.tag}google occurrence {what} {tracked.key} @{key}: {google_value(written)}"
        )
        return None

    def _moved_instance(self, instance: dict) -> dict:
        start, end = instance["start"], instance["end"]
        if "date" in start:
            shift = timedelta(days=self.rng.choice((1, 2)))
            return {
                "start": {"date": (date.fromisoformat(start["date"]) + shift).isoformat()},
                "end": {"date": (date.fromisoformat(end["date"]) + shift).isoformat()},
            }
        shift = timedelta(hours=self.rng.choice((-2, -1, 1, 2, 3)))
        return {
            name: {
                "dateTime": rfc3339(parse_instant(value["dateTime"]) + shift),
                "timeZone": value.get("timeZone") or self.zones[0],
            }
            for name, value in (("start", start), ("end", end))
        }

    def _google_occurrence_cancel(self, n: int, master: dict) -> None:
        instances = self._google_instances(master)
        if not instances:
            return self._google_series_edit(n, master)
        tracked = self._track_google(master)
        chosen = self.rng.choice(instances)
        self.world.google.user_delete_event(self.account.calendar_id, chosen["id"])
        key = occurrence_key(google_original(chosen))
        self.cancelled.append(Cancelled(tracked, key, "google"))
        self.log.append(f"{self.tag}google occurrence cancel {tracked.key} @{key}")
        return None

    def _google_series_following(self, n: int, master: dict) -> None:
        first = occurrence_key(google_start(master))
        later = [
            i for i in self._google_instances(master) if occurrence_key(google_original(i)) > first
        ]
        lines = master["recurrence"]
        rules = [line for line in lines if line.upper().startswith("RRULE:")]
        if not later or len(rules) != 1:
            return self._google_series_edit(n, master)
        tracked = self._track_google(master)
        chosen = self.rng.choice(later)
        split_at = google_original(chosen)
        rules_after = split_rule(master, rules[0], split_at)
        if rules_after is None:
            return self._google_series_edit(n, master)
        ending_rule, new_rule = rules_after
        google, calendar = self.world.google, self.account.calendar_id
        ended = [ending_rule, *(line for line in lines if line is not rules[0])]
        tracked.google_value = google_value(
            google.user_patch_event(calendar, master["id"], {"recurrence": ended})
        )
        key = occurrence_key(split_at)
        self._delete_exceptions_from(master, key)
        body = {
            "summary": f"{base_of(master.get('summary'))} s{n}",
            **{k: master[k] for k in ("location", "description") if k in master},
            **self._series_times_at(master, split_at),
            "recurrence": [new_rule],
        }
        item = google.user_insert_event(calendar, body)
        split = self._new(f"gs{n}", series=True)
        split.google_id, split.google_value = item["id"], google_value(item)
        self.log.append(
            f"{self.tag}google this-and-following {tracked.key} @{key} → {split.key} "
            f"({item['id']}): {split.google_value} {body['recurrence'][0]}"
        )
        return None

    def _delete_exceptions_from(self, master: dict, key: str) -> None:
        """Delete the series' changed occurrences from `key` on, as "this and following" does."""
        google, calendar = self.world.google, self.account.calendar_id
        for item in google.list_events(calendar):
            original = item.get("originalStartTime")
            if (
                item.get("recurringEventId") == master["id"]
                and original
                and occurrence_key(google_original(item)) >= key
            ):
                google.user_delete_event(calendar, item["id"])

    @staticmethod
    def _series_times_at(master: dict, split_at: datetime | date) -> dict:
        """The master's start and end moved to split_at (same duration, same zone)."""
        start, end = master["start"], master["end"]
        if isinstance(split_at, date) and not isinstance(split_at, datetime):
            days = date.fromisoformat(end["date"]) - date.fromisoformat(start["date"])
            return {
                "start": {"date": split_at.isoformat()},
                "end": {"date": (split_at + days).isoformat()},
            }
        length = parse_instant(end["dateTime"]) - parse_instant(start["dateTime"])
        zone = start.get("timeZone")
        return {
            "start": {"dateTime": rfc3339(split_at), "timeZone": zone},
            "end": {"dateTime": rfc3339(split_at + length), "timeZone": end.get("timeZone", zone)},
        }

    def _google_series_edit(self, n: int, master: dict) -> None:
        tracked = self._track_google(master)
        name, value = self._text_change(n, base_of(master.get("summary")))
        google_name = {"title": "summary", "location": "location", "notes": "description"}[name]
        written = self.world.google.user_patch_event(
            self.account.calendar_id, master["id"], {google_name: value}
        )
        tracked.google_value = google_value(written)
        self.log.append(f"{self.tag}google all-events edit {name} of {tracked.key}: {value!r}")

    def _google_series_delete(self, n: int, master: dict) -> None:
        tracked = self._track_google(master)
        self.world.google.user_delete_event(self.account.calendar_id, master["id"])
        tracked.deleted_on = tracked.deleted_on or "google"
        self.log.append(f"{self.tag}google series delete {tracked.key}")
