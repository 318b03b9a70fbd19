"""Checking, once the system is quiet (quiet.py), that both sides say the same thing.

Single events are compared row by row; series by what each side shows over a window (the
expanded occurrences, paired by their original start), as a coordinator would see them.
Only the fields Google holds at the connection's privacy level are compared; the others
must still be the portal's own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import select

from portal.calendar.recurrence import occurrence_key, original_of
from portal.extensions import db
from portal.google.sync.mapping import portal_id_of
from portal.models import Event, EventLink
from tests.chaos.kind_checks import fields_written, kind_expectations, kind_problems, refusals
from tests.chaos.problem import Problem
from tests.chaos.tracking import Cancelled, Expectations, Tracked
from tests.chaos.values import (
    BUSY_TITLE,
    LEVEL_TEXT,
    TEXT_FIELDS,
    google_value,
    only,
    portal_value,
    synced_text,
)
from tests.chaos.world import Account, World
from tests.support.occurrences import Shown, google_shown, portal_shown

# Per series, at most this many occurrence differences are listed.
MAX_PER_SERIES = 6


def live_portal_events(user_id: int) -> list[Event]:
    """A coordinator's events that are not tombstoned, as committed now."""
    db.session.rollback()
    db.session.expire_all()
    stmt = select(Event).where(Event.owner_id == user_id, Event.deleted_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Event.id)))


class Sides:
    """Both sides of one account, read once: rows, items, links and what each side shows."""

    def __init__(
        self, world: World, account: Account, span: tuple[datetime, datetime] | None
    ) -> None:
        self.level = account.privacy_level
        rows = live_portal_events(account.user_id)
        self.portal = {e.id: e for e in rows if not e.is_series and not e.is_exception}
        self.portal_series = {e.id: e for e in rows if e.is_series}
        self.portal_rows = rows
        self.all_rows = db.session.scalars(
            select(Event).where(Event.owner_id == account.user_id)
        ).all()
        items = world.google.list_events(account.calendar_id)
        self.google = {
            i["id"]: i for i in items if not i.get("recurrence") and not i.get("recurringEventId")
        }
        self.google_series = {i["id"]: i for i in items if i.get("recurrence")}
        self.links = dict(
            db.session.execute(
                select(EventLink.event_id, EventLink.google_event_id).where(
                    EventLink.connection_id == account.connection_id
                )
            ).all()
        )
        self.by_google = {g: p for p, g in self.links.items()}
        self.shown_here: dict[int, list[Shown]] = defaultdict(list)
        self.shown_there: dict[str, list[Shown]] = defaultdict(list)
        if span is None:
            return
        for shown in portal_shown(account.user_id, *span):
            if shown.series is not None:
                self.shown_here[shown.series].append(shown)
        for shown in google_shown(world.google, account.calendar_id, *span):
            if shown.series is not None:
                self.shown_there[shown.series].append(shown)

    def text(self, origin: str) -> frozenset[str]:
        """The text fields compared for a portal row of this origin."""
        return synced_text(origin, self.level)

    def exception_ids(self, master_id: int | None, original: str) -> set[int]:
        """The portal rows (live or not) that replace one occurrence of a series."""
        return {
            e.id
            for e in self.all_rows
            if e.series_id == master_id and e.series_id is not None and _key_of(e) == original
        }


def problems(
    world: World,
    expected: Expectations | list[Tracked],
    span: tuple[datetime, datetime] | None = None,
) -> list[Problem]:
    """Everything that is not converged: mismatches, duplicates, lost and resurrected events,
    occurrences that differ, texts pulled back that the privacy level never sent, and what
    invitations and Google's special events must be (kind_checks.py).

    `span` is the window series are compared over (None: series compared by rows only).
    """
    if isinstance(expected, list):
        expected = Expectations(tracked=expected)
    found = []
    for account in world.accounts:
        sides = Sides(world, account, span)
        found += _mirror_problems(sides)
        found += _series_problems(sides) if span is not None else []
        found += _duplicates(sides)
        found += _pulled_back(sides, expected.portal_texts)
        found += kind_problems(sides) + refusals(world, account)
        for item in expected.tracked:
            if (item.account or world.account) == account:
                found += _expectations(item, sides)
        for cancelled in expected.cancelled:
            if (cancelled.series.account or world.account) == account:
                found += _cancellation(cancelled, sides)
    if len(world.accounts) > 1:
        # Which account each problem is about, for whoever reads the list.
        found = [_labelled(p, world) for p in found]
    return found


