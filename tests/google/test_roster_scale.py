"""The webhook's memory at scale: a change costs its own connection's channels, not everyone's.

Counted in SQL statements, never timed: a notification for a known channel costs no query
however many channels there are, a renewal elsewhere re-reads nothing, and a full memory
forgets its oldest facts rather than all of them.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from portal.core.queue import redis_connection
from portal.extensions import db
from portal.google.realtime import directory
from portal.google.realtime.channels import hash_token
from portal.google.realtime.heard import outcome_counts
from portal.models import WatchChannel, utcnow
from tests.google.scale_support import add_channels, add_connections
from tests.google.test_channel_directory import notify, statements_during

TOKEN = "a-secret-only-google-and-we-know"


def add_channel(connection_id: int, channel_id: str) -> None:
    """A channel committed by another session, as a worker process's renewal does."""
    with Session(db.engine) as other:
        other.add(
            WatchChannel(
                connection_id=connection_id,
                channel_id=channel_id,
                token_hash=hash_token(TOKEN),
                calendar_id="primary",
                expires_at=utcnow() + timedelta(days=7),
            )
        )
        other.commit()


def stop_channel(channel_id: str) -> None:
    """Another session stops a channel through the ORM, as renewal's stop does."""
    with Session(db.engine) as other:
        channel = other.query(WatchChannel).filter_by(channel_id=channel_id).one()
        channel.stopped_at = utcnow()
        other.commit()


def two_connections(client) -> tuple[int, int]:
    """Two coordinators with a live channel each, both heard once (so both are remembered)."""
    first, second = add_connections(2)
    add_channel(first, "first-old")
    add_channel(second, "second")
    notify(client, "first-old", TOKEN)
    notify(client, "second", TOKEN)
    return first, second


def test_a_renewal_costs_other_connections_nothing(client):
    first, _second = two_connections(client)
    roster_read_at = directory._roster.read_at
    # Renewal: the new channel opens, then the old one stops, in two commits.
    add_channel(first, "first-new")
    stop_channel("first-old")
    assert statements_during(lambda: notify(client, "second", TOKEN)) == []
    # The new channel is heard at once, from the roster's stream entry, not a full re-read.
    assert len(statements_during(lambda: notify(client, "first-new", TOKEN))) == 2
    # The stopped channel's facts were remembered: they name its connection, so one query.
    assert len(statements_during(lambda: notify(client, "first-old", TOKEN))) == 1
    assert directory._roster.read_at == roster_read_at
    assert statements_during(lambda: notify(client, "forged", "guessed")) == []
    counts = outcome_counts(redis_connection(), hours=1)
    assert counts["stopped"] == 1 and counts["unknown_channel"] == 1


def test_a_full_memory_forgets_its_oldest_facts_not_all_of_them(client, monkeypatch):
    monkeypatch.setattr(directory, "MAX_ENTRIES", 3)
    connections = add_connections(4)
    for n, connection in enumerate(connections):
        add_channel(connection, f"channel-{n}")
    for n in range(4):
        notify(client, f"channel-{n}", TOKEN)
    assert list(directory._known)[-3:] == ["channel-1", "channel-2", "channel-3"]
    assert "channel-0" not in directory._known
    for n in (1, 2, 3):
        assert statements_during(lambda n=n: notify(client, f"channel-{n}", TOKEN)) == []


def test_channels_stopped_in_bulk_are_not_trusted_from_memory(client):
    two_connections(client)
    # One UPDATE for many channels names no rows to the session's hooks.
    with Session(db.engine) as other:
        other.execute(update(WatchChannel).values(stopped_at=utcnow()))
        other.commit()
    notify(client, "first-old", TOKEN)
    notify(client, "second", TOKEN)
    counts = outcome_counts(redis_connection(), hours=1)
    assert counts["stopped"] == 2


def test_bulk_updates_of_what_the_webhook_ignores_leave_its_memory_alone(client):
    two_connections(client)
    generation = directory.current_generation()
    with Session(db.engine) as other:
        other.execute(update(WatchChannel).values(live_at=utcnow()))
        other.commit()
    assert directory.current_generation() == generation
    assert statements_during(lambda: notify(client, "second", TOKEN)) == []


def test_channels_inserted_in_bulk_are_heard(client):
    [connection] = add_connections(1)
    notify(client, "forged", "guessed")  # the roster is read before the channels exist
    add_channels([connection], timedelta(days=7), token_hash=hash_token(TOKEN))
    notify(client, f"scale-{connection}-0-604800", TOKEN)
    assert outcome_counts(redis_connection(), hours=1) == Counter(unknown_channel=1, accepted=1)
