"""Real time: Google's notifications reach the webhook, become pulls, and channels stay alive."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.queue import get_queue, redis_connection
from portal.extensions import db
from portal.google.account.clients import client_for
from portal.google.realtime import channels
from portal.google.realtime.heard import outcome_counts
from portal.google.worker.enqueue import enqueue_once
from portal.google.worker.jobs import channels_job, safety_net_job, safety_pull_job
from portal.models import SyncLog, WatchChannel, utcnow
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import (
    fresh,
    live_events,
)
from tests.google.test_sync_pull import google_adds
from tests.support.processes import kill, start_worker, wait_for
from tests.support.worker import run_jobs


@pytest.fixture
def public_base_url(portal_port: int) -> str:
    """The portal's public origin is the live server: Google posts notifications there."""
    return f"http://127.0.0.1:{portal_port}"


def open_channel(connection) -> tuple[WatchChannel, str]:
    """A channel of our own making, so the test knows its secret token."""
    channel, token = channels.prepare_channel(connection)
    db.session.commit()
    channels.activate_channel(connection, channel, token, client_for(connection))
    db.session.commit()
    return channel, token


def notify(client, channel_id: str | None, token: str | None, state: str = "exists", number=2):
    headers = {"X-Goog-Resource-State": state, "X-Goog-Message-Number": str(number)}
    if channel_id:
        headers["X-Goog-Channel-ID"] = channel_id
    if token:
        headers["X-Goog-Channel-Token"] = token
    return client.post("/google/notify", headers=headers)


def outcomes() -> Counter[str]:
    """What the webhook counted in the last hour, by outcome."""
    return outcome_counts(redis_connection(), hours=1)


def test_a_google_change_reaches_the_portal_through_a_real_notification(
    app, live_portal, connected, coordinator, google, client
):
    [channel] = google.state.channels()
    assert channel["address"] == live_portal + "/google/notify"
    worker = start_worker(app)
    try:
        google_adds(google, "Booked in Google")
        wait_for(lambda: [e.title for e in live_events(coordinator.id)] == ["Booked in Google"])
        # The event is committed page by page; the pull's own record comes at its end.
        wait_for(lambda: db.session.scalar(select(SyncLog.id).where(SyncLog.kind == "pull")))
    finally:
        kill(worker)
    assert outcomes()["sync"] >= 1 and outcomes()["accepted"] >= 1
    live = db.session.scalar(select(WatchChannel).where(WatchChannel.stopped_at.is_(None)))
    assert live.live_at is not None and live.last_notification_at is not None
    card = client.get("/portal/integrations/google/card", headers={"HX-Request": "true"}).text
    assert "Google last told us of a change" in card
    assert 'id="google-latency"' in card
    assert "not https" not in card


def test_the_card_warns_when_google_cannot_reach_a_plain_http_portal():
    from portal.integrations.card import webhook_warning

    warning = webhook_warning({"PUBLIC_BASE_URL": "http://portal.example.org"})
    assert "not https" in warning and "PUBLIC_BASE_URL" in warning
    assert webhook_warning({"PUBLIC_BASE_URL": "https://portal.example.org"}) is None


def test_forged_unknown_stopped_and_headerless_notifications_cause_no_work(
    client, connected, google
):
    channel, token = open_channel(connected)
    stopped, stopped_token = open_channel(connected)
    stopped.stopped_at = utcnow()
    expired, expired_token = open_channel(connected)
    expired.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    google.state.clear_request_log()
    answers = [
        notify(client, "no-such-channel", token),
        notify(client, channel.channel_id, "guessed-token"),
        notify(client, channel.channel_id, None),
        notify(client, stopped.channel_id, stopped_token),
        notify(client, expired.channel_id, expired_token),
        notify(client, None, None),
        client.post("/google/notify"),
    ]
    assert {a.status_code for a in answers} == {200}
    assert outcomes() == Counter(
        unknown_channel=1, bad_token=2, stopped=1, expired=1, missing_headers=2
    )
    assert get_queue().count == 0
    run_jobs()
    assert google.state.request_log() == []


def test_a_burst_of_a_thousand_notifications_costs_at_most_two_pulls(client, connected, google):
    channel, token = open_channel(connected)
    google.state.clear_request_log()
    for number in range(2, 1002):
        assert notify(client, channel.channel_id, token, number=number).status_code == 200
    run_jobs()
    assert google.count("calendar.events.list") <= 2
    assert outcomes() == Counter(accepted=1, coalesced=999)
    # The pull folded what the webhook heard into the channel row.
    db.session.expire_all()
    heard = db.session.get(WatchChannel, channel.id)
    assert heard.last_message_number == 1001 and heard.last_notification_at is not None


