"""What one pull costs: the connection read once, one commit of its own, one HTTP session."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.extensions import db
from portal.google.account.clients import http_session, sync_client_for
from portal.google.worker.enqueue import enqueue_pull
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import live_events
from tests.google.test_sync_pull import google_adds, pull
from tests.support.worker import run_jobs


@dataclass
class Seen:
    """The SQL statements and commits sent while counting."""

    statements: list[str] = field(default_factory=list)
    commits: int = 0


@contextmanager
def counting() -> Iterator[Seen]:
    """Count what every engine sends in the block."""
    seen = Seen()

    def record(_conn, _cursor, statement: str, *_args) -> None:
        seen.statements.append(" ".join(statement.split()))

    def commit(_conn) -> None:
        seen.commits += 1

    event.listen(Engine, "before_cursor_execute", record)
    event.listen(Engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)
        event.remove(Engine, "commit", commit)


def test_a_pull_of_one_change_reads_its_connection_once_and_commits_once(
    connected, coordinator, google
):
    item = google_adds(google, "Home visit")
    pull(connected)
    google.state.user_patch_event(GOOGLE_USER, item["id"], {"summary": "Home visit (moved)"})
    connection_id = connected.id  # read here: the test's own read must not be counted
    with counting() as seen:
        enqueue_pull(connection_id)
        run_jobs()
    assert "Home visit (moved)" in [e.title for e in live_events(coordinator.id)]
    reads = [s for s in seen.statements if s.startswith("SELECT google_connection.")]
    # The job's own read under its lock serves the token too; no re-read after a commit.
    assert len(reads) == 1, reads
    # One commit for the pull (its page goes with the sync token); on PostgreSQL the
    # advisory lock and its release commit on their own connection.
    assert seen.commits == (3 if db.engine.dialect.name == "postgresql" else 1)


def test_sync_clients_share_one_http_session_per_thread(app, connected):
    first, second = sync_client_for(connected), sync_client_for(connected)
    assert first.session is second.session
    # The environment's proxy settings were read once, not on every call.
    assert first.session.trust_env is False
    elsewhere: list = []

    def other_thread() -> None:
        with app.app_context():
            elsewhere.append(http_session())

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert elsewhere and elsewhere[0] is not first.session
