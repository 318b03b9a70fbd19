"""Recurring series: RRULE/EXRULE/RDATE/EXDATE expansion in the series' own time zone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.rrule import rrule, rruleset, rrulestr

from . import timefmt

MAX_INSTANCES = 20000


class RecurrenceError(ValueError):
    """The recurrence lines cannot be understood."""


@dataclass
class Occurrence:
    """One occurrence of a series: its original wall-clock start and its real interval."""

    original: datetime
    start: datetime
    end: datetime
    suffix: str
    all_day: bool

    def original_start_time(self, tz_name: str) -> dict[str, str]:
        """The `originalStartTime` Google puts on instances and exceptions."""
        if self.all_day:
            return {"date": self.original.date().isoformat()}
        return {"dateTime": timefmt.render_in_zone(self.start, tz_name), "timeZone": tz_name}


class Series:
    """A recurring event's schedule.

    Expansion runs on naive wall-clock times in the series' zone and localizes each
    occurrence afterwards, so a 09:00 meeting stays at 09:00 across a DST change, as in
    Google Calendar.
    """

    def __init__(self, start: dict, end: dict, recurrence: list[str], calendar_tz: str) -> None:
        self.all_day = "date" in start
        if self.all_day:
            self.tz = calendar_tz
            first_day = timefmt.parse_date(start["date"])
            self.first = datetime(first_day.year, first_day.month, first_day.day)
            self.duration = timefmt.parse_date(end["date"]) - first_day
        else:
            tz = start.get("timeZone")
            if not tz:
                raise RecurrenceError("Missing time zone definition for start time.")
            self.tz = tz
            self.first = timefmt.to_wall(timefmt.parse_rfc3339(start["dateTime"]), tz)
            end_wall = timefmt.to_wall(timefmt.parse_rfc3339(end["dateTime"]), tz)
            self.duration = end_wall - self.first
        self.rset = self._build(recurrence)

    def _build(self, lines: list[str]) -> rruleset:
        rset = rruleset()
        has_rule = False
        for raw in lines:
            if not isinstance(raw, str) or ":" not in raw:
                raise RecurrenceError(f"bad recurrence line {raw!r}")
            head, _, value = raw.strip().partition(":")
            parts = head.split(";")
            name = parts[0].upper()
            params = {}
            for p in parts[1:]:
                key, _, val = p.partition("=")
                params[key.upper()] = val
            try:
                if name in ("RRULE", "EXRULE"):
                    rule = self._rule(value)
                    if name == "RRULE":
                        rset.rrule(rule)
                        has_rule = True
                    else:
                        rset.exrule(rule)
                elif name in ("RDATE", "EXDATE"):
                    for moment in self._dates(value, params):
                        if name == "RDATE":
                            rset.rdate(moment)
                            has_rule = True
                        else:
                            rset.exdate(moment)
                else:
                    raise RecurrenceError(f"unsupported recurrence line {raw!r}")
            except RecurrenceError:
                raise
            except (ValueError, TypeError, KeyError) as exc:
                raise RecurrenceError(str(exc)) from exc
        if not has_rule:
            raise RecurrenceError("no RRULE or RDATE")
        return rset

    def _rule(self, value: str) -> rrule:
        fields = []
        for part in value.split(";"):
            key, _, val = part.partition("=")
            key = key.upper()
            if key == "DTSTART":
                raise RecurrenceError("DTSTART is not allowed in recurrence")
            if key == "UNTIL":
                val = self._until(val)
            fields.append(f"{key}={val}")
        if not any(f.startswith("FREQ=") for f in fields):
            raise RecurrenceError("FREQ missing")
        return rrulestr(";".join(fields), dtstart=self.first)

    def _until(self, val: str) -> str:
        # Google wants UNTIL in UTC for timed series; dateutil wants it in the same
        # (naive, wall-clock) frame as DTSTART, so convert it.
        if val.endswith("Z"):
            utc = datetime.strptime(val, "%Y%m%dT%H%M%SZ").replace(tzinfo=timefmt.UTC)
            return timefmt.to_wall(utc, self.tz).strftime("%Y%m%dT%H%M%S")
        if len(val) == 8 and not self.all_day:
            return val + "T235959"
        return val

    def _dates(self, value: str, params: dict[str, str]) -> list[datetime]:
        out = []
        tzid = params.get("TZID")
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            if len(item) == 8:
                day = datetime.strptime(item, "%Y%m%d")
                out.append(day if self.all_day else datetime.combine(day.date(), self.first.time()))
            elif item.endswith("Z"):
                utc = datetime.strptime(item, "%Y%m%dT%H%M%SZ").replace(tzinfo=timefmt.UTC)
                wall = timefmt.to_wall(utc, self.tz)
                out.append(datetime(wall.year, wall.month, wall.day) if self.all_day else wall)
            else:
                naive = datetime.strptime(item, "%Y%m%dT%H%M%S")
                if tzid and tzid != self.tz:
                    naive = timefmt.to_wall(timefmt.localize(naive, tzid), self.tz)
                out.append(naive)
        return out

    def occurrence(self, wall: datetime) -> Occurrence:
        """The occurrence starting at that wall-clock time."""
        if self.all_day:
            day = wall.date()
            start = timefmt.date_start(day, self.tz)
            end = timefmt.date_start(day + self.duration, self.tz)
            return Occurrence(wall, start, end, day.strftime("%Y%m%d"), True)
        start = timefmt.localize(wall, self.tz)
        end = timefmt.localize(wall + self.duration, self.tz)
        suffix = start.astimezone(timefmt.UTC).strftime("%Y%m%dT%H%M%SZ")
        return Occurrence(wall, start, end, suffix, False)

    def occurrences(
        self,
        window_start: datetime | None,
        window_end: datetime | None,
        limit: int = MAX_INSTANCES,
    ) -> Iterator[Occurrence]:
        """Occurrences overlapping [window_start, window_end) (end > start bound, start < end)."""
        begin = self.first
        if window_start is not None:
            margin = max(self.duration, timedelta(0)) + timefmt.ONE_DAY
            begin = max(begin, timefmt.to_wall(window_start, self.tz) - margin)
        count = 0
        for wall in self.rset.xafter(begin, inc=True):
            if wall.year > 9000:
                break
            occ = self.occurrence(wall)
            if window_end is not None and occ.start >= window_end:
                break
            if window_start is not None and occ.end <= window_start:
                continue
            yield occ
            count += 1
            if count >= limit:
                break

    def find(self, suffix: str) -> Occurrence | None:
        """The occurrence an instance id suffix names, if the series has it."""
        try:
            if self.all_day:
                if len(suffix) != 8:
                    return None
                wall = datetime.strptime(suffix, "%Y%m%d")
            else:
                if len(suffix) != 16:
                    return None
                utc = datetime.strptime(suffix, "%Y%m%dT%H%M%SZ").replace(tzinfo=timefmt.UTC)
                wall = timefmt.to_wall(utc, self.tz)
        except ValueError:
            return None
        second = timedelta(seconds=1)
        if wall in self.rset.between(wall - second, wall + second, inc=True):
            return self.occurrence(wall)
        return None

    def find_original(self, original: dict) -> Occurrence | None:
        """The occurrence an `originalStartTime` names."""
        if "date" in original:
            return self.find(timefmt.parse_date(original["date"]).strftime("%Y%m%d"))
        moment = timefmt.parse_rfc3339(original["dateTime"])
        return self.find(moment.astimezone(timefmt.UTC).strftime("%Y%m%dT%H%M%SZ"))


def original_suffix(original: dict) -> str:
    """The instance id suffix for an `originalStartTime`."""
    if "date" in original:
        return timefmt.parse_date(original["date"]).strftime("%Y%m%d")
    moment = timefmt.parse_rfc3339(original["dateTime"])
    return moment.astimezone(timefmt.UTC).strftime("%Y%m%dT%H%M%SZ")
