"""The event form: what the coordinator types, checked and turned into EventData."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.calendar.description import description_text
from portal.calendar.operations import EventData
from portal.calendar.recurrence import Repeat
from portal.calendar.rules import (
    MAX_COUNT,
    WEEKDAYS,
    build_rule,
    is_last_of_its_kind,
    parse_rule,
    with_exclusions,
)
from portal.calendar.timeutil import NonexistentLocalTime, to_local, to_utc
from portal.core.forms import PortalForm, within_years
from portal.core.timezones import is_valid_zone
from portal.models import EVENT_STATUSES, EVENT_TYPES, Event, Participant

# The browser sends "YYYY-MM-DDTHH:MM"; the first format is also how values are rendered.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
INTERNAL_NOTES_LABEL = "Internal notes (stay in Coordinoter, never sent to Google)"
TEXT_LIMIT = 10_000
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# What a change to one occurrence of a series applies to, as Google Calendar asks it.
SCOPES = [("this", "This event"), ("following", "This and following events"), ("all", "All events")]
WEEKLY = ("weekly", "fortnightly")
FREQUENCIES = {
    "none": "Does not repeat",
    "daily": "Every day",
    "weekly": "Every week, on the chosen days",
    "fortnightly": "Every fortnight, on the chosen days",
    "monthly_date": "Every month, on the same date (e.g. the 14th)",
    "monthly_weekday": "Every month, on the same weekday (e.g. the second Tuesday)",
    "monthly_last": "Every month, on the last such weekday (e.g. the last Friday)",
}
# A rule the form cannot show (typically written in Google): offered only as "keep it".
CUSTOM = "custom"
ENDINGS = {"never": "Never", "until": "On a date", "count": "After a number of times"}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _drop_nul(value: str | None) -> str | None:
    """NUL characters are never meant, and PostgreSQL refuses them in text columns."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def participant_choices(participants: list[Participant]) -> list[tuple[str, str]]:
    """The participant select's choices: none, or one of the business's participants."""
    return [("", "No participant")] + [(str(p.id), p.name) for p in participants]


def check_participant(field) -> None:
    """Only a participant of this business (or none); the message says so in words."""
    if field.data not in {value for value, _label in field.choices}:
        raise ValidationError("Choose one of your practice's participants.")


