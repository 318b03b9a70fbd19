"""Real Google calendars: the coordinator's own Google events keep what they did not change
(free/busy, visibility, Meet links, HTML descriptions, Google's untitled and long titles), and
a conflict that leaves nothing to send writes nothing.

The helpers here drive Google over HTTP through the emulator's control API, as the
coordinator, an organiser or Gmail would change it, and the portal through its own operations
and routes; test_real_privacy, test_real_invitations and test_real_event_types use them too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser

import requests
from sqlalchemy import select

from portal.calendar.operations import EventData, create_event, update_event
from portal.extensions import db
from portal.google.sync.mapping import BUSY_TITLE
from portal.google.worker.enqueue import enqueue_pull, kick
from portal.models import Event, EventLink, GoogleConnection, SyncLog
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import SOON, link_of, pending_outbox, timed
from tests.support.worker import run_jobs

ORGANIZER = {"email": "dr.lee@clinic.example", "displayName": "Dr Lee"}


def control(google, method: str, path: str, body: dict | None = None) -> dict | None:
    """Call the emulator's control API (/_emulator + path); returns its JSON, if any."""
    answer = requests.request(method, f"{google.url}/_emulator{path}", json=body, timeout=10)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def user_adds(google, body: dict) -> dict:
    """The coordinator adds an event in Google Calendar."""
    return control(google, "POST", f"/calendars/{GOOGLE_USER}/events", body)


def user_changes(google, google_id: str, body: dict) -> dict:
    """The coordinator changes an event in Google Calendar (a patch)."""
    return control(google, "PATCH", f"/calendars/{GOOGLE_USER}/events/{google_id}", body)


def invited(google, body: dict, organizer: dict = ORGANIZER) -> dict:
    """Someone else invites the coordinator."""
    return control(
        google, "POST", f"/calendars/{GOOGLE_USER}/invitations", {"organizer": organizer, **body}
    )


def organiser_changes(google, google_id: str, body: dict) -> dict:
    """The organiser changes their event; the coordinator's copy follows."""
    return control(google, "PATCH", f"/calendars/{GOOGLE_USER}/invitations/{google_id}", body)


def google_adds(google, body: dict) -> dict:
    """Gmail or Contacts adds an event to the calendar."""
    return control(google, "POST", f"/calendars/{GOOGLE_USER}/google-events", body)


def google_copy(google, google_id: str) -> dict:
    """Google's copy of an event as events.get shows it."""
    return control(google, "GET", f"/calendars/{GOOGLE_USER}/events/{google_id}")


def patches(google) -> list[dict]:
    """The bodies of every events.patch Google answered (batched or not), oldest first."""
    return [entry["body"] for entry in google.calls("calendar.events.patch")]


def forget_requests(google) -> None:
    """Empty the emulator's request log."""
    control(google, "DELETE", "/requests")


def pull(connection: GoogleConnection) -> None:
    """Run one pull of Google's changes, as a notification would."""
    enqueue_pull(connection.id)
    run_jobs()


def push(user_id: int) -> None:
    """Run the push of the coordinator's pending changes."""
    kick(user_id)
    run_jobs()


def portal_copy(google_id: str) -> Event:
    """The portal event linked to a Google event id, as the workers left it."""
    db.session.expire_all()
    link = db.session.scalar(select(EventLink).where(EventLink.google_event_id == google_id))
    assert link is not None, f"{google_id} was not imported"
    return db.session.get(Event, link.event_id)


def change(event: Event, **values) -> Event:
    """Change an event through the calendar's own operation and commit (the push is kicked)."""
    update_event(event, replace(EventData.of(event), **values))
    db.session.commit()
    return event


def messages(outcome: str | None = None, kind: str | None = None) -> list[str]:
    """The activity log's messages, optionally of one kind or outcome."""
    stmt = select(SyncLog).order_by(SyncLog.id)
    if kind:
        stmt = stmt.where(SyncLog.kind == kind)
    if outcome:
        stmt = stmt.where(SyncLog.outcome == outcome)
    return [row.message for row in db.session.scalars(stmt)]


def own_answer(item: dict) -> str | None:
    """The coordinator's responseStatus among a Google item's attendees."""
    mine = next((p for p in item.get("attendees") or [] if p.get("self")), None)
    return mine.get("responseStatus") if mine else None


