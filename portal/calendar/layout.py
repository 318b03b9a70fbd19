"""Laying out a view of days (a week, three days or one day): which event shows on which day,
where in the hour grid, and in what order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property

from portal.calendar.recurrence import Occurrence
from portal.calendar.timeutil import (
    MAX_YEAR,
    MIN_YEAR,
    format_day,
    format_hour,
    to_local,
)
from portal.core.timezones import AUSTRALIAN_ZONES, format_time, is_valid_zone
from portal.models import Event

DAY_MINUTES = 24 * 60
# The shortest block drawn, so a five-minute call is still readable and clickable.
MIN_BLOCK_MINUTES = 20
# Shorter blocks are drawn on one line, start time first, so the title and start always show.
SHORT_BLOCK_MINUTES = 40
# The grid opens here, or earlier when the view's first appointment starts earlier.
WORKING_DAY_START = 7
ZONE_LABELS = dict(AUSTRALIAN_ZONES)
# The views of the calendar and how many days each shows, with the words for its span.
VIEWS = {"week": 7, "3day": 3, "day": 1}
SPAN_WORDS = {"week": "week", "3day": "three days", "day": "day"}
# The same span as the agenda's heading says it ("This week") and the switch between views.
SPAN_PHRASES = {"week": "this week", "3day": "these three days", "day": "this day"}
VIEW_LABELS = (("day", "Day"), ("3day", "3 days"), ("week", "Week"))
# What the week draws: single events, and occurrences of series (which read like events).
Shown = Event | Occurrence


@dataclass
class Block:
    """The part of a timed event that falls on one day of the grid."""

    event: Shown
    start_minute: float
    end_minute: float
    label: str
    # The start as the card's short form shows it; continued: the event began on an earlier day.
    start_label: str = ""
    continued: bool = False
    column: int = 0
    columns: int = 1

    @property
    def is_short(self) -> bool:
        """Too short for a second line: drawn as one, start time first."""
        return self.end_minute - self.start_minute < SHORT_BLOCK_MINUTES

    @property
    def top(self) -> float:
        """Distance from midnight, in percent of the day."""
        return round(self.start_minute / DAY_MINUTES * 100, 3)

    @property
    def height(self) -> float:
        """Length, in percent of the day."""
        return round((self.end_minute - self.start_minute) / DAY_MINUTES * 100, 3)

    @property
    def left(self) -> float:
        """Offset within the day column when events overlap, in percent."""
        return round(self.column / self.columns * 100, 3)

    @property
    def width(self) -> float:
        """Share of the day column when events overlap, in percent."""
        return round(100 / self.columns, 3)

    @property
    def style(self) -> str:
        """Its place in the day column, as the custom properties calendar.css reads."""
        return (
            f"--top: {self.top}; --height: {self.height}; "
            f"--left: {self.left}; --width: {self.width};"
        )


@dataclass
class Day:
    """One column of the week."""

    date: date
    is_today: bool
    all_day: list[Shown] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    # Time labels of the timed events shown in the all-day row (a working location's hours).
    note_labels: dict[int, str] = field(default_factory=dict)

    @cached_property
    def heading(self) -> str:
        """Monday 5 October."""
        return f"{self.date:%A} {self.date.day} {self.date:%B}"

    @property
    def agenda(self) -> list[tuple[str, Shown]]:
        """The day's events in order, each with its time label: all-day first."""
        items = [
            (self.note_labels.get(id(event)) or _all_day_label(event, self.date), event)
            for event in self.all_day
        ]
        ordered = sorted(self.blocks, key=lambda b: (b.start_minute, b.end_minute, b.event.id))
        return items + [(block.label, block.event) for block in ordered]