def _labelled(problem: Problem, world: World) -> Problem:
    owners = {
        e.id: e.owner_id
        for e in db.session.scalars(select(Event).where(Event.id.in_(problem.about)))
    }
    levels = sorted({a.privacy_level for a in world.accounts if a.user_id in owners.values()})
    return Problem(f"[{', '.join(levels) or '?'}] {problem}", problem.about, problem.kind)


def _mirror_problems(sides: Sides) -> list[Problem]:
    found = []
    mirrored = set()
    for event_id, event in sides.portal.items():
        google_id = sides.links.get(event_id)
        if google_id not in sides.google:
            found.append(
                Problem(
                    f"portal #{event_id} {portal_value(event)} is not live on Google", {event_id}
                )
            )
            continue
        mirrored.add(google_id)
        text = sides.text(event.origin)
        here, there = (
            only(portal_value(event), text),
            only(google_value(sides.google[google_id]), text),
        )
        if here != there:
            found.append(
                Problem(f"#{event_id} differs: portal {here} vs Google {there}", {event_id})
            )
    for google_id, item in sides.google.items():
        if google_id not in mirrored:
            found.append(
                Problem(
                    f"Google {google_id} {google_value(item)} is not live in the portal",
                    {sides.by_google.get(google_id)},
                )
            )
    return found


def _series_problems(sides: Sides) -> list[Problem]:
    found = []
    mirrored = set()
    for event_id, master in sides.portal_series.items():
        google_id = sides.links.get(event_id)
        if google_id not in sides.google_series:
            found.append(
                Problem(
                    f"portal series #{event_id} {portal_value(master)} {master.recurrence} "
                    "is not live on Google",
                    {event_id},
                )
            )
            continue
        mirrored.add(google_id)
        found += _occurrence_problems(
            event_id,
            f"series #{event_id} ({google_id})",
            sides.shown_here.get(event_id, []),
            sides.shown_there.get(google_id, []),
            sides,
        )
    for google_id, item in sides.google_series.items():
        if google_id not in mirrored:
            found.append(
                Problem(
                    f"Google series {google_id} {google_value(item)} {item['recurrence']} "
                    "is not live in the portal",
                    {sides.by_google.get(google_id)},
                )
            )
    return found


def _occurrence_problems(
    master_id: int, name: str, here: list[Shown], there: list[Shown], sides: Sides
) -> list[Problem]:
    """The two sides' occurrences of one series, paired by original start."""
    portal = _by_original(here)
    google = _by_original(there)
    found = []
    for original in sorted(set(portal) | set(google)):
        mine, theirs = portal.get(original, []), google.get(original, [])
        about = {master_id, *sides.exception_ids(master_id, original)}
        if len(mine) != 1 or len(theirs) != 1:
            text = (
                f"{name} occurrence {original}: portal shows {_shown(mine)}, "
                f"Google shows {_shown(theirs)}"
            )
            found.append(Problem(text, about))
            continue
        text = sides.text(mine[0].origin)
        if _compared(mine[0], text) != _compared(theirs[0], text):
            text = (
                f"{name} occurrence {original} differs: portal {_shown(mine)} "
                f"vs Google {_shown(theirs)}"
            )
            found.append(Problem(text, about))
    if len(found) > MAX_PER_SERIES:
        rest = frozenset().union(*(p.about for p in found[MAX_PER_SERIES:]))
        found = [
            *found[:MAX_PER_SERIES],
            Problem(f"{name}: {len(found) - MAX_PER_SERIES} more", rest),
        ]
    return found


def _key_of(exception: Event) -> str | None:
    original = original_of(exception)
    return occurrence_key(original) if original is not None else None


