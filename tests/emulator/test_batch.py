"""Batch requests, through googleapiclient and by hand (CRLF, full URLs, inherited auth)."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP

import requests

from .helpers import USER, batch_service, timed


def test_batch_with_googleapiclient(emulator, creds):
    service = batch_service(emulator.url, creds)
    existing = emulator.state.user_insert_event(
        USER, timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", summary="old")
    )
    results: dict[str, tuple] = {}

    def callback(request_id, response, exception):
        results[request_id] = (response, exception)

    batch = service.new_batch_http_request(callback=callback)
    batch.add(
        service.events().insert(
            calendarId="primary",
            body=timed("2025-06-03T10:00:00", "2025-06-03T11:00:00", id="batch00001", summary="b"),
        ),
        request_id="ins",
    )
    batch.add(
        service.events().patch(
            calendarId="primary", eventId=existing["id"], body={"summary": "new"}
        ),
        request_id="pat",
    )
    batch.add(service.events().get(calendarId="primary", eventId="missing000"), request_id="get")
    batch.add(
        service.events().delete(calendarId="primary", eventId=existing["id"]), request_id="del"
    )
    batch.execute()

    assert results["ins"][0]["id"] == "batch00001"
    assert results["pat"][0]["summary"] == "new"
    assert results["get"][1].resp.status == 404
    assert results["del"] == ("", None)
    counts = emulator.state.request_counts()
    assert counts["batch"] == 1
    assert counts["calendar.events.insert"] == 1
    assert counts["calendar.events.patch"] == 1
    assert counts["calendar.events.delete"] == 1
    inner = [e for e in emulator.state.request_log() if e["in_batch"]]
    assert len(inner) == 4 and all(e["user"] == USER for e in inner)


def _multipart(boundary: str, parts: list[str], newline: str) -> bytes:
    chunks = []
    for part in parts:
        chunks.append(f"--{boundary}{newline}{part}{newline}")
    chunks.append(f"--{boundary}--{newline}")
    return "".join(chunks).encode()


def _parse_response(resp: requests.Response) -> list[tuple[str, int, dict]]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + resp.headers["Content-Type"].encode() + b"\r\n\r\n" + resp.content
    )
    out = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True).decode()
        status_line, _, rest = payload.partition("\r\n")
        _, _, body = rest.partition("\r\n\r\n")
        out.append(
            (
                part["Content-ID"],
                int(status_line.split()[1]),
                json.loads(body) if body.strip() else {},
            )
        )
    return out


def test_hand_made_batch_with_crlf_full_urls_and_inherited_auth(emulator, tokens):
    event = json.dumps(timed("2025-06-03T10:00:00", "2025-06-03T11:00:00", summary="crlf"))
    nl = "\r\n"
    parts = [
        nl.join(
            [
                "Content-Type: application/http",
                "Content-ID: <item1>",
                "",
                "POST https://www.googleapis.com/calendar/v3/calendars/primary/events HTTP/1.1",
                "Content-Type: application/json",
                "",
                event,
            ]
        ),
        nl.join(
            [
                "Content-Type: application/http",
                "Content-ID: <item2>",
                "",
                "GET /calendar/v3/users/me/calendarList",
                "",
            ]
        ),
        nl.join(
            [
                "Content-Type: application/http",
                "Content-ID: <item3>",
                "",
                "GET /_emulator/users HTTP/1.1",
                "",
            ]
        ),
    ]
    resp = requests.post(
        emulator.url + "/batch/calendar/v3",
        data=_multipart("b0undary", parts, nl),
        headers={
            "Content-Type": "multipart/mixed; boundary=b0undary",
            "Authorization": "Bearer " + tokens["access_token"],
        },
        timeout=10,
    )
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    answers = _parse_response(resp)
    assert [(cid, status) for cid, status, _ in answers] == [
        ("<response-item1>", 200),
        ("<response-item2>", 200),
        ("<response-item3>", 404),
    ]
    assert answers[0][2]["summary"] == "crlf"
    assert answers[1][2]["items"][0]["id"] == USER


def test_batch_limits(emulator, tokens):
    part = "Content-Type: application/http\n\nGET /calendar/v3/users/me/calendarList\n"
    resp = requests.post(
        emulator.url + "/batch",
        data=_multipart("xx", [part] * 1001, "\n"),
        headers={
            "Content-Type": "multipart/mixed; boundary=xx",
            "Authorization": "Bearer " + tokens["access_token"],
        },
        timeout=30,
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["errors"][0]["reason"] == "badRequest"
    not_multipart = requests.post(emulator.url + "/batch/calendar/v3", json={}, timeout=10)
    assert not_multipart.status_code == 400
