"""Watch channels and real push notifications to a webhook."""

from __future__ import annotations

import email.utils
import time

import pytest
from googleapiclient.errors import HttpError

from .helpers import (
    EVENTS,
    USER,
    calendar_service,
    credentials,
    error_reason,
    get_tokens,
    timed,
)


def _watch(service, webhook, channel_id="chan-1", **extra):
    body = {"id": channel_id, "type": "web_hook", "address": webhook.url, "token": "secret-tok"}
    body.update(extra)
    return service.events().watch(calendarId="primary", body=body).execute()


def _change(emulator, summary="x"):
    return emulator.state.user_insert_event(
        USER, timed("2025-08-01T09:00:00", "2025-08-01T10:00:00", summary=summary)
    )


def test_watch_sync_then_exists_with_google_headers(emulator, service, webhook):
    before = time.time() * 1000
    channel = _watch(service, webhook, params={"ttl": "3600"})
    assert channel["kind"] == "api#channel"
    assert channel["id"] == "chan-1"
    assert channel["token"] == "secret-tok"
    assert channel["resourceId"]
    assert "/calendar/v3/calendars/primary/events" in channel["resourceUri"]
    assert isinstance(channel["expiration"], str)
    assert before + 3600_000 <= int(channel["expiration"]) <= time.time() * 1000 + 3600_000

    assert webhook.wait_for(1)
    sync = webhook.received[0]
    headers = sync["headers"]
    assert sync["body"] == b""
    assert sync["path"] == "/google/notify"
    assert headers["X-Goog-Channel-ID"] == "chan-1"
    assert headers["X-Goog-Channel-Token"] == "secret-tok"
    assert headers["X-Goog-Resource-ID"] == channel["resourceId"]
    assert headers["X-Goog-Resource-URI"] == channel["resourceUri"]
    assert headers["X-Goog-Resource-State"] == "sync"
    assert headers["X-Goog-Message-Number"] == "1"
    expiry = email.utils.parsedate_to_datetime(headers["X-Goog-Channel-Expiration"])
    assert abs(expiry.timestamp() * 1000 - int(channel["expiration"])) < 1000

    _change(emulator, "by the user")
    service.events().insert(
        calendarId="primary", body=timed("2025-08-02T09:00:00", "2025-08-02T10:00:00")
    ).execute()
    assert webhook.wait_for(3)
    states = webhook.states()
    assert [s for s, _ in states] == ["sync", "exists", "exists"]
    numbers = [n for _, n in states]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def test_stop_ends_deliveries_and_only_the_owner_may_stop(emulator, service, webhook):
    channel = _watch(service, webhook)
    assert webhook.wait_for(1)
    other = calendar_service(
        emulator.url,
        credentials(emulator.url, get_tokens(emulator.url, account="olive@example.com")),
    )
    with pytest.raises(HttpError) as err:
        other.channels().stop(body={"id": "chan-1", "resourceId": channel["resourceId"]}).execute()
    assert error_reason(err.value)[0] == 404
    result = (
        service.channels()
        .stop(body={"id": "chan-1", "resourceId": channel["resourceId"]})
        .execute()
    )
    assert result == ""
    _change(emulator)
    assert emulator.state.wait_notifications()
    time.sleep(0.1)
    assert len(webhook.received) == 1
    with pytest.raises(HttpError) as err:
        service.channels().stop(
            body={"id": "chan-1", "resourceId": channel["resourceId"]}
        ).execute()
    assert error_reason(err.value)[:2] == (404, "notFound")
    # A stopped channel's id may be reused.
    _watch(service, webhook)
    assert webhook.wait_for(2)


def test_failed_deliveries_are_retried(emulator, service, webhook):
    webhook.statuses = [503, 500]
    _watch(service, webhook)
    assert webhook.wait_for(3)
    assert emulator.state.wait_notifications()
    assert [r["status"] for r in webhook.received] == [503, 500, 200]
    assert {r["headers"]["X-Goog-Message-Number"] for r in webhook.received} == {"1"}
    channel = emulator.state.channels()[0]
    assert channel["delivered"] == 1
    assert [d["attempt"] for d in channel["deliveries"]] == [1, 2, 3]