class FormReader(HTMLParser):
    """The named fields of a page's forms with the values a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Inputs, ticked boxes, chosen options and the start of a textarea."""
        attr = {k: v or "" for k, v in attrs}
        name = attr.get("name")
        if tag == "input" and name and attr.get("type") not in ("submit", "button"):
            if attr.get("type") not in ("checkbox", "radio") or "checked" in attr:
                self.values[name] = attr.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attr:
            self.values[self._select] = attr.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data: str) -> None:
        """A textarea's text."""
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        """The end of a select or a textarea."""
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # Browsers drop the one newline that may follow <textarea>, and send line
            # breaks as CRLF.
            text = self.values[self._textarea].replace("\r\n", "\n").removeprefix("\n")
            self.values[self._textarea] = text.replace("\n", "\r\n")
            self._textarea = None


def form_values(html: str) -> dict[str, str]:
    """What a browser would post back from a page's form, unchanged."""
    reader = FormReader()
    reader.feed(html)
    return reader.values


def fresh_event(event: Event) -> Event:
    """The event as the workers left it."""
    db.session.expire_all()
    return db.session.get(Event, event.id)


def portal_event(user, connection, level: str) -> Event:
    """A portal event with a place and notes, pushed to Google at a privacy level."""
    connection.privacy_level = level
    event = create_event(
        user,
        EventData(
            title="Home visit with Jordan",
            time_zone="Australia/Sydney",
            start_at=SOON,
            end_at=SOON + timedelta(hours=1),
            event_type="visit",
            location="12 Example St, Parramatta",
            notes="Bring the agreement",
            internal_notes="NDIS 430123456",
        ),
    )
    db.session.commit()
    push(user.id)
    return event


def shown_in_google(item: dict) -> tuple[str, str, str]:
    """Title, location and description of a Google item (absent counts as empty)."""
    return item.get("summary", ""), item.get("location", ""), item.get("description", "")


# What Google may hold of portal_event at each privacy level: (title, location, description).
SHOWN = {
    "busy": (BUSY_TITLE, "", ""),
    "private_title": ("Home visit with Jordan", "", ""),
    "full": ("Home visit with Jordan", "12 Example St, Parramatta", "Bring the agreement"),
}

HTML = (
    '<b>Telehealth</b> check-in<br>Join: <a href="https://meet.google.com/abc-defg-hij">'
    "meet</a><ul><li>plan&nbsp;review</li><li>goals &amp; budget</li></ul>"
)


def own_google_event(google, connection, **fields) -> tuple[dict, Event]:
    """An event the coordinator made in Google Calendar, imported into the portal."""
    item = user_adds(google, {"summary": "Gym", **timed(SOON), **fields})
    pull(connection)
    return item, portal_copy(item["id"])


def test_renaming_an_own_google_event_sends_only_the_title(connected, coordinator, google):
    item, event = own_google_event(
        google,
        connected,
        transparency="transparent",
        visibility="default",
        location="Fitness First",
        description="Leg day",
    )
    assert (event.origin, event.google_kind) == ("google", None)
    forget_requests(google)

    change(event, title="Gym (early)")
    push(coordinator.id)

    assert patches(google) == [{"summary": "Gym (early)"}]
    after = google_copy(google, item["id"])
    assert after["summary"] == "Gym (early)"
    assert (after.get("transparency"), after.get("visibility", "default")) == (
        "transparent",
        "default",
    )
    assert shown_in_google(after)[1:] == ("Fitness First", "Leg day")
    assert "extendedProperties" not in after
    assert messages(kind="push")[-1] == "“Gym (early)” updated in Google"
    assert not messages(outcome="not_taken") and not pending_outbox()


def test_renaming_through_the_event_form_sends_only_the_title(
    connected, coordinator, google, client
):
    item, event = own_google_event(
        google, connected, transparency="transparent", location="Gym", description=HTML
    )
    form = form_values(client.get(f"/calendar/events/{event.id}/edit").text)
    forget_requests(google)

    answer = client.post(f"/calendar/events/{event.id}", data={**form, "title": "Gym (early)"})
    assert answer.status_code in (200, 302, 303), answer.text
    push(coordinator.id)

    assert patches(google) == [{"summary": "Gym (early)"}]
    after = google_copy(google, item["id"])
    assert (after["summary"], after["description"]) == ("Gym (early)", HTML)
    assert after.get("transparency") == "transparent"


