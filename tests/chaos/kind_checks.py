"""What the checker holds invitations and Google's special event types to.

Both sides agree on the fields every kind shares: convergence.py's mirror check compares
title, place, notes and time of every linked pair, whatever its kind. On top of that:
- the portal calls each Google event what it is (Event.google_kind), and never makes a copy of
  one in Google (an invitation or a special event re-created as an event of its own);
- an invitation's title, time, place and notes in Google are its organiser's (no edit of an
  attendee's sticks), and the coordinator's answer is the same on both sides and one that was
  given (by them on either side, or with the invitation);
- each field of a special event ends as a value one side wrote to it;
- Google refuses nothing the portal sends (400 `eventTypeRestriction`, 403
  `forbiddenForNonOrganizer` ...), and no activity row says a change of an event "failed".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from portal.extensions import db
from portal.google.sync.mapping import portal_id_of
from portal.models import Event, SyncLog
from tests.chaos.problem import Problem
from tests.chaos.tracking import Tracked
from tests.chaos.values import INVITATION, Value, google_value, kind_of, own_answer, portal_value
from tests.chaos.world import Account, World

if TYPE_CHECKING:
    from tests.chaos.convergence import Sides

# The parts of a Value each field is, as a coordinator changes it.
FIELD_PARTS = {
    "title": ("title",),
    "time": ("all_day", "start", "end"),
    "location": ("location",),
    "notes": ("notes",),
}
# Google's answers that refuse a write outright. Faults chaos injects are marked as such in
# the request log, and chaos sets no usage quota, so a 403 here is a refusal, not a limit.
REFUSALS = (400, 403)


def kind_problems(sides: Sides) -> list[Problem]:
    """Events shown as another kind than Google's, answers that differ, copies Google got."""
    portal = {**sides.portal, **sides.portal_series}
    google = {**sides.google, **sides.google_series}
    found = []
    for event_id, event in portal.items():
        item = google.get(sides.links.get(event_id))
        if item is not None:  # (not live on Google: the mirror check says so)
            found += _kind_of_event(event, item)
    special = {e.id: e.google_kind for e in sides.all_rows if e.google_kind is not None}
    for item in google.values():
        copied = portal_id_of(item)
        if copied in special:
            text = (
                f"Google {item['id']} “{item.get('summary')}” is a copy the portal made of "
                f"#{copied}, a Google {special[copied]}"
            )
            found.append(Problem(text, {copied}, kind="recreated"))
    return found


def _kind_of_event(event: Event, item: dict) -> list[Problem]:
    expected = kind_of(item)
    found = []
    if event.google_kind != expected:
        text = (
            f"#{event.id} “{event.title}” is {event.google_kind or 'ordinary'} in the portal, "
            f"{expected or 'ordinary'} in Google"
        )
        found.append(Problem(text, {event.id}))
    if expected == INVITATION and event.response_status != own_answer(item):
        text = (
            f"#{event.id} invitation “{event.title}”: answered {event.response_status!r} in "
            f"the portal, {own_answer(item)!r} in Google"
        )
        found.append(Problem(text, {event.id}, kind="answer"))
    return found


def kind_expectations(tracked: Tracked, event: Event, item: dict) -> list[Problem]:
    """A live invitation or special event against what the driver did to it."""
    about = {event.id}
    if tracked.kind != INVITATION:
        return fields_written(tracked.key, portal_value(event), tracked.written(), about)
    found = []
    there = google_value(item)
    if there != tracked.organiser:
        text = f"{tracked.key}: Google shows {there}, but its organiser set {tracked.organiser}"
        found.append(Problem(text, about))
    if own_answer(item) not in tracked.answers:
        given = ", ".join(sorted(a for a in tracked.answers if a))
        text = f"{tracked.key}: answered {own_answer(item)!r}, never given (given: {given})"
        found.append(Problem(text, about, kind="answer"))
    return found


def fields_written(key: str, final: Value, written: set[Value], about: set[int]) -> list[Problem]:
    """Each field ends as one side last wrote it (a field one side changed since the two last
    agreed keeps that side's value, whoever changed last, so the event as a whole may be a mix
    of both sides' writes)."""
    found = []
    for name, parts in FIELD_PARTS.items():
        have = tuple(getattr(final, part) for part in parts)
        wrote = {tuple(getattr(value, part) for part in parts) for value in written}
        if have not in wrote:
            text = f"{key} {name} ended as {have}, which neither side wrote ({wrote})"
            found.append(Problem(text, about, kind="unwritten"))
    return found


def refusals(world: World, account: Account) -> list[Problem]:
    """Google's refusals of the portal's writes for this account, and activity rows that
    say a change of an event failed (a job's failure, retried, names no event)."""
    found = []
    for entry in world.google.request_log():
        if (
            entry.get("status") in REFUSALS
            and not entry.get("fault")
            and entry.get("user") == account.calendar_id
        ):
            text = (
                f"Google refused {entry.get('method')} {entry.get('path')} "
                f"({entry.get('status')}): {entry.get('body')}"
            )
            found.append(Problem(text, kind="refused"))
    failed = db.session.scalars(
        select(SyncLog).where(
            SyncLog.connection_id == account.connection_id,
            SyncLog.outcome == "failed",
            SyncLog.event_id.is_not(None),
        )
    )
    for row in failed:
        text = f"activity row {row.kind}/failed for #{row.event_id}: {row.message}"
        found.append(Problem(text, {row.event_id}, kind="refused"))
    return found
