"""`flask google …`: operator commands for the Google sync."""

from __future__ import annotations

from collections import Counter

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.core.queue import redis_connection
from portal.extensions import db
from portal.google.account.clients import client_for, shared_budget
from portal.google.account.tokens import ReconnectNeeded, reencrypt_all_tokens
from portal.google.api.errors import GoogleApiError
from portal.google.realtime.heard import outcome_counts
from portal.google.sync.outbox import connections_with_pending_changes
from portal.google.sync.pull import pull_changes
from portal.google.sync.push import push_pending
from portal.google.worker.enqueue import sweep_outbox
from portal.google.worker.jobs import describe_error, syncing
from portal.models import GoogleConnection, User

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
    connection = _connection_for(email)
    try:
        with syncing(connection.id) as connection:
            client = client_for(connection)
            pushed = push_pending(connection, client, checkpoint=db.session.commit)
            counts = pull_changes(connection, client, checkpoint=db.session.commit)
    except ReconnectNeeded as exc:
        raise click.ClickException(f"{email} must reconnect Google Calendar: {exc}") from exc
    except GoogleApiError as exc:
        raise click.ClickException(describe_error(exc)) from exc
    click.echo(f"Pushed to Google: {sum(pushed.values())} ({_fmt(pushed)})")
    click.echo(f"Pulled from Google: {counts.summary()}")
    click.echo(f"Google API calls: {client.calls}")


@google_cli.command("sweep")
def sweep_command() -> None:
    """Enqueue pushes for outbox rows left behind (e.g. while Redis was down)."""
    click.echo(f"Enqueued pushes for {sweep_outbox()} connection(s).")


@google_cli.command("drain")
def drain_command() -> None:
    """Push every pending outbox row now, in this process (no queue, no worker)."""
    total = 0
    for connection_id in connections_with_pending_changes():
        try:
            with syncing(connection_id) as connection:
                if connection is not None and connection.can_sync:
                    client = client_for(connection)
                    pushed = push_pending(connection, client, checkpoint=db.session.commit)
                    total += sum(pushed.values())
        except ReconnectNeeded:
            click.echo(f"connection {connection_id} needs reconnecting; its changes wait")
        except GoogleApiError as exc:
            click.echo(f"connection {connection_id}: {describe_error(exc)}")
    click.echo(f"Pushed {total} event(s).")


def _fmt(outcomes: Counter[str]) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "nothing pending"


@google_cli.command("rotate-keys")
def rotate_keys_command() -> None:
    """Re-encrypt every stored Google token under the first TOKEN_ENCRYPTION_KEY."""
    count = reencrypt_all_tokens()
    db.session.commit()
    click.echo(f"Re-encrypted the tokens of {count} connection(s); old keys can now be dropped.")


@google_cli.command("notices")
@click.option("--hours", default=24, show_default=True, help="How far back to count.")
def notices_command(hours: int) -> None:
    """Count Google's push notifications by outcome (genuine, coalesced, forged, ...)."""
    counts = outcome_counts(redis_connection(), hours)
    if not counts:
        click.echo(f"No notifications in the last {hours} hour(s).")
    for outcome, count in sorted(counts.items()):
        click.echo(f"{outcome:>16}  {count:,}")


@google_cli.command("quota")
def quota_command() -> None:
    """Google calls today and yesterday against the daily threshold, and the budget's rates."""
    budget = shared_budget()
    limits = budget.limits
    for day, calls in budget.recent_days():
        share = 100 * calls / limits.daily_threshold
        click.echo(f"{day}: {calls:,} of {limits.daily_threshold:,} calls a day ({share:.1f} %)")
    click.echo("(Google's day ends at midnight Pacific time; the first line is today.)")
    click.echo(
        f"Budget: {limits.project.per_minute:,.0f}/min for the project (burst "
        f"{limits.project.burst:,.0f}), {limits.connection.per_minute:,.0f}/min per connection "
        f"(burst {limits.connection.burst:,.0f}); a call waits at most {limits.max_wait:g} s."
    )
