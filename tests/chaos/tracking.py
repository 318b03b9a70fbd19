"""What the driver remembers of its own operations, for the checker to hold the end state to."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.chaos.values import Value
from tests.chaos.world import Account


@dataclass
class Tracked:
    """One event or series the driver made, however it is known on each side."""

    key: str
    portal_id: int | None = None
    google_id: str | None = None
    portal_value: Value | None = None
    google_value: Value | None = None
    deleted_on: str | None = None
    series: bool = False
    account: Account | None = None  # None: the world's only account
    # What kind of Google event it is, in the portal's words (None: an ordinary event).
    kind: str | None = None
    # An invitation's title and time as its organiser last set them.
    organiser: Value | None = None
    # An invitation's answers: the first one and every one the coordinator gave, either side.
    answers: set[str] = field(default_factory=set)

    def written(self) -> set[Value]:
        """The last values the driver wrote, on either side."""
        return {v for v in (self.portal_value, self.google_value) if v is not None}


@dataclass
class Cancelled:
    """One occurrence the driver cancelled ("this event", deleted) on one side."""

    series: Tracked
    original: str  # occurrence_key of its original start
    side: str


@dataclass
class Expectations:
    """What the driver did that the final state must honour."""

    tracked: list[Tracked] = field(default_factory=list)
    cancelled: list[Cancelled] = field(default_factory=list)
    # Every title, location and notes text the portal wrote (None: not recorded, skip).
    portal_texts: dict[str, set[str]] | None = None