def test_client_errors_are_not_retried(emulator, service, webhook):
    webhook.statuses = [404]
    _watch(service, webhook)
    assert webhook.wait_for(1)
    assert emulator.state.wait_notifications()
    assert len(webhook.received) == 1
    assert emulator.state.channels()[0]["failed"] == 1


def test_notification_faults_drop_duplicate_and_reorder(emulator, service, webhook):
    state = emulator.state
    _watch(service, webhook)
    assert webhook.wait_for(1)
    state.set_notification_faults(drop=1)
    _change(emulator)
    _change(emulator)
    assert webhook.wait_for(2)
    assert state.wait_notifications()
    assert [n for _, n in webhook.states()] == [1, 3]
    assert state.channels()[0]["dropped"] == 1

    state.set_notification_faults(duplicate=1)
    _change(emulator)
    assert webhook.wait_for(4)
    assert [n for _, n in webhook.states()][2:] == [4, 4]

    state.set_notification_faults(reorder=2)
    _change(emulator)
    _change(emulator)
    assert webhook.wait_for(6)
    assert [n for _, n in webhook.states()][4:] == [6, 5]


def test_notification_delay(emulator, service, webhook):
    _watch(service, webhook)
    assert webhook.wait_for(1)
    emulator.state.set_notification_faults(delay=0.3)
    started = time.time()
    _change(emulator)
    assert webhook.wait_for(2)
    assert webhook.received[1]["time"] - started >= 0.3


def test_expired_and_silenced_channels(emulator, service, webhook):
    state = emulator.state
    _watch(service, webhook, channel_id="a")
    _watch(service, webhook, channel_id="b")
    assert webhook.wait_for(2)
    state.expire_channel("a")
    state.silence_channel("b")
    _change(emulator)
    assert state.wait_notifications()
    time.sleep(0.1)
    assert len(webhook.received) == 2
    channels = {c["id"]: c for c in state.channels()}
    assert channels["a"]["expired"] is True
    assert channels["b"]["stopped"] is False and channels["b"]["silenced"] is True


def test_watch_does_not_wait_for_a_slow_webhook(emulator, service, webhook):
    webhook.delay = 1.0
    started = time.time()
    _watch(service, webhook)
    assert time.time() - started < 0.8
    assert webhook.wait_for(1, timeout=5)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"address": "http://example.com/hook"}, "push.webhookUrlNotHttps"),
        ({"address": None}, "required"),
        ({"type": "email"}, "invalid"),
        ({"id": "x" * 65}, "invalid"),
        ({"token": "t" * 257}, "invalid"),
    ],
)
def test_watch_validation(emulator, service, webhook, body, reason):
    request = {"id": "chan-v", "type": "web_hook", "address": webhook.url, **body}
    request = {k: v for k, v in request.items() if v is not None}
    with pytest.raises(HttpError) as err:
        service.events().watch(calendarId="primary", body=request).execute()
    assert error_reason(err.value)[:2] == (400, reason)


def test_watch_ttl_defaults_caps_and_unique_ids(emulator, service, webhook):
    now = time.time() * 1000
    default = _watch(service, webhook, channel_id="d")
    assert abs(int(default["expiration"]) - now - 604800_000) < 5000
    capped = _watch(service, webhook, channel_id="c", params={"ttl": "99999999"})
    assert abs(int(capped["expiration"]) - now - 2592000_000) < 5000
    with pytest.raises(HttpError) as err:
        _watch(service, webhook, channel_id="d")
    assert error_reason(err.value)[0] == 400
    webhook_https = {"id": "h", "type": "webhook", "address": "https://localhost:9/hook"}
    assert service.events().watch(calendarId="primary", body=webhook_https).execute()["id"] == "h"


def test_events_scope_can_watch(emulator, webhook):
    tokens = get_tokens(emulator.url, [EVENTS])
    service = calendar_service(emulator.url, credentials(emulator.url, tokens))
    assert _watch(service, webhook)["id"] == "chan-1"