@dataclass
class Week:
    """The days of one view (seven from a Monday, three, or one), as seen from one time zone."""

    first: date
    zone_name: str
    days: list[Day]
    view: str = "week"
    today: date | None = None

    @property
    def anchor(self) -> date:
        """The day another view opens on: today when it is shown here, else the first day."""
        return next((day.date for day in self.days if day.is_today), self.first)

    @property
    def span(self) -> int:
        """How many days the view shows."""
        return len(self.days)

    @property
    def previous(self) -> date:
        """The first day of the view before (a week, three days or a day back)."""
        return self.first - timedelta(days=self.span)

    @property
    def next(self) -> date:
        """The first day of the view after."""
        return self.first + timedelta(days=self.span)

    @property
    def span_words(self) -> str:
        """What one step of the view is called: "week", "three days", "day"."""
        return SPAN_WORDS[self.view]

    @property
    def span_phrase(self) -> str:
        """The days shown, in a sentence: "this week", "these three days", "this day"."""
        return SPAN_PHRASES[self.view]

    @property
    def views(self) -> tuple[tuple[str, str], ...]:
        """The views one can switch to, each with its label."""
        return VIEW_LABELS

    @property
    def title(self) -> str:
        """5 – 11 October 2026; 28 September – 4 October 2026; across a new year, both years.

        A single day reads in full: Wednesday 7 October 2026.
        """
        first, last = self.first, self.first + timedelta(days=self.span - 1)
        if first == last:
            return format_day(first)
        if first.year != last.year:
            return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"
        if first.month != last.month:
            return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
        return f"{first.day} – {last.day} {last:%B %Y}"

    @property
    def zone_label(self) -> str:
        """The viewer's zone in words, without inventing abbreviations like AEST."""
        return ZONE_LABELS.get(self.zone_name, self.zone_name)

    @cached_property
    def hours(self) -> list[tuple[int, str]]:
        """The grid's rows: each hour with its label."""
        return [(hour, format_hour(hour)) for hour in range(24)]

    @property
    def is_empty(self) -> bool:
        """Whether nothing is on in these days."""
        return not any(day.all_day or day.blocks for day in self.days)

    @property
    def scroll_hour(self) -> int:
        """The hour the grid opens at: the working day's start, or the first appointment's hour.

        Pieces of events that began on an earlier day (an overnight stay, busy time across
        days) do not count: they would open every such day at midnight.
        """
        starts = [b.start_minute for day in self.days for b in day.blocks if not b.continued]
        earliest = int(min(starts) // 60) if starts else WORKING_DAY_START
        return min(earliest, WORKING_DAY_START)


@dataclass(frozen=True)
class Span:
    """Which view was asked for and the days it covers."""

    view: str
    first: date
    days: int


def monday_of(value: str | None, today: date) -> date:
    """The Monday of the week containing an ISO date; this week for missing or bad input."""
    day = requested_day(value, today)
    return day - timedelta(days=day.weekday())


def requested_day(value: str | None, today: date) -> date:
    """An ISO date within the years the calendar shows; today for missing or bad input."""
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return day if MIN_YEAR <= day.year <= MAX_YEAR else today


def view_span(view: str | None, value: str | None, today: date) -> Span:
    """The view asked for (the week for a missing or unknown one) and its days.

    A week starts on the Monday of the date; three days and a day start on the date itself.
    """
    name = view if view in VIEWS else "week"
    day = requested_day(value, today)
    first = day - timedelta(days=day.weekday()) if name == "week" else day
    return Span(name, first, VIEWS[name])


def build_week(
    events: list[Shown],
    monday: date,
    zone_name: str,
    today: date,
    span: int = 7,
    view: str = "week",
) -> Week:
    """Place each event (or occurrence) on every day from monday (span days) it covers."""
    days = [
        Day(monday + timedelta(days=i), monday + timedelta(days=i) == today) for i in range(span)
    ]
    for event in events:
        if event.all_day:
            for day in days:
                if event.start_date <= day.date < event.end_date:
                    day.all_day.append(event)
            continue
        start = to_local(event.start_at, zone_name).replace(tzinfo=None)
        end = to_local(event.end_at, zone_name).replace(tzinfo=None)
        label = _time_label(event, start, end, zone_name)
        if event.google_kind == "working_location":
            # Where the coordinator works is a note on the day, not a block of appointments.
            _note_on_days(days, event, start, end, label)
            continue
        # Only the days from its start to its end can hold a piece of it.
        first = max((start.date() - monday).days, 0)
        last = min((end.date() - monday).days, span - 1)
        for day in days[first : last + 1] if first <= last else ():
            block = _block_on(day.date, event, start, end, label)
            if block is not None:
                day.blocks.append(block)
    for day in days:
        # Single events and occurrences of series arrive separately; the chips go by date.
        day.all_day.sort(key=lambda event: (event.start_date or monday, event.id))
        _arrange_side_by_side(day.blocks)
    return Week(monday, zone_name, days, view, today)


def _note_on_days(days: list[Day], event: Shown, start: datetime, end: datetime, label: str):
    """A timed event shown in the all-day row of each day it touches."""
    last = max(start, end - timedelta(microseconds=1)).date()
    for day in days:
        if start.date() <= day.date <= last:
            day.all_day.append(event)
            day.note_labels[id(event)] = label


def _block_on(day: date, event: Shown, start: datetime, end: datetime, label: str) -> Block | None:
    """The piece of [start, end) (wall-clock times) that falls on day, if any."""
    midnight = datetime.combine(day, time())
    piece_start, piece_end = max(start, midnight), min(end, midnight + timedelta(days=1))
    zero_length_here = start == end and start.date() == day
    if piece_start >= piece_end and not zero_length_here:
        return None
    first = (piece_start - midnight).total_seconds() / 60
    last = max((piece_end - midnight).total_seconds() / 60, first + MIN_BLOCK_MINUTES)
    if last > DAY_MINUTES:
        first, last = DAY_MINUTES - (last - first), DAY_MINUTES
    continued = start < midnight
    start_label = f"{start:%a} {format_time(start)}" if continued else format_time(start)
    return Block(event, first, last, label, start_label, continued)


def _time_label(event: Shown, start: datetime, end: datetime, zone_name: str) -> str:
    ends_at_midnight = end == datetime.combine(start.date() + timedelta(days=1), time())
    if start.date() == end.date() or ends_at_midnight:
        label = f"{format_time(start)} – {format_time(end)}"
    else:
        label = f"{start:%a} {format_time(start)} – {end:%a} {format_time(end)}"
    # Say what the time is where the appointment happens, by place name, never an abbreviation.
    # (A zone this machine does not know, perhaps from Google, is simply not mentioned.)
    if event.time_zone != zone_name and is_valid_zone(event.time_zone):
        there = to_local(event.start_at, event.time_zone)
        label += f" ({format_time(there)} {_place(event.time_zone)} time)"
    return label


def _all_day_label(event: Shown, day: date) -> str:
    total = (event.end_date - event.start_date).days
    if total == 1:
        return "All day"
    return f"All day (day {(day - event.start_date).days + 1} of {total})"


def _place(zone_name: str) -> str:
    return zone_name.rsplit("/", 1)[-1].replace("_", " ")


def _arrange_side_by_side(blocks: list[Block]) -> None:
    """Give overlapping blocks their own columns, like paper diaries do."""
    blocks.sort(key=lambda b: (b.start_minute, -b.end_minute, b.event.id))
    group: list[Block] = []
    column_ends: list[float] = []
    group_end = 0.0
    for block in blocks:
        if group and block.start_minute >= group_end:
            _share_width(group, len(column_ends))
            group, column_ends, group_end = [], [], 0.0
        for index, column_end in enumerate(column_ends):
            if column_end <= block.start_minute:
                block.column, column_ends[index] = index, block.end_minute
                break
        else:
            block.column = len(column_ends)
            column_ends.append(block.end_minute)
        group.append(block)
        group_end = max(group_end, block.end_minute)
    _share_width(group, len(column_ends))


def _share_width(group: list[Block], columns: int) -> None:
    for block in group:
        block.columns = columns