def test_a_change_to_portal_fields_only_sends_nothing(connected, coordinator, google):
    item, event = own_google_event(google, connected, transparency="transparent")
    forget_requests(google)

    change(event, internal_notes="Called to confirm")
    push(coordinator.id)

    assert patches(google) == [] and not pending_outbox()
    assert link_of(event).synced_version == portal_copy(item["id"]).version
    assert google_copy(google, item["id"])["etag"] == item["etag"]


def test_a_meet_event_keeps_its_conference_when_renamed(connected, coordinator, google):
    meet = {"createRequest": {"requestId": "r1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
    item, event = own_google_event(google, connected, summary="Telehealth", conferenceData=meet)
    assert item["hangoutLink"].startswith("https://meet.google.com/")
    assert event.google_details["conference"] == {
        "url": item["hangoutLink"],
        "label": "Google Meet",
    }
    forget_requests(google)

    change(event, title="Telehealth with Sam")
    push(coordinator.id)

    assert patches(google) == [{"summary": "Telehealth with Sam"}]
    after = google_copy(google, item["id"])
    assert after["conferenceData"] == item["conferenceData"]
    assert after["hangoutLink"] == item["hangoutLink"]
    assert portal_copy(item["id"]).google_details["conference"]["url"] == item["hangoutLink"]


def test_an_html_description_is_kept_as_is_and_renaming_does_not_send_it(
    connected, coordinator, google
):
    item, event = own_google_event(google, connected, description=HTML)
    assert event.notes == HTML
    forget_requests(google)

    change(event, title="Gym (late)")
    push(coordinator.id)

    assert [set(body) for body in patches(google)] == [{"summary"}]
    assert google_copy(google, item["id"])["description"] == HTML
    assert portal_copy(item["id"]).notes == HTML


def test_the_same_change_made_in_both_places_is_settled_without_a_write(
    connected, coordinator, google
):
    event = portal_event(coordinator, connected, "full")
    google_id = link_of(event).google_event_id
    user_changes(google, google_id, {"summary": "Home visit (moved)"})
    forget_requests(google)

    change(event, title="Home visit (moved)")
    push(coordinator.id)

    # The PATCH met Google's newer copy (412), which already holds the change: nothing is
    # left to send, and above all nothing is deleted.
    assert [call["status"] for call in google.calls("calendar.events.patch")] == [412]
    assert google.calls("calendar.events.delete") == []
    after = google_copy(google, google_id)
    assert (after["status"], after["summary"]) == ("confirmed", "Home visit (moved)")
    assert fresh_event(event).deleted_at is None
    assert link_of(event).etag == after["etag"] and not pending_outbox()


def test_google_s_untitled_and_long_titles_are_not_rewritten_by_another_change(
    connected, coordinator, google
):
    long_title = "Quarterly plan review with the support team " * 6
    untitled = user_adds(google, timed(SOON))
    titled = user_adds(google, {"summary": long_title, **timed(SOON + timedelta(days=1))})
    pull(connected)
    assert portal_copy(untitled["id"]).title == "(no title)"
    assert len(portal_copy(titled["id"]).title) == 200
    forget_requests(google)

    for item in (untitled, titled):
        change(portal_copy(item["id"]), location="Room 4")
    push(coordinator.id)

    assert patches(google) == [{"location": "Room 4"}, {"location": "Room 4"}]
    assert "summary" not in google_copy(google, untitled["id"])
    assert google_copy(google, titled["id"])["summary"] == long_title


def test_an_end_in_another_zone_is_not_rewritten_by_a_rename(connected, coordinator, google):
    # A flight entered in Google Calendar with separate start and end zones.
    flight = timed(SOON, minutes=300)
    flight["end"]["timeZone"] = "Australia/Perth"
    item, event = own_google_event(google, connected, summary="Flight to Perth", **flight)
    forget_requests(google)

    change(event, title="Flight to Perth (QF 577)")
    push(coordinator.id)

    assert patches(google) == [{"summary": "Flight to Perth (QF 577)"}]
    after = google_copy(google, item["id"])
    assert (after["start"], after["end"]) == (item["start"], item["end"])
    assert not messages(outcome="not_taken")
