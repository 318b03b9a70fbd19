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
        return Card(
            id=item.id,
            classes=f"type-{kind} is-cancelled" if status == "cancelled" else f"type-{kind}",
            edit=self._links.edit(item),
            title=self._links.repeats(item) + item.title,
            who=participant.name if participant is not None else "",
            location=item.location or "",
            kind=EVENT_TYPES.get(kind, kind),
            # Scheduled is the usual case, and goes without a badge.
            status="" if status == "scheduled" else EVENT_STATUSES.get(status, status),
            tone="bad" if status in BAD_STATUSES else "ok",
        )