def test_a_sync_message_marks_the_channel_live_and_starts_no_pull(client, connected, google):
    channel, token = open_channel(connected)
    google.state.clear_request_log()
    notify(client, channel.channel_id, token, state="sync", number=1)
    assert get_queue().count == 0
    db.session.expire_all()
    assert db.session.get(WatchChannel, channel.id).live_at is not None


def test_channels_are_renewed_before_expiry_new_first_then_old_stopped(client, connected, google):
    old = db.session.scalar(select(WatchChannel).where(WatchChannel.stopped_at.is_(None)))
    old.expires_at = utcnow() + timedelta(hours=2)
    db.session.commit()
    get_queue().enqueue(channels_job)
    run_jobs()
    rows = db.session.scalars(select(WatchChannel).order_by(WatchChannel.id)).all()
    assert len(rows) == 2
    assert rows[0].stopped_at is not None and rows[1].stopped_at is None
    assert rows[1].expires_at > utcnow() + timedelta(days=6)
    emulated = {c["id"]: c for c in google.state.channels()}
    assert emulated[rows[0].channel_id]["stopped"] and not emulated[rows[1].channel_id]["stopped"]
    log = google.state.request_log()
    watch_at = next(i for i, e in enumerate(log) if e["method"] == "calendar.events.watch")
    stop_at = next(i for i, e in enumerate(log) if e["method"] == "calendar.channels.stop")
    assert watch_at < stop_at


def test_channels_stopped_a_month_ago_are_erased_and_recent_ones_kept(connected):
    live = db.session.scalar(select(WatchChannel).where(WatchChannel.stopped_at.is_(None)))
    long_ago, recently = open_channel(connected)[0], open_channel(connected)[0]
    long_ago.stopped_at = utcnow() - timedelta(days=31)
    recently.stopped_at = utcnow() - timedelta(days=2)
    db.session.commit()
    kept = {live.id, recently.id}
    channels_job()
    db.session.expire_all()
    assert set(db.session.scalars(select(WatchChannel.id))) == kept


def test_both_channels_are_accepted_while_they_overlap(client, connected):
    first, first_token = open_channel(connected)
    second, second_token = open_channel(connected)
    notify(client, first.channel_id, first_token)
    run_jobs()
    notify(client, second.channel_id, second_token)
    assert outcomes() == Counter(accepted=2)


def test_a_silent_channel_is_detected_by_the_safety_net_and_replaced(
    app, connected, coordinator, google
):
    app.config["GOOGLE_SILENCE_GRACE"] = 0
    [channel] = google.state.channels()
    google.state.silence_channel(channel["id"])
    google_adds(google, "Nobody told us")
    enqueue_once("pull", safety_pull_job, connected.id)
    run_jobs()
    assert [e.title for e in live_events(coordinator.id)] == ["Nobody told us"]
    live = db.session.scalars(select(WatchChannel).where(WatchChannel.stopped_at.is_(None))).all()
    assert len(live) == 1 and live[0].channel_id != channel["id"]
    assert db.session.scalar(select(SyncLog).where(SyncLog.outcome == "silent_channel"))


def test_the_safety_net_pulls_connections_whose_pull_is_due(connected, google):
    connection = fresh(connected)
    connection.next_pull_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    google.state.clear_request_log()
    get_queue().enqueue(safety_net_job)
    run_jobs()
    assert google.count("calendar.events.list") == 1
    assert fresh(connected).last_sync_at > utcnow() - timedelta(minutes=1)


def test_a_refused_watch_falls_back_to_polling_and_says_so(coordinator, connect_flow, google):
    google.state.add_fault("calendar.events.watch", 400, "pushNotSupportedForRequestedResource")
    connect_flow.run()
    run_jobs()
    from portal.google.account.connection import get_connection

    connection = get_connection(coordinator.id)
    assert connection.state == "connected" and connection.polling_only
    message = db.session.scalar(select(SyncLog.message).where(SyncLog.outcome == "polling"))
    assert "every 15 minutes" in message


def test_channels_of_accounts_that_need_reconnecting_are_stopped(connected, google):
    connection = fresh(connected)
    connection.state = "needs_reconnect"
    db.session.commit()
    get_queue().enqueue(channels_job)
    run_jobs()
    assert (
        db.session.scalars(select(WatchChannel).where(WatchChannel.stopped_at.is_(None))).all()
        == []
    )


def test_a_google_user_edit_without_notifications_still_arrives_by_polling(
    connected, coordinator, google
):
    google.state.set_notification_faults(drop=100)
    item = google_adds(google, "Lost notice")
    google.state.user_patch_event(GOOGLE_USER, item["id"], {"summary": "Lost notice (edited)"})
    connection = fresh(connected)
    connection.next_pull_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    get_queue().enqueue(safety_net_job)
    run_jobs()
    assert [e.title for e in live_events(coordinator.id)] == ["Lost notice (edited)"]
