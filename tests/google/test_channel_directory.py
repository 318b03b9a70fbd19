"""The webhook remembers channels it has read, and never trusts that memory after a change."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy.orm import Session

from portal.core.queue import get_queue, redis_connection
from portal.extensions import db
from portal.google.realtime.channels import hash_token
from portal.google.realtime.heard import outcome_counts
from portal.models import GoogleConnection, WatchChannel, utcnow
from tests.google.test_realtime import notify as google_notifies
from tests.google.test_realtime import open_channel
from tests.support.sql import recorded_statements
from tests.support.worker import run_jobs


def notify(client, channel: WatchChannel | str, token: str) -> None:
    channel_id = channel if isinstance(channel, str) else channel.channel_id
    assert google_notifies(client, channel_id, token).status_code == 200


def statements_during(action) -> list[str]:
    with recorded_statements() as seen:
        action()
    return seen


def test_a_known_channel_is_judged_without_the_database(client, connected):
    channel, token = open_channel(connected)
    notify(client, channel, token)
    run_jobs()
    channel_id = channel.channel_id
    assert statements_during(lambda: notify(client, channel_id, token)) == []
    assert get_queue().count == 1


def test_a_channel_stopped_by_another_process_is_not_trusted_from_memory(client, connected):
    channel, token = open_channel(connected)
    notify(client, channel, token)
    run_jobs()
    # Another session commits the stop, as a worker process would.
    with Session(db.engine) as other:
        other.get(WatchChannel, channel.id).stopped_at = utcnow()
        other.commit()
    notify(client, channel, token)
    assert get_queue().count == 0
    assert outcome_counts(redis_connection(), hours=1) == Counter(accepted=1, stopped=1)


def test_facts_found_stale_are_read_again_in_one_query(client, connected):
    channel, token = open_channel(connected)
    notify(client, channel, token)
    run_jobs()
    # A second channel of the same connection is committed: its version changes, so the
    # remembered facts of the first are stale, though nothing the webhook judges by changed.
    channel_id = channel.channel_id
    open_channel(connected)
    seen = statements_during(lambda: notify(client, channel_id, token))
    assert len(seen) == 1 and "FROM watch_channel" in seen[0]
    assert outcome_counts(redis_connection(), hours=1)["accepted"] == 2


def test_an_import_finishing_leaves_the_webhooks_memory_alone(client, connected):
    channel, token = open_channel(connected)
    channel_id = channel.channel_id
    with Session(db.engine) as other:
        other.get(GoogleConnection, connected.id).state = "importing"
        other.commit()
    notify(client, channel_id, token)
    run_jobs()
    # Importing and connected are both active: the webhook judges the same either way.
    with Session(db.engine) as other:
        other.get(GoogleConnection, connected.id).state = "connected"
        other.commit()
    assert statements_during(lambda: notify(client, channel_id, token)) == []
    assert outcome_counts(redis_connection(), hours=1)["accepted"] == 2


def test_a_connection_that_needs_reconnecting_gets_no_pulls_and_one_reconnected_does(
    client, connected
):
    channel, token = open_channel(connected)
    notify(client, channel, token)
    run_jobs()
    with Session(db.engine) as other:
        other.get(GoogleConnection, connected.id).state = "needs_reconnect"
        other.commit()
    notify(client, channel, token)
    assert get_queue().count == 0
    with Session(db.engine) as other:
        other.get(GoogleConnection, connected.id).state = "connected"
        other.commit()
    notify(client, channel, token)
    assert get_queue().count == 1
    assert outcome_counts(redis_connection(), hours=1) == Counter(accepted=2, inactive=1)


def test_operators_see_the_counts_by_outcome(app, client, connected):
    channel, token = open_channel(connected)
    notify(client, channel, token)
    notify(client, channel, token)
    notify(client, "no-such-channel", token)
    output = app.test_cli_runner().invoke(args=["google", "notices", "--hours", "1"]).output
    counted = dict(line.split() for line in output.strip().splitlines())
    assert counted == {"accepted": "1", "coalesced": "1", "unknown_channel": "1"}


def test_with_redis_down_a_genuine_notification_is_still_answered(app, client, connected):
    channel, token = open_channel(connected)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # port 1 refuses: Redis is down
    app.extensions.pop("coordinoter_redis", None)
    try:
        notify(client, channel, token)  # asserts the 200
    finally:
        app.extensions.pop("coordinoter_redis", None)


def test_forged_channel_ids_cost_no_database_query_once_the_roster_is_read(client, connected):
    open_channel(connected)
    notify(client, "forged-1", "guessed")  # the first reads the roster of channel ids
    forged = [f"forged-{n}" for n in range(2, 12)]
    assert statements_during(lambda: [notify(client, f, "guessed") for f in forged]) == []
    assert outcome_counts(redis_connection(), hours=1)["unknown_channel"] == 11
    assert get_queue().count == 0


def test_a_channel_another_process_just_added_is_heard_at_once(client, connected):
    notify(client, "forged", "guessed")  # the roster is read before the channel exists
    # A worker process commits a new channel (as channel renewal does), then Google names it.
    token = "a-secret-only-google-and-we-know"
    with Session(db.engine) as other:
        other.add(
            WatchChannel(
                connection_id=connected.id,
                channel_id="added-by-a-worker",
                token_hash=hash_token(token),
                calendar_id=connected.calendar_id,
                expires_at=utcnow() + timedelta(days=7),
            )
        )
        other.commit()
    notify(client, "added-by-a-worker", token)
    assert outcome_counts(redis_connection(), hours=1) == Counter(unknown_channel=1, accepted=1)
    assert get_queue().count == 1
