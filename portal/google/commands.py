"""`flask google …`: operator commands for the Google sync."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.extensions import db
from portal.models import Event, GoogleConnection, User

google_cli = AppGroup("google", help="Google Calendar sync tools.")


def _connection_for(email: str) -> GoogleConnection:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No coordinator with email {email}.")
    connection = db.session.scalar(
        select(GoogleConnection).where(GoogleConnection.user_id == user.id)
    )
    if connection is None or not connection.is_active:
        state = connection.state if connection else "not connected"
        raise click.ClickException(f"{email} has no active Google connection ({state}).")
    return connection


@google_cli.command("sync")
@click.argument("email")
def sync_command(email: str) -> None:
    """Push pending changes and pull Google's for one coordinator, now, and say what happened."""
    from portal.google.sync import push as push_ops
    from portal.google.sync.lock import connection_lock
    from portal.google.sync.outbox import pending_event_ids
    from portal.google.sync.pull import pull_changes
    from portal.google.worker.jobs import client_for

    connection = _connection_for(email)
    with connection_lock(connection.id):
        client = client_for(connection)
        pushed: dict[str, int] = {}
        for event_id in pending_event_ids(connection.user_id):
            outcome = push_ops.push_event(connection, db.session.get(Event, event_id), client)
            pushed[outcome] = pushed.get(outcome, 0) + 1
            db.session.commit()
        counts = pull_changes(connection, client, checkpoint=db.session.commit)
        db.session.commit()
    click.echo(f"Pushed to Google: {sum(pushed.values())} ({_fmt(pushed)})")
    click.echo(f"Pulled from Google: {counts.summary()}")
    click.echo(f"Google API calls: {client.calls}")


@google_cli.command("sweep")
def sweep_command() -> None:
    """Enqueue pushes for outbox rows left behind (e.g. while Redis was down)."""
    from portal.google.worker.sweep import sweep_outbox

    click.echo(f"Enqueued pushes for {sweep_outbox()} connection(s).")


@google_cli.command("drain")
def drain_command() -> None:
    """Push every pending outbox row now, in this process (works without Redis)."""
    from portal.google.account.tokens import ReconnectNeeded
    from portal.google.sync import push as push_ops
    from portal.google.sync.lock import connection_lock
    from portal.google.sync.outbox import connections_with_pending_changes, pending_event_ids
    from portal.google.worker.jobs import client_for

    total = 0
    for connection_id in connections_with_pending_changes():
        connection = db.session.get(GoogleConnection, connection_id)
        with connection_lock(connection_id):
            try:
                client = client_for(connection)
                for event_id in pending_event_ids(connection.user_id):
                    push_ops.push_event(connection, db.session.get(Event, event_id), client)
                    db.session.commit()
                    total += 1
            except ReconnectNeeded:
                db.session.commit()
                click.echo(f"connection {connection_id} needs reconnecting; its changes wait")
    click.echo(f"Pushed {total} event(s).")


def _fmt(outcomes: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "nothing pending"


@google_cli.command("rotate-keys")
def rotate_keys_command() -> None:
    """Re-encrypt every stored Google token under the first TOKEN_ENCRYPTION_KEY."""
    from portal.google.account.tokens import reencrypt_all_tokens

    count = reencrypt_all_tokens()
    db.session.commit()
    click.echo(f"Re-encrypted the tokens of {count} connection(s); old keys can now be dropped.")


@google_cli.command("notices")
@click.option("--hours", default=24, show_default=True, help="How far back to count.")
def notices_command(hours: int) -> None:
    """Count Google's push notifications by outcome (genuine, coalesced, forged, ...)."""
    from portal.core.queue import redis_connection
    from portal.google.realtime.heard import outcome_counts

    counts = outcome_counts(redis_connection(), hours)
    if not counts:
        click.echo(f"No notifications in the last {hours} hour(s).")
    for outcome, count in sorted(counts.items()):
        click.echo(f"{outcome:>16}  {count:,}")
