"""Invitations and Google's special event types, changed on both sides as people change them.

Google's side, through the emulator (what its control API's routes call): someone else
invites the coordinator (`invite`), later changes or cancels the invitation
(`organizer_patch_event`, `organizer_cancel_event`); the coordinator answers it in Google
Calendar (a PATCH of their own attendee entry, sometimes with an edit of the title Google
ignores); the coordinator adds out-of-office, focus time and working locations
(`user_insert_event`), Google Contacts and Gmail add birthdays and bookings
(`google_insert_event`); the coordinator renames, moves or deletes them in Google Calendar
within what Google allows.

The portal's side, only what the portal offers (values.PORTAL_EDITS): the answer to an
invitation, the title of out-of-office, focus time and birthdays, portal-only fields (internal
notes) of every kind, and deleting what is not an invitation.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.calendar.operations import EventData, answer_invitation, delete_event, update_event
from portal.calendar.recurrence_ops import delete_series
from portal.extensions import db
from portal.models import Event, EventLink
from tests.chaos.rules import base_of
from tests.chaos.values import (
    ANSWERS,
    INVITATION,
    PORTAL_EDITS,
    google_value,
    kind_of,
    own_answer,
    portal_value,
)

ORGANISERS = (("lee@clinic.example", "Dr Lee"), ("sam@planmanager.example", "Sam Plan Manager"))
# The special types the driver makes, with the letter their titles start with.
SPECIAL = {
    "outOfOffice": "Away",
    "focusTime": "Focus",
    "workingLocation": "Where",
    "birthday": "Bday",
    "fromGmail": "Mail",
}
PLACES = (
    {"type": "homeOffice", "homeOffice": {}},
    {"type": "officeLocation", "officeLocation": {"label": "Parramatta"}},
    {"type": "customLocation", "customLocation": {"label": "Library"}},
)


class KindOperations:
    """The invitation and special-type half of the Driver (mixed in, like SeriesOperations)."""

    def _google_kind_items(self, what: str) -> list[dict]:
        """Live invitations ("invitation"), special-type items ("special") or either ("kind")
        in Google (masters, not their occurrences)."""
        items = self.world.google.list_events(self.account.calendar_id)
        live = [i for i in items if not i.get("recurringEventId") and kind_of(i) is not None]
        if what == INVITATION:
            return [i for i in live if kind_of(i) == INVITATION]
        if what == "special":
            return [i for i in live if kind_of(i) != INVITATION]
        return live

    def _google_both_sides(self, n: int, item: dict) -> None:
        """A change in Google, then the coordinator's in the portal before the pull brought
        it (a late notification): the organiser's change or their own answer in Google, then
        an answer here; a special event changed in Google Calendar, then here."""
        invitation = kind_of(item) == INVITATION
        if invitation and self.rng.random() < 0.3:
            self._google_answer(n, item)
        elif invitation:
            self._google_organiser_change(n, item)
        else:
            self._google_kind_edit(n, item, keep=True)
        event = self._linked(item)
        if event is None:
            self.log.append(f"{self.tag}portal: {item['id']} is not in the portal yet")
        elif invitation:
            self._portal_answer(n, event)
        else:
            self._portal_kind_edit(n, event, keep=True)

    def _linked(self, item: dict) -> Event | None:
        """The live portal event linked to a Google item, as committed now."""
        db.session.rollback()
        stmt = select(EventLink.event_id).where(
            EventLink.connection_id == self.account.connection_id,
            EventLink.google_event_id == item["id"],
        )
        event = db.session.get(Event, db.session.scalar(stmt) or 0)
        return event if event is not None and not event.is_deleted else None

    # -- Google's side: other people and Google itself ------------------------------------

    def _google_invite(self, n: int) -> None:
        email, name = self.rng.choice(ORGANISERS)
        body = {
            "organizer": {"email": email, "displayName": name},
            "responseStatus": self.rng.choice(("needsAction", "needsAction", *ANSWERS[:2])),
            "summary": f"I{n}",
            **self._google_times(all_day=self.rng.random() < 0.1),
        }
        if self.rng.random() < 0.3:
            body["location"] = f"Clinic {n}"
        if self.rng.random() < 0.3:
            body["description"] = (
                f"<b>Review</b> of step {n}<br><a href='https://x.example'>plan</a>"
            )
        item = self.world.google.invite(self.account.calendar_id, body)
        tracked = self._new(f"i{n}")
        tracked.google_id, tracked.google_value = item["id"], google_value(item)
        tracked.kind, tracked.organiser = INVITATION, tracked.google_value
        tracked.answers.add(own_answer(item))
        self.log.append(
            f"{self.tag}google {name} invites {tracked.key} ({item['id']}): "
            f"{tracked.google_value}, answer {own_answer(item)}"
        )

    def _google_organiser_change(self, n: int, item: dict) -> None:
        tracked = self._track_google(item)
        what = self.rng.choice(("title", "title", "time", "location"))
        if what == "title":
            body = {"summary": f"{base_of(item.get('summary'))} e{n}"}
        elif what == "location":
            body = {"location": f"Clinic {n}"}
        else:
            body = self._google_times("date" in item["start"])
        written = self.world.google.organizer_patch_event(
            self.account.calendar_id, item["id"], body
        )
        tracked.google_value = tracked.organiser = google_value(written)
        self.log.append(
            f"{self.tag}google organiser changes {what} of {tracked.key}: {tracked.organiser}"
        )

    def _google_organiser_cancel(self, n: int, item: dict) -> None:
        tracked = self._track_google(item)
        self.world.google.organizer_cancel_event(self.account.calendar_id, item["id"])
        tracked.deleted_on = tracked.deleted_on or "google"
        self.log.append(f"{self.tag}google organiser cancels {tracked.key}")

    def _google_answer(self, n: int, item: dict) -> None:
        """The coordinator answers in Google Calendar; now and then they also retitle it there,
        which Google answers 200 to and ignores (the title is the organiser's)."""
        tracked = self._track_google(item)
        answer = self.rng.choice([a for a in ANSWERS if a != own_answer(item)])
        body: dict = {"attendees": [{"email": self.account.calendar_id, "responseStatus": answer}]}
        if self.rng.random() < 0.25:
            body["summary"] = f"{base_of(item.get('summary'))} mine{n}"
        self.world.google.user_patch_event(self.account.calendar_id, item["id"], body)
        tracked.answers.add(answer)
        ignored = " (and a title Google ignores)" if "summary" in body else ""
        self.log.append(f"{self.tag}google answer {tracked.key}: {answer}{ignored}")

    def _google_special_create(self, n: int) -> None:
        event_type = self.rng.choice(list(SPECIAL))
        body = {"eventType": event_type, "summary": f"{SPECIAL[event_type]}{n}"}
        body.update(self._special_fields(event_type))
        google = self.world.google
        if event_type in ("birthday", "fromGmail"):
            item = google.google_insert_event(self.account.calendar_id, body)
        else:
            item = google.user_insert_event(self.account.calendar_id, body)
        tracked = self._new(
            f"{SPECIAL[event_type].lower()}{n}", series=bool(item.get("recurrence"))
        )
        tracked.google_id, tracked.google_value = item["id"], google_value(item)
        tracked.kind = kind_of(item)
        self.log.append(
            f"{self.tag}google creates {event_type} {tracked.key} ({item['id']}): "
            f"{tracked.google_value}"
        )

    def _special_fields(self, event_type: str) -> dict:
        """The times and properties Google requires of each special type."""
        one_day = self._one_day()
        if event_type == "birthday":
            kind = self.rng.choice(("birthday", "anniversary"))
            return {**one_day, "birthdayProperties": {"type": kind}}
        if event_type == "workingLocation":
            times = one_day if self.rng.random() < 0.5 else self._google_times(all_day=False)
            return {**times, "workingLocationProperties": self.rng.choice(PLACES)}
        if event_type == "fromGmail":
            # Gmail writes bare offsets, no time zone.
            start, end = self._when()
            zone = ZoneInfo(self.rng.choice(self.zones))
            return {
                "start": {"dateTime": start.astimezone(zone).isoformat()},
                "end": {"dateTime": end.astimezone(zone).isoformat()},
                "location": "Sydney Airport",
            }
        mode = self.rng.choice(("declineNone", "declineOnlyNewConflictingInvitations"))
        field = "outOfOfficeProperties" if event_type == "outOfOffice" else "focusTimeProperties"
        return {**self._google_times(all_day=False), field: {"autoDeclineMode": mode}}

    def _one_day(self) -> dict:
        first, _ = self._days()
        return {
            "start": {"date": first.isoformat()},
            "end": {"date": (first + timedelta(days=1)).isoformat()},
        }

    def _google_kind_edit(self, n: int, item: dict, keep: bool = False) -> None:
        """The coordinator changes a special event in Google Calendar, as Google allows (with
        `keep`, anything but deleting it)."""
        tracked = self._track_google(item)
        event_type = item["eventType"]
        choices = {
            "outOfOffice": ("title", "time", "delete"),
            "focusTime": ("title", "time", "delete"),
            "birthday": ("title", "title", "delete"),
            "workingLocation": ("place", "delete"),
            "fromGmail": ("delete",),
        }[event_type]
        choices = [c for c in choices if not (keep and c == "delete")]
        if not choices:
            return
        what = self.rng.choice(choices)
        google, calendar = self.world.google, self.account.calendar_id
        if what == "delete":
            google.user_delete_event(calendar, item["id"])
            tracked.deleted_on = tracked.deleted_on or "google"
            self.log.append(f"{self.tag}google delete {event_type} {tracked.key}")
            return
        body = {
            "title": {"summary": f"{base_of(item.get('summary'))} e{n}"},
            "time": self._google_times(all_day=False),
            "place": {"workingLocationProperties": self.rng.choice(PLACES)},
        }[what]
        tracked.google_value = google_value(google.user_patch_event(calendar, item["id"], body))
        self.log.append(f"{self.tag}google {what} of {event_type} {tracked.key}: {body}")

    # -- the portal's side: only what it offers -------------------------------------------

    def _portal_answer(self, n: int, event: Event) -> None:
        """The coordinator answers an invitation in the portal (going, maybe, not going)."""
        tracked = self._track_portal(event)
        answer = self.rng.choice([a for a in ANSWERS if a != event.response_status])
        answer_invitation(event, answer)
        self._commit()
        tracked.answers.add(answer)
        self.log.append(f"{self.tag}portal answer {tracked.key} (#{event.id}): {answer}")

    def _portal_kind_edit(self, n: int, event: Event, keep: bool = False) -> None:
        """What the portal's dialog for Google's events saves (google_routes.save_google): the
        title where the kind lets it change, else the portal's own fields; or (not with
        `keep`) a deletion, but not of an invitation, which is declined instead."""
        tracked = self._track_portal(event)
        roll = self.rng.random()
        if roll < 0.15 and event.google_kind != INVITATION and not keep:
            (delete_series if event.is_series else delete_event)(event)
            self._commit()
            tracked.deleted_on = tracked.deleted_on or "portal"
            self.log.append(f"{self.tag}portal delete {event.google_kind} {tracked.key}")
            return
        if roll < 0.6 and "title" in PORTAL_EDITS[event.google_kind]:
            data, what = replace(EventData.of(event), title=f"{base_of(event.title)} p{n}"), "title"
        else:
            what = "internal notes and type"
            data = replace(
                EventData.of(event),
                internal_notes=f"Internal note of step {n}",
                event_type=self.rng.choice(("other", "case_conference", "internal")),
            )
        update_event(event, data)
        self._wrote(data)
        self._commit()
        if what == "title":
            tracked.portal_value = portal_value(event)
        self.log.append(
            f"{self.tag}portal {what} of {event.google_kind} {tracked.key}: {data.title}"
        )
