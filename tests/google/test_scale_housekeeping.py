"""Housekeeping: processed outbox rows and old activity go, in batches; what the card shows
and what waits for the coordinator stays."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from rq.cron import CronScheduler
from sqlalchemy import insert, select

from portal.core.queue import redis_connection
from portal.extensions import db
from portal.google.intervals import HOUSEKEEPING_EVERY
from portal.google.worker import housekeeping
from portal.google.worker.clock import SCHEDULE, register_schedule
from portal.google.worker.jobs import housekeeping_job
from portal.models import MailMessage, OutboxEntry, PasswordReset, SyncLog, utcnow
from tests import factories
from tests.google.scale_support import add_connections


def days_ago(days: float) -> datetime:
    """The moment `days` before now."""
    return utcnow() - timedelta(days=days)


def test_processed_outbox_rows_go_after_their_keep_and_open_ones_stay(app):
    user = factories.make_user()
    event = factories.make_event(user)
    rows = {
        "old": {"processed_at": days_ago(20)},
        "older": {"processed_at": days_ago(40)},
        "recent": {"processed_at": days_ago(2)},
        "open": {"processed_at": None, "created_at": days_ago(60)},
    }
    ids = {}
    for name, fields in rows.items():
        entry = OutboxEntry(user_id=user.id, event_id=event.id, **fields)
        db.session.add(entry)
        db.session.flush()
        ids[name] = entry.id
    db.session.commit()
    app.config["GOOGLE_PRUNE_BATCH"] = 1
    assert housekeeping.prune(current_app.config)["outbox_entry"] == 2
    assert set(db.session.scalars(select(OutboxEntry.id))) == {ids["recent"], ids["open"]}


def add_log(connection_id: int, kind: str, age: float, **fields) -> int:
    """One activity row of a connection, `age` days old; returns its id."""
    row = {
        "connection_id": connection_id,
        "user_id": db.session.scalar(select(SyncLog.user_id).limit(1)) or _user_of(connection_id),
        "kind": kind,
        "created_at": days_ago(age),
        **fields,
    }
    return db.session.scalar(insert(SyncLog).returning(SyncLog.id), row)


def _user_of(connection_id: int) -> int:
    from portal.models import GoogleConnection

    return db.session.get(GoogleConnection, connection_id).user_id


def test_old_activity_goes_but_the_cards_rows_and_waiting_ones_stay(app):
    [busy, quiet] = add_connections(2)
    kept = {
        "unreviewed conflict": add_log(busy, "conflict", 400),
        "left-out item": add_log(busy, "error", 400, outcome="skipped"),
        "recent pull": add_log(busy, "pull", 3),
        "recent error": add_log(busy, "error", 100, outcome="failed"),
        "the quiet one's last": add_log(quiet, "pull", 90),
    }
    gone = {
        "old pull": add_log(busy, "pull", 45),
        "old reviewed conflict": add_log(busy, "conflict", 400, reviewed=True),
        "old error": add_log(busy, "error", 400, outcome="failed"),
        "old skip, since brought in": add_log(busy, "error", 400, outcome="skipped", reviewed=True),
    }
    # With the recent pull, the card's ten newest rows of the busy connection: old but shown.
    for n in range(housekeeping.CARD_ROWS - 1):
        kept[f"shown {n}"] = add_log(busy, "push", 40 - n / 10)
    db.session.commit()
    app.config["GOOGLE_PRUNE_BATCH"] = 2
    pruned = housekeeping.prune(current_app.config)["sync_log"]
    left = set(db.session.scalars(select(SyncLog.id)))
    assert {name for name, row in kept.items() if row not in left} == set()
    assert pruned == len(gone)
    assert set(housekeeping.prune(current_app.config).values()) == {0}


def test_old_mail_and_spent_reset_links_go_and_mail_still_to_send_stays(app):
    user = factories.make_user()

    def mail(status: str, age: float) -> int:
        row = MailMessage(recipient=user.email, kind="test", subject="s", body="b", status=status)
        row.created_at = days_ago(age)
        db.session.add(row)
        db.session.flush()
        return row.id

    kept = {mail("sent", 89), mail("failed", 364), mail("queued", 400), mail("not_configured", 5)}
    gone = {mail("sent", 91), mail("not_configured", 91), mail("failed", 366)}
    for expired_days_ago, token in ((2, "a" * 64), (0.5, "b" * 64)):
        at = days_ago(expired_days_ago)
        db.session.add(PasswordReset(user_id=user.id, token_hash=token, expires_at=at))
    db.session.commit()
    pruned = housekeeping.prune(current_app.config)
    assert pruned["mail_message"] == len(gone) and pruned["password_reset"] == 1
    assert set(db.session.scalars(select(MailMessage.id))) == kept
    assert db.session.scalars(select(PasswordReset.token_hash)).all() == ["b" * 64]


def test_housekeeping_runs_daily_from_the_clock_and_failed_clock_jobs_are_kept_a_week(app):
    assert (housekeeping_job, HOUSEKEEPING_EVERY, 1800) in SCHEDULE
    assert HOUSEKEEPING_EVERY == 24 * 3600
    scheduler = CronScheduler(connection=redis_connection())
    register_schedule(scheduler, app, "coordinoter")
    registered = {job.func: job for job in scheduler.get_jobs()}
    assert registered[housekeeping_job].interval == HOUSEKEEPING_EVERY
    assert {job.job_options["failure_ttl"] for job in registered.values()} == {7 * 86400}
    assert set(housekeeping_job().values()) == {0}