class EventForm(PortalForm):
    """Create or edit one event; start and end are wall-clock times in the chosen zone."""

    title = StringField(
        "Title",
        filters=[_drop_nul, _strip],
        validators=[DataRequired("Give the event a title."), Length(max=200)],
    )
    event_type = SelectField("Type", choices=list(EVENT_TYPES.items()), default="visit")
    # Choices are this business's participants, set per request; the check is ours so an
    # unknown or foreign id gets a clear message instead of "Not a valid choice".
    participant_id = SelectField("Participant", choices=[], validate_choice=False, default="")
    all_day = BooleanField("All day")
    start = DateTimeLocalField(
        "Starts", format=LOCAL_FORMATS, validators=[Optional(), within_years]
    )
    end = DateTimeLocalField("Ends", format=LOCAL_FORMATS, validators=[Optional(), within_years])
    start_date = DateField("First day", validators=[Optional(), within_years])
    end_date = DateField("Last day", validators=[Optional(), within_years])
    time_zone = StringField(
        "Time zone", filters=[_drop_nul, _strip], validators=[DataRequired("Choose a time zone.")]
    )
    location = StringField("Location", filters=[_drop_nul, _strip], validators=[Length(max=500)])
    notes = TextAreaField("Notes", filters=[_drop_nul], validators=[Length(max=TEXT_LIMIT)])
    internal_notes = TextAreaField(
        INTERNAL_NOTES_LABEL, filters=[_drop_nul], validators=[Length(max=TEXT_LIMIT)]
    )
    status = SelectField("Status", choices=list(EVENT_STATUSES.items()), default="scheduled")
    cancel_reason = StringField(
        "Reason for cancelling", filters=[_drop_nul, _strip], validators=[Length(max=500)]
    )
    repeat = SelectField("Repeat", choices=list(FREQUENCIES.items()), default="none")
    weekdays = SelectMultipleField(
        "On",
        choices=[(code, name[:3]) for code, name in zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    # "1" while the ticked day is only the start's own (not picked by hand): it then follows
    # the start date. static/js/portal.js clears it when a day is ticked by hand.
    weekdays_auto = HiddenField(default="")
    ends = RadioField("Ends", choices=list(ENDINGS.items()), default="never")
    until = DateField("Last day of the series", validators=[Optional(), within_years])
    count = IntegerField(
        "Number of times",
        validators=[
            Optional(),
            NumberRange(1, MAX_COUNT, f"Choose between 1 and {MAX_COUNT} times."),
        ],
    )
    scope = RadioField("Apply to", choices=SCOPES, default="this")

    def __init__(
        self,
        participants: list[Participant],
        *args,
        custom_rule: str | None = None,
        scoped: bool = False,
        **kwargs,
    ) -> None:
        """custom_rule: a series' rule the form cannot show, offered as "keep it".
        scoped: the form edits one occurrence of a series, so it asks what the change applies to.
        """
        super().__init__(*args, **kwargs)
        self.participant_id.choices = participant_choices(participants)
        if custom_rule:
            shown = custom_rule if len(custom_rule) <= 80 else custom_rule[:79] + "…"
            self.repeat.choices = [*self.repeat.choices, (CUSTOM, f"Keep its rule: {shown}")]
        self.scoped = scoped
        self._start_at: datetime | None = None
        self._end_at: datetime | None = None

    def validate_participant_id(self, field) -> None:
        """Only a participant of this business (or none)."""
        check_participant(field)

    def validate_time_zone(self, field) -> None:
        """An IANA zone this machine knows."""
        if not is_valid_zone(field.data):
            raise ValidationError(
                "Unknown time zone. Choose one from the list, or type a region and city "
                "such as Australia/Perth."
            )

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the checks that need several fields together."""
        super().validate(extra_validators)
        # The inputs for the other mode stay in the page (hidden), so their values are
        # ignored rather than reported.
        unused = [self.start, self.end] if self.all_day.data else [self.start_date, self.end_date]
        if self.status.data != "cancelled":
            unused.append(self.cancel_reason)
        unused += self._unused_repeat_fields()
        for field in unused:
            field.errors = []
        if self.all_day.data:
            self._check_dates()
        else:
            self._check_times()
        if self.status.data == "cancelled" and not self.cancel_reason.data:
            self.cancel_reason.errors.append("Say why it was cancelled.")
        if self.repeat not in unused and self.repeat.data not in ("none", CUSTOM):
            self._follow_start_weekday()
            self._check_repeat()
        return not self.errors

    def _unused_repeat_fields(self) -> list:
        """The series inputs this submission does not use (they stay in the page, hidden)."""
        unused = [] if self.scoped else [self.scope]
        details = [self.weekdays, self.ends, self.until, self.count]
        if self.scoped and self.scope.data == "this":
            # One occurrence is being changed: the series' rule is not.
            return [*unused, self.repeat, *details]
        if self.repeat.data in ("none", CUSTOM):
            return [*unused, *details]
        if self.repeat.data not in WEEKLY:
            unused.append(self.weekdays)
        if self.ends.data != "until":
            unused.append(self.until)
        if self.ends.data != "count":
            unused.append(self.count)
        return unused

    def _check_repeat(self) -> None:
        first = self._first_day()
        if self.ends.data == "until" and self.until.data is None and not self.until.errors:
            self.until.errors.append("Enter the last day of the series.")
        if self.ends.data == "count" and self.count.data is None and not self.count.errors:
            self.count.errors.append("Enter how many times it happens.")
        if first is None:
            return
        if self.ends.data == "until" and self.until.data and self.until.data < first:
            self.until.errors.append("The series cannot end before its first day.")
        if self.scoped and self.scope.data == "all":
            # The series keeps its own first day (moved as the occurrence was), not this
            # occurrence's: the operation checks the rule against that day.
            return
        chosen = {WEEKDAYS.index(code) for code in self.weekdays.data or [] if code in WEEKDAYS}
        if self.repeat.data in WEEKLY and chosen and first.weekday() not in chosen:
            day = WEEKDAY_NAMES[first.weekday()]
            self.weekdays.errors.append(
                f"The first day is a {day}: tick {day} too, or move the start to a chosen day."
            )
        if self.repeat.data == "monthly_last" and not is_last_of_its_kind(first):
            day = WEEKDAY_NAMES[first.weekday()]
            self.repeat.errors.append(
                f"The first day is not the last {day} of its month: choose another repeat, "
                "or move the start."
            )

    def _follow_start_weekday(self) -> None:
        """A day nobody picked by hand moves with the start date (the form opened on another)."""
        first = self._first_day()
        if self.weekdays_auto.data != "1" or self.repeat.data not in WEEKLY or first is None:
            return
        if len(self.weekdays.data or []) <= 1:
            self.weekdays.data = [WEEKDAYS[first.weekday()]]

    def _first_day(self) -> date | None:
        """The first day as entered (in the event's zone), if it could be read."""
        field = self.start_date if self.all_day.data else self.start
        if field.errors or field.data is None:
            return None
        return field.data if self.all_day.data else field.data.date()

    def _check_dates(self) -> None:
        for field in (self.start_date, self.end_date):
            if field.data is None and not field.errors:
                field.errors.append("Enter a date.")
        if self.start_date.errors or self.end_date.errors:
            return
        if self.end_date.data < self.start_date.data:
            self.end_date.errors.append("The last day cannot be before the first day.")

    def _check_times(self) -> None:
        for field in (self.start, self.end):
            if field.data is None and not field.errors:
                field.errors.append("Enter a date and time.")
        if self.start.errors or self.end.errors or self.time_zone.errors:
            return
        try:
            self._start_at = to_utc(self.start.data, self.time_zone.data)
        except NonexistentLocalTime as error:
            self.start.errors.append(str(error))
        try:
            self._end_at = to_utc(self.end.data, self.time_zone.data)
        except NonexistentLocalTime as error:
            self.end.errors.append(str(error))
        if self._start_at and self._end_at and self._end_at <= self._start_at:
            self.end.errors.append("The end must be after the start.")

    def to_data(self) -> EventData:
        """The validated form as EventData (UTC instants, or dates with an exclusive end)."""
        all_day = bool(self.all_day.data)
        cancelled = self.status.data == "cancelled"
        return EventData(
            title=self.title.data,
            event_type=self.event_type.data,
            time_zone=self.time_zone.data,
            all_day=all_day,
            start_at=None if all_day else self._start_at,
            end_at=None if all_day else self._end_at,
            start_date=self.start_date.data if all_day else None,
            # The form's last day is inclusive; the model's end date is exclusive.
            end_date=self.end_date.data + timedelta(days=1) if all_day else None,
            participant_id=int(self.participant_id.data) if self.participant_id.data else None,
            location=self.location.data or "",
            notes=self.notes.data or "",
            internal_notes=self.internal_notes.data or "",
            status=self.status.data,
            cancel_reason=(self.cancel_reason.data or "") if cancelled else "",
        )

    def recurrence(self, previous: str | None = None) -> str | None:
        """The validated series rule as stored (RRULE lines), or None for a single event.

        previous: the rule of the series being edited, kept for "custom" and whose EXDATE
        lines carry over.
        """
        if self.repeat.data == CUSTOM:
            return previous
        repeat = Repeat(
            frequency=self.repeat.data,
            # Codes that are not weekdays only reach here when the rule is not weekly.
            weekdays=tuple(WEEKDAYS.index(c) for c in self.weekdays.data or [] if c in WEEKDAYS),
            ends=self.ends.data,
            until=self.until.data if self.ends.data == "until" else None,
            count=self.count.data if self.ends.data == "count" else None,
        )
        first = self._first_day()
        rule = build_rule(repeat, first, bool(self.all_day.data), self.time_zone.data)
        return with_exclusions(rule, previous)


def initial_for_new(start: datetime, zone_name: str, all_day: bool = False) -> dict:
    """Form values for a new event starting at a wall-clock time (an hour long)."""
    return {
        "all_day": all_day,
        "start": start,
        "end": start + timedelta(hours=1),
        "start_date": start.date(),
        "end_date": start.date(),
        "time_zone": zone_name,
        # Should the coordinator choose a weekly repeat, the start's own weekday is ticked,
        # and follows the start until a day is picked by hand.
        "weekdays": [WEEKDAYS[start.weekday()]],
        "weekdays_auto": "1",
    }


def initial_for_event(event: Event, series: Event | None = None) -> dict:
    """Form values showing an event as its coordinator entered it, in its own zone.

    series: the master whose rule the form shows, when event is one of its occurrences.
    """
    values = {
        "title": event.title,
        "event_type": event.event_type,
        "participant_id": str(event.participant_id or ""),
        "all_day": event.all_day,
        "time_zone": event.time_zone,
        "location": event.location,
        # Google's HTML descriptions are edited as the text they show (see keep_description).
        "notes": description_text(event.notes),
        "internal_notes": event.internal_notes,
        "status": event.status,
        "cancel_reason": event.cancel_reason,
    }
    if event.all_day:
        first, last = event.start_date, event.end_date - timedelta(days=1)
        nine = datetime.combine(first, datetime.min.time()).replace(hour=9)
        values.update(start=nine, end=nine + timedelta(hours=1))
    else:
        # A zone Google sent that this machine does not know is shown in UTC, and the
        # form then asks for a valid one.
        zone_name = event.time_zone if is_valid_zone(event.time_zone) else "UTC"
        start = to_local(event.start_at, zone_name).replace(tzinfo=None)
        end = to_local(event.end_at, zone_name).replace(tzinfo=None)
        # An event ending at midnight ends on the previous day as far as people are concerned.
        first, last = start.date(), max(start.date(), (end - timedelta(microseconds=1)).date())
        values.update(start=start, end=end)
    values.update(start_date=first, end_date=last)
    return {**values, **_repeat_values(series or event, first)}


def _repeat_values(master: Event, first: date) -> dict:
    """The series inputs for a master's rule ("custom" if the form cannot show it)."""
    repeat = parse_rule(master)
    own_day = [WEEKDAYS[first.weekday()]]
    if repeat is None:
        return {"repeat": CUSTOM, "weekdays": own_day, "weekdays_auto": "1"}
    weekdays = [WEEKDAYS[day] for day in repeat.weekdays or (first.weekday(),)]
    return {
        "repeat": repeat.frequency,
        "weekdays": weekdays,
        # Only the first day's own weekday: it follows a new start date.
        "weekdays_auto": "1" if weekdays == own_day else "",
        "ends": repeat.ends,
        "until": repeat.until,
        "count": repeat.count,
    }