def _by_original(shown: list[Shown]) -> dict[str, list[Shown]]:
    paired: dict[str, list[Shown]] = defaultdict(list)
    for item in shown:
        paired[item.original or "?"].append(item)
    return paired


def _compared(shown: Shown, text: frozenset[str]) -> tuple:
    values = {"title": shown.title, "location": shown.location, "notes": shown.notes}
    return (shown.start, shown.end, *(values[n] if n in text else None for n in TEXT_FIELDS))


def _shown(items: list[Shown]) -> str:
    if not items:
        return "nothing"
    return " + ".join(f"“{s.title}” {s.start}–{s.end}" for s in items)


def _duplicates(sides: Sides) -> list[Problem]:
    """The same event twice on one side: by title (the driver makes every title unique), and
    on Google also by the portal id a pushed copy carries."""
    portal = [*sides.portal.values(), *sides.portal_series.values()]
    titles = Counter(e.title for e in portal)
    found = [f"portal has {n} live “{t}”" for t, n in titles.items() if n > 1]
    google = [*sides.google.values(), *sides.google_series.values()]
    # "Busy only" gives every portal appointment the same title there.
    titles = Counter(i.get("summary") for i in google if i.get("summary") != BUSY_TITLE)
    found += [f"Google has {n} live “{t}”" for t, n in titles.items() if n > 1]
    copies = Counter(portal_id_of(i) for i in google if portal_id_of(i) is not None)
    return found + [
        f"Google has {n} live copies of portal #{p}" for p, n in copies.items() if n > 1
    ]


def _pulled_back(sides: Sides, portal_texts: dict[str, set[str]] | None) -> list[Problem]:
    """Texts of the portal's own events that Google never got must still be the portal's."""
    if portal_texts is None:
        return []
    kept_back = [name for name in TEXT_FIELDS if name not in LEVEL_TEXT[sides.level]]
    found = []
    for event in sides.portal_rows:
        if event.origin != "portal":
            continue
        for name in kept_back:
            value = getattr(event, name) or ""
            if value not in portal_texts[name] | {""}:
                text = (
                    f"#{event.id} {name} {value!r} came from Google, which never had it "
                    f"(privacy level {sides.level})"
                )
                found.append(Problem(text, {event.id}))
    return found


def _expectations(item: Tracked, sides: Sides) -> list[Problem]:
    portal_id = item.portal_id or sides.by_google.get(item.google_id)
    google_id = item.google_id or sides.links.get(item.portal_id)
    here = sides.portal_series if item.series else sides.portal
    there = sides.google_series if item.series else sides.google
    live_here, live_there = portal_id in here, google_id in there
    about = {portal_id}
    if item.deleted_on:
        if live_here or live_there:
            text = f"{item.key} was deleted in {item.deleted_on} but is live again (resurrected)"
            return [Problem(text, about)]
        return []
    if not (live_here and live_there):
        side = "the portal" if not live_here else "Google"
        return [Problem(f"{item.key} was never deleted but is missing from {side} (lost)", about)]
    event = here[portal_id]
    if item.kind is not None:
        return kind_expectations(item, event, there[google_id])
    # A field only one side changed since the two last agreed keeps that side's value, so
    # each field (not the event as a whole) ends as one side last wrote it.
    text = sides.text(event.origin)
    written = {only(value, text) for value in item.written()}
    return fields_written(item.key, only(portal_value(event), text), written, about)


def _cancellation(cancelled: Cancelled, sides: Sides) -> list[Problem]:
    """An occurrence cancelled on one side is shown on neither (unless its series is gone)."""
    item = cancelled.series
    portal_id = item.portal_id or sides.by_google.get(item.google_id)
    google_id = item.google_id or sides.links.get(item.portal_id)
    found = []
    for side, shown in (
        ("the portal", sides.shown_here.get(portal_id, [])),
        ("Google", sides.shown_there.get(google_id, [])),
    ):
        if any(s.original == cancelled.original for s in shown):
            text = (
                f"{item.key} occurrence {cancelled.original} was cancelled in {cancelled.side} "
                f"but {side} shows it again"
            )
            about = {portal_id, *sides.exception_ids(portal_id, cancelled.original)}
            found.append(Problem(text, about))
    return found
