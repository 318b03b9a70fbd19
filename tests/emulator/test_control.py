"""The /_emulator control API, the web UI, the state file and the command line."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from google_emulator import EmulatorServer, EmulatorState
from google_emulator.demo import DEMO_CLIENT_ID, DEMO_USER
from google_emulator.persistence import StateFile

from .helpers import CLIENT_ID, CLIENT_SECRET, USER, get_tokens, timed

ROOT = Path(__file__).resolve().parents[2]


def test_http_control_api(emulator, webhook):
    base = emulator.url + "/_emulator"
    assert requests.post(base + "/reset", timeout=10).json() == {"ok": True}
    assert requests.get(base + "/users", timeout=10).json() == []
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": ["http://127.0.0.1:5999/google/callback"],
    }
    assert requests.post(base + "/clients", json=client, timeout=10).status_code == 201
    user = requests.post(base + "/users", json={"email": USER, "name": "Casey Coordinator"})
    assert user.status_code == 201 and user.json()["sub"]
    cal = requests.post(f"{base}/users/{USER}/calendars", json={"summary": "Work"}).json()
    assert cal["id"].endswith("@group.calendar.google.com")
    assert len(requests.get(f"{base}/users/{USER}/calendars").json()) == 2

    events = f"{base}/calendars/{USER}/events"
    created = requests.post(
        events, json=timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", summary="by hand")
    )
    assert created.status_code == 201
    event_id = created.json()["id"]
    patched = requests.patch(f"{events}/{event_id}", json={"summary": "patched"}).json()
    assert patched["summary"] == "patched"
    replaced = requests.put(
        f"{events}/{event_id}", json=timed("2025-06-02T10:00:00", "2025-06-02T12:00:00")
    ).json()
    assert "summary" not in replaced
    bad = requests.post(events, json={"summary": "no times"})
    assert bad.status_code == 400
    assert bad.json()["error"]["errors"][0]["reason"] == "required"
    assert requests.delete(f"{events}/{event_id}").status_code == 204
    assert requests.get(events).json() == []
    assert requests.get(events, params={"include_deleted": "true"}).json()[0]["status"] == (
        "cancelled"
    )
    assert requests.get(f"{events}/{event_id}").json()["status"] == "cancelled"
    assert requests.get(f"{events}/nope00000").status_code == 404
    expanded = requests.get(
        f"{base}/calendars/{USER}/expand",
        params={"time_min": "2025-01-01T00:00:00Z", "time_max": "2026-01-01T00:00:00Z"},
    ).json()
    assert expanded == []

    tokens = get_tokens(emulator.url)
    assert requests.get(f"{base}/users/{USER}/grants").json()[0]["client_id"] == CLIENT_ID
    assert requests.post(base + "/tokens/expire", json={"email": USER}).json()["expired"] == 1
    auth = {"Authorization": "Bearer " + tokens["access_token"]}
    api = emulator.url + "/calendar/v3/calendars/primary/events"
    assert requests.get(api, headers=auth).status_code == 401

    fault = {"method": "oauth2.userinfo", "status": 503, "count": 1}
    assert requests.post(base + "/faults", json=fault).status_code == 201
    assert requests.get(base + "/faults").json()[0]["method"] == "oauth2.userinfo"
    assert requests.delete(base + "/faults").status_code == 204
    assert requests.get(base + "/faults").json() == []

    config = requests.put(base + "/config", json={"page_size_cap": 5}).json()
    assert config["page_size_cap"] == 5
    assert requests.put(base + "/config", json={"nonsense": 1}).status_code == 400
    assert requests.get(base + "/config").json()["page_size_cap"] == 5

    nf = requests.post(base + "/notification-faults", json={"drop": 2}).json()
    assert nf["drop"] == 2
    requests.post(base + "/notification-faults", json={})
    assert requests.post(f"{base}/calendars/{USER}/invalidate-sync-tokens").json() == {"ok": True}

    refreshed = requests.post(
        emulator.url + "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
    ).json()
    auth = {"Authorization": "Bearer " + refreshed["access_token"]}
    watch = {"id": "ctl", "type": "web_hook", "address": webhook.url}
    assert requests.post(api + "/watch", json=watch, headers=auth).status_code == 200
    assert webhook.wait_for(1)
    # The webhook can see the message before the emulator counts its own delivery.
    requests.post(base + "/notifications/wait", json={"timeout": 2})
    assert requests.get(base + "/channels").json()[0]["delivered"] == 1
    assert requests.post(base + "/channels/ctl/silence").json() == {"ok": True}
    assert requests.post(base + "/channels/ctl/expire").json() == {"ok": True}
    assert requests.post(base + "/channels/nope/expire").status_code == 404
    assert requests.post(base + "/notifications/wait", json={"timeout": 2}).json()["idle"]

    counts = requests.get(base + "/requests/counts").json()
    assert counts["calendar.events.watch"] == 1
    log = requests.get(base + "/requests", params={"method": "calendar.events.list"}).json()
    assert [e["status"] for e in log] == [401]
    assert requests.delete(base + "/requests").status_code == 204
    assert requests.get(base + "/requests").json() == []

    revoked = requests.post(f"{base}/users/{USER}/revoke", json={}).json()
    assert revoked == {"revoked": 1}
    assert requests.get(f"{base}/users/{USER}/grants").json() == []
    assert requests.get(base + "/state").json()["users"][0]["email"] == USER


def test_controls_are_not_reachable_under_google_paths(emulator, tokens):
    auth = {"Authorization": "Bearer " + tokens["access_token"]}
    resp = requests.post(emulator.url + "/calendar/v3/_emulator/reset", headers=auth)
    assert resp.status_code == 404
    assert emulator.state.users_list()


def test_ui_pages_and_forms(emulator):
    state = emulator.state
    get_tokens(emulator.url)
    home = requests.get(emulator.url + "/", timeout=10)
    assert home.status_code == 200 and USER in home.text
    page_url = f"{emulator.url}/ui/users/{USER}"

    form = {
        "summary": "Physio",
        "start": "2030-05-06T09:00",
        "end": "2030-05-06T10:00",
        "time_zone": "Australia/Sydney",
        "location": "Clinic",
        "description": "",
    }
    resp = requests.post(f"{emulator.url}/ui/calendars/{USER}/events", data=form)
    assert resp.status_code == 200 and "Created" in resp.text
    created = state.list_events(USER)[0]
    assert created["start"] == {
        "dateTime": "2030-05-06T09:00:00+10:00",
        "timeZone": "Australia/Sydney",
    }
    assert created["location"] == "Clinic"

    all_day = {
        "summary": "Leave",
        "all_day": "1",
        "start_date": "2030-05-08",
        "end_date": "2030-05-09",
    }
    requests.post(f"{emulator.url}/ui/calendars/{USER}/events", data=all_day)
    leave = next(e for e in state.list_events(USER) if e["summary"] == "Leave")
    assert leave["start"] == {"date": "2030-05-08"} and leave["end"] == {"date": "2030-05-10"}

    edit = requests.get(f"{emulator.url}/ui/calendars/{USER}/events/{created['id']}/edit")
    assert edit.status_code == 200 and 'value="Physio"' in edit.text
    form["summary"] = "Physio (moved)"
    form["start"], form["end"] = "2030-05-06T11:00", "2030-05-06T12:00"
    requests.post(f"{emulator.url}/ui/calendars/{USER}/events/{created['id']}", data=form)
    moved = state.get_event(USER, created["id"])
    assert moved["summary"] == "Physio (moved)"
    assert moved["start"]["dateTime"] == "2030-05-06T11:00:00+10:00"

    link = requests.get(moved["htmlLink"], allow_redirects=False)
    assert link.status_code == 302 and created["id"] in link.headers["Location"]

    bad = dict(form, end="2030-05-06T08:00")
    resp = requests.post(f"{emulator.url}/ui/calendars/{USER}/events/{created['id']}", data=bad)
    assert "The specified time range is empty." in resp.text

    requests.post(f"{emulator.url}/ui/calendars/{USER}/events/{created['id']}/delete")
    assert state.get_event(USER, created["id"])["status"] == "cancelled"

    page = requests.get(page_url, params={"days": 36500}).text
    assert "Leave" in page and "Physio (moved)" not in page
    assert "Connected apps" in page and "Coordinoter (test)" in page
    assert re.search(r"Remove access", page)
    requests.post(f"{emulator.url}/ui/users/{USER}/grants/{CLIENT_ID}/revoke")
    assert state.grants_of(USER) == []

    requests.post(emulator.url + "/ui/users", data={"email": "new@example.com", "name": "New"})
    assert "new@example.com" in state.users
    requests.post(f"{emulator.url}/ui/users/new@example.com/calendars", data={"summary": "Side"})
    assert len(state.calendars_of("new@example.com")) == 2
    assert (
        requests.get(f"{emulator.url}/ui/avatar/{USER}")
        .headers["Content-Type"]
        .startswith("image/svg+xml")
    )


def test_state_file_round_trip(tmp_path):
    path = tmp_path / "state.json"
    state = EmulatorState()
    state.add_client(CLIENT_ID, CLIENT_SECRET, ["http://127.0.0.1:5999/google/callback"])
    state.add_user(USER)
    with EmulatorServer(state=state) as emu:
        tokens = get_tokens(emu.url)
        event = state.user_insert_event(USER, timed("2025-06-02T10:00:00", "2025-06-02T11:00:00"))
        writer = StateFile(state, path, interval=0.05)
        writer.start()
        deadline = time.time() + 5
        while not path.exists() and time.time() < deadline:
            time.sleep(0.05)
        writer.stop()
    data = json.loads(path.read_text())
    assert data["users"][0]["email"] == USER

    restored = EmulatorState()
    assert StateFile(restored, path).load()
    with EmulatorServer(state=restored) as emu:
        auth = {"Authorization": "Bearer " + tokens["access_token"]}
        resp = requests.get(
            f"{emu.url}/calendar/v3/calendars/primary/events/{event['id']}", headers=auth
        )
        assert resp.status_code == 200 and resp.json()["etag"] == event["etag"]
        refreshed = requests.post(
            emu.url + "/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=(CLIENT_ID, CLIENT_SECRET),
        )
        assert refreshed.status_code == 200


def test_command_line_demo(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    state_file = tmp_path / "demo.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "google_emulator",
            "--port",
            "0",
            "--demo",
            "--state-file",
            str(state_file),
            "--user",
            "extra@example.com",
            "--redirect-uri",
            "http://localhost:5200/google/callback",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        assert match, line
        url = match.group(1)
        users = {u["email"] for u in requests.get(url + "/_emulator/users", timeout=10).json()}
        assert users == {DEMO_USER, "extra@example.com"}
        clients = requests.get(url + "/_emulator/clients", timeout=10).json()
        assert clients[0]["client_id"] == DEMO_CLIENT_ID
        # `make run` on another port: the demo client accepts the portal's real redirect URI.
        assert "http://localhost:5200/google/callback" in clients[0]["redirect_uris"]
        consent = requests.get(
            url + "/o/oauth2/v2/auth",
            params={
                "client_id": DEMO_CLIENT_ID,
                "redirect_uri": "http://localhost:5200/google/callback",
                "response_type": "code",
                "scope": "openid email",
                "state": "s",
            },
            timeout=10,
        )
        assert consent.status_code == 200 and "redirect_uri_mismatch" not in consent.text
        events = requests.get(f"{url}/_emulator/calendars/{DEMO_USER}/events", timeout=10).json()
        summaries = {e["summary"] for e in events}
        assert {"Dentist appointment", "Team lunch"} <= summaries
        assert any("date" in e["start"] for e in events)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert state_file.exists()
    assert json.loads(state_file.read_text())["users"]
