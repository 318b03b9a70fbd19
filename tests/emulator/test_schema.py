"""Every JSON body the Calendar API answers agrees with Google's discovery document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from google_emulator import EmulatorServer

from .helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    DISCOVERY,
    REDIRECT_URI,
    USER,
    Webhook,
    batch_service,
    calendar_service,
    credentials,
    get_tokens,
    timed,
)

DOCUMENT = json.loads(DISCOVERY.read_text())
SCHEMAS: dict[str, Any] = dict(DOCUMENT["schemas"])
# Google's error envelope is not in the discovery document; this is its documented shape.
SCHEMAS["ErrorEnvelope"] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "status": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            name: {"type": "string"}
                            for name in ("domain", "reason", "message", "locationType", "location")
                        },
                    },
                },
            },
        }
    },
}

RESPONSE_SCHEMAS = {
    "calendar.events.insert": "Event",
    "calendar.events.get": "Event",
    "calendar.events.patch": "Event",
    "calendar.events.update": "Event",
    "calendar.events.list": "Events",
    "calendar.events.instances": "Events",
    "calendar.events.watch": "Channel",
    "calendar.calendarList.list": "CalendarList",
    "calendar.calendarList.get": "CalendarListEntry",
    "calendar.calendars.insert": "Calendar",
    "calendar.calendars.get": "Calendar",
}

PYTHON_TYPES = {
    "string": (str,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "number": (int, float),
}


def violations(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Where a JSON value breaks a discovery-document schema (unknown fields, wrong types)."""
    if "$ref" in schema:
        return violations(value, SCHEMAS[schema["$ref"]], path)
    kind = schema.get("type")
    if kind in (None, "any"):
        return []
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, PYTHON_TYPES[kind])
    if not ok:
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    problems: list[str] = []
    if kind == "object":
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if properties and key in properties:
                problems += violations(item, properties[key], f"{path}.{key}")
            elif extra is not None:
                problems += violations(item, extra, f"{path}.{key}")
            else:
                problems.append(f"{path}.{key}: not in the schema")
    elif kind == "array":
        for index, item in enumerate(value):
            problems += violations(item, schema.get("items", {}), f"{path}[{index}]")
    return problems


def test_the_validator_catches_mistakes():
    assert violations({"kind": "calendar#event", "id": "x"}, {"$ref": "Event"}) == []
    assert violations({"bogus": 1}, {"$ref": "Event"}) == ["$.bogus: not in the schema"]
    assert violations({"sequence": "1"}, {"$ref": "Event"}) == [
        "$.sequence: expected integer, got str"
    ]
    assert violations({"start": {"dateTime": 5}}, {"$ref": "Event"}) == [
        "$.start.dateTime: expected string, got int"
    ]
    assert violations({"extendedProperties": {"private": {"a": 1}}}, {"$ref": "Event"}) == [
        "$.extendedProperties.private.a: expected string, got int"
    ]
    assert violations({"items": [{"primary": "yes"}]}, {"$ref": "CalendarList"}) == [
        "$.items[0].primary: expected boolean, got str"
    ]


