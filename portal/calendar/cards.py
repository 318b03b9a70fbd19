"""What the week shows of one event or occurrence, read from it once.

A busy week shows every event twice (grid and agenda), and a long one on several days. The
template used to read each field through SQLAlchemy's attributes (and an occurrence's
read-through to its event) at every place it showed it; a card reads them once per event.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from portal.calendar.layout import Shown
from portal.calendar.week_links import WeekLinks
from portal.google.sync import kinds
from portal.models import EVENT_STATUSES, EVENT_TYPES

# Statuses shown in red; any other status but "scheduled" is shown in green.
BAD_STATUSES = ("cancelled", "no_show")


@dataclass(frozen=True, slots=True)
class Card:
    """One event as the week draws it: the grid block or chip, and its agenda line."""

    id: int
    classes: str
    edit: str
    title: Markup
    who: str
    location: str
    kind: str
    status: str
    tone: str
    # Where it came from when Google made it: "Invitation", "Out of office" ... ("" if not).
    google: str = ""
    # An ordinary event from the coordinator's Google calendar: not one the portal booked.
    from_google: bool = False
    answer: str = ""
    join: str = ""
    join_label: str = ""


class Cards:
    """The cards of one week view, each made the first time it is asked for."""

    def __init__(self, links: WeekLinks) -> None:
        self._links = links
        # Keyed by identity: the week being drawn holds every item, so no id is reused meanwhile.
        self._made: dict[int, Card] = {}

    def of(self, item: Shown) -> Card:
        """The card of an event or occurrence."""
        card = self._made.get(id(item))
        if card is None:
            card = self._made[id(item)] = self._make(item)
        return card

    def _make(self, item: Shown) -> Card:
        status, kind = item.status, item.event_type
        participant = item.participant
        classes = f"type-{kind} is-cancelled" if status == "cancelled" else f"type-{kind}"
        if item.google_kind:
            classes += f" google-{item.google_kind.replace('_', '-')}"
        details = item.google_details or {}
        conference = details.get("conference") or {}
        google = kinds.label(item) or ("From Google" if item.origin == "google" else "")
        return Card(
            id=item.id,
            classes=classes,
            edit=self._links.edit(item),
            title=self._links.repeats(item) + item.title,
            who=participant.name if participant is not None else "",
            location=item.location or "",
            # A Google event the coordinator has not given a type says what Google made it.
            kind="" if google and kind == "other" else EVENT_TYPES.get(kind, kind),
            # Scheduled is the usual case, and goes without a badge.
            status="" if status == "scheduled" else EVENT_STATUSES.get(status, status),
            tone="bad" if status in BAD_STATUSES else "ok",
            google=google,
            from_google=item.origin == "google" and not kinds.label(item),
            answer=kinds.RESPONSES.get(item.response_status, "") if kinds.can_answer(item) else "",
            join=conference.get("url", ""),
            join_label=f"Join {conference.get('label') or 'the call'}",
        )
