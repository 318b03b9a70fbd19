"""The channel scans at scale: renewal, channels to open and orphans, each selected in SQL with
a limit, orphans stopped in bulk."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from portal.core.queue import get_queue
from portal.extensions import db
from portal.google.realtime import channels
from portal.google.realtime.directory import current_generation
from portal.google.worker.jobs import channels_job
from portal.models import GoogleConnection, WatchChannel, utcnow
from tests.google.scale_support import add_channels, add_connections
from tests.support.sql import recorded_statements


def open_channel_ids() -> set[int]:
    """The ids of the channels not stopped."""
    return set(db.session.scalars(select(WatchChannel.id).where(WatchChannel.stopped_at.is_(None))))


def test_renewal_takes_the_channels_expiring_soonest_up_to_its_limit(app):
    week = add_connections(3)
    add_channels(week, timedelta(days=5))
    soon = add_connections(3)
    add_channels(soon, timedelta(hours=2))
    sooner = add_connections(2)
    add_channels(sooner, timedelta(hours=1))
    inactive = add_connections(2, state="needs_reconnect")
    add_channels(inactive, timedelta(hours=1))
    assert channels.connections_due_for_renewal(4) == [*sooner, *soon[:2]]
    assert sorted(channels.connections_due_for_renewal(100)) == sorted(sooner + soon)


def test_connections_without_an_open_channel_are_found_in_turns(app):
    now = utcnow()
    listening = add_connections(3)
    add_channels(listening, timedelta(days=5))
    expired = add_connections(2, due_at=now + timedelta(minutes=1))
    add_channels(expired, -timedelta(minutes=1))
    never = add_connections(2, due_at=now + timedelta(minutes=2))
    add_connections(2, state="disconnected")
    assert channels.connections_without_channel(3) == [*expired, never[0]]
    assert channels.connections_without_channel(10) == [*expired, *never]


def test_the_channels_job_enqueues_renewals_and_openings_in_one_go(app):
    due = add_connections(30)
    add_channels(due, timedelta(hours=3))
    missing = add_connections(20)
    result = channels_job()
    assert result["renewing"] == 50
    assert sorted(job.args[0] for job in get_queue().get_jobs()) == sorted(due + missing)
    assert channels_job()["renewing"] == 0


def test_orphans_are_stopped_with_statements_that_do_not_grow_with_their_number(app):
    def orphans(count: int) -> None:
        """`count` open channels whose connections are then disconnected."""
        ids = add_connections(count)
        add_channels(ids, timedelta(days=3))
        db.session.execute(
            update(GoogleConnection)
            .where(GoogleConnection.id.in_(ids))
            .values(state="disconnected")
        )
        db.session.commit()

    orphans(3)
    with recorded_statements() as few:
        assert channels.stop_orphans(100, lambda _cid: None) == 3
    db.session.commit()
    orphans(60)
    generation = current_generation()
    with recorded_statements() as many:
        assert channels.stop_orphans(100, lambda _cid: None) == 60
    db.session.commit()
    assert len(many) == len(few)
    assert open_channel_ids() == set()
    # Web processes forget what they knew of the stopped channels.
    assert current_generation() != generation


def test_orphans_are_stopped_a_limited_number_at_a_time(app):
    ids = add_connections(5, state="needs_reconnect")
    add_channels(ids, timedelta(days=3))
    assert channels.stop_orphans(2, lambda _cid: None) == 2
    db.session.commit()
    assert len(open_channel_ids()) == 3