@pytest.fixture(scope="module")
def recorded() -> Iterator[tuple[EmulatorServer, list[tuple[str | None, int, Any]]]]:
    """A dedicated emulator whose every JSON answer is recorded, with the method id."""
    server = EmulatorServer()
    bodies: list[tuple[str | None, int, Any]] = []
    inner = server.app.wsgi_app

    def capture(environ, start_response):
        seen: dict[str, Any] = {}

        def remember(status, headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            seen["type"] = dict(headers).get("Content-Type", "")
            return start_response(status, headers, exc_info)

        body = b"".join(inner(environ, remember))
        if seen["type"].startswith("application/json"):
            bodies.append((environ.get("gemu.method"), seen["status"], json.loads(body)))
        return [body]

    server.app.wsgi_app = capture  # type: ignore[method-assign]
    with server:
        server.state.add_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
        server.state.add_user(USER, "Casey Coordinator")
        yield server, bodies


def _session(url: str, state: Any) -> None:
    tokens = get_tokens(url)
    creds = credentials(url, tokens)
    service = calendar_service(url, creds)
    events = service.events()
    service.calendarList().list().execute()
    service.calendarList().get(calendarId="primary").execute()
    cal = service.calendars().insert(body={"summary": "Coordinoter"}).execute()
    service.calendars().get(calendarId=cal["id"]).execute()
    token = events.list(calendarId="primary").execute()["nextSyncToken"]
    full = events.insert(
        calendarId="primary",
        body=timed(
            "2025-06-02T10:00:00",
            "2025-06-02T11:00:00",
            id="schema0000001",
            summary="Everything",
            description="d",
            location="l",
            colorId="5",
            transparency="opaque",
            visibility="private",
            attendees=[{"email": "someone@example.com", "displayName": "Someone"}],
            reminders={"useDefault": False, "overrides": [{"method": "popup", "minutes": 5}]},
            extendedProperties={"private": {"a": "1"}, "shared": {"b": "2"}},
            source={"title": "Coordinoter", "url": "https://portal.example/e/1"},
            guestsCanModify=False,
        ),
    ).execute()
    events.insert(
        calendarId="primary",
        body={"summary": "All day", "start": {"date": "2025-06-05"}, "end": {"date": "2025-06-06"}},
    ).execute()
    series = events.insert(
        calendarId="primary",
        body=timed(
            "2025-03-24T09:00:00",
            "2025-03-24T10:00:00",
            summary="Weekly",
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"],
        ),
    ).execute()
    events.patch(calendarId="primary", eventId=full["id"], body={"summary": "Changed"}).execute()
    events.update(
        calendarId="primary",
        eventId=full["id"],
        body=timed("2025-06-02T10:00:00", "2025-06-02T12:00:00", summary="Updated"),
    ).execute()
    events.patch(
        calendarId="primary", eventId=f"{series['id']}_20250330T220000Z", body={"summary": "One"}
    ).execute()
    events.delete(calendarId="primary", eventId=f"{series['id']}_20250406T230000Z").execute()
    events.delete(calendarId="primary", eventId=full["id"]).execute()
    events.get(calendarId="primary", eventId=full["id"]).execute()
    events.get(calendarId="primary", eventId=f"{series['id']}_20250413T230000Z").execute()
    events.list(calendarId="primary", syncToken=token).execute()
    events.list(calendarId="primary", showDeleted=True).execute()
    events.list(
        calendarId="primary",
        singleEvents=True,
        showDeleted=True,
        orderBy="startTime",
        timeMin="2025-01-01T00:00:00Z",
    ).execute()
    events.instances(calendarId="primary", eventId=series["id"], showDeleted=True).execute()
    hook = Webhook()
    try:
        channel = events.watch(
            calendarId="primary",
            body={
                "id": "schema-chan",
                "type": "web_hook",
                "address": hook.url,
                "token": "t",
                "params": {"ttl": "600"},
            },
        ).execute()
        service.channels().stop(
            body={"id": channel["id"], "resourceId": channel["resourceId"]}
        ).execute()
    finally:
        hook.close()
    failing = [
        events.insert(calendarId="primary", body=full),
        events.insert(calendarId="primary", body={"summary": "no end"}),
        events.get(calendarId="primary", eventId="missing00000"),
        events.delete(calendarId="primary", eventId=full["id"]),
        events.list(calendarId="primary", syncToken="bad"),
        events.list(calendarId="primary", syncToken=token, q="x"),
    ]
    for request in failing:
        with pytest.raises(HttpError):
            request.execute()
    state.add_fault("calendar.events.list", 429)
    with pytest.raises(HttpError):
        events.list(calendarId="primary").execute()
    batch = batch_service(url, creds)
    together = batch.new_batch_http_request()
    together.add(batch.events().list(calendarId="primary", maxResults=1))
    together.add(batch.events().get(calendarId="primary", eventId=series["id"]))
    together.execute()


def test_every_calendar_answer_matches_the_discovery_document(recorded):
    server, bodies = recorded
    _session(server.url, server.state)
    checked: dict[str, int] = {}
    problems: list[str] = []
    for method, status, body in bodies:
        if method is None or not (method.startswith("calendar.") or method == "batch"):
            continue
        name = "ErrorEnvelope" if status >= 400 else RESPONSE_SCHEMAS.get(method)
        assert name, f"no schema for {method}"
        checked[name] = checked.get(name, 0) + 1
        problems += [f"{method} {status}: {p}" for p in violations(body, {"$ref": name})]
    assert problems == []
    assert set(checked) == {
        "Event",
        "Events",
        "Channel",
        "CalendarList",
        "CalendarListEntry",
        "Calendar",
        "ErrorEnvelope",
    }
    assert checked["ErrorEnvelope"] >= 6
    in_batch = [m for m, _, _ in bodies if m in ("calendar.events.list", "calendar.events.get")]
    assert len(in_batch) >= 4
