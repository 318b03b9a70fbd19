"""Housekeeping, once a day: the outbox, the activity log and the mail log stop growing.

Processed outbox rows are only a record once their change reached Google; they go after
GOOGLE_OUTBOX_KEEP_DAYS. Routine activity rows (pushes, pulls, channels …) go after
GOOGLE_ACTIVITY_KEEP_DAYS, conflicts and errors after GOOGLE_CONFLICT_KEEP_DAYS. Kept whatever
their age: what the card shows (each connection's newest rows, unreviewed conflicts, items a
pull left out that are still out). Mail that was sent (or written while mail was not set up)
goes after MAIL_KEEP_DAYS, mail refused for good after GOOGLE_CONFLICT_KEEP_DAYS; mail still
to send stays. Password-reset links go a day after they expire. Deletes run in batches of
GOOGLE_PRUNE_BATCH rows, each committed, so no statement holds a large lock or a long
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.orm import aliased

from portal.config import sync_tuning
from portal.extensions import db
from portal.google.sync.skipped import SKIPPED
from portal.models import MailMessage, OutboxEntry, PasswordReset, SyncLog, utcnow

# The card's "recent activity" shows this many rows of each connection (sync/activity.py).
CARD_ROWS = 10
# Rows kept longer and kinds shown until the coordinator has looked at them.
LASTING_KINDS = ("conflict", "error")
# Batches one run deletes at most per table; the next day's run goes on where it stopped.
MAX_BATCHES = 50


def prune(config: Mapping[str, Any], now: datetime | None = None) -> dict[str, int]:
    """Delete what no longer needs keeping; returns how many rows went from each table."""
    now = now or utcnow()

    def days(name: str) -> datetime:
        """The moment a setting's number of days before now."""
        return now - timedelta(days=sync_tuning(config, name))

    batch = int(sync_tuning(config, "GOOGLE_PRUNE_BATCH"))
    outbox = OutboxEntry.processed_at < days("GOOGLE_OUTBOX_KEEP_DAYS")
    activity = _old_activity(days("GOOGLE_ACTIVITY_KEEP_DAYS"), days("GOOGLE_CONFLICT_KEEP_DAYS"))
    mail = _old_mail(days("MAIL_KEEP_DAYS"), days("GOOGLE_CONFLICT_KEEP_DAYS"))
    resets = PasswordReset.expires_at < now - timedelta(days=1)
    return {
        "outbox_entry": delete_in_batches(OutboxEntry, outbox, batch),
        "sync_log": delete_in_batches(SyncLog, activity, batch),
        "mail_message": delete_in_batches(MailMessage, mail, batch),
        "password_reset": delete_in_batches(PasswordReset, resets, batch),
    }


def _old_mail(done: datetime, failed: datetime) -> ColumnElement[bool]:
    """Mail rows past their keep: sent or never sendable ones, and those refused for good."""
    return or_(
        and_(MailMessage.status.in_(("sent", "not_configured")), MailMessage.created_at < done),
        and_(MailMessage.status == "failed", MailMessage.created_at < failed),
    )


def _old_activity(routine: datetime, lasting: datetime) -> ColumnElement[bool]:
    """Activity rows past their keep that the card does not show."""
    waiting = (SyncLog.reviewed.is_(False)) & (
        (SyncLog.kind == "conflict") | (SyncLog.outcome == SKIPPED)
    )
    aged = or_(
        and_(SyncLog.kind.not_in(LASTING_KINDS), SyncLog.created_at < routine),
        and_(SyncLog.kind.in_(LASTING_KINDS), SyncLog.created_at < lasting, ~waiting),
    )
    return aged & _older_than_the_cards_rows()


def _older_than_the_cards_rows() -> ColumnElement[bool]:
    """Not among its connection's newest CARD_ROWS rows (a connection with fewer keeps all)."""
    newer = aliased(SyncLog)
    last_shown = (
        select(newer.id)
        .where(newer.connection_id == SyncLog.connection_id)
        .order_by(newer.created_at.desc(), newer.id.desc())
        .offset(CARD_ROWS - 1)
        .limit(1)
        .scalar_subquery()
    )
    return SyncLog.connection_id.is_(None) | (SyncLog.id < last_shown)


def delete_in_batches(model: type, condition: ColumnElement[bool], batch: int) -> int:
    """Delete the rows matching condition, `batch` at a time, committing each; returns how many."""
    gone = 0
    for _ in range(MAX_BATCHES):
        chosen = select(model.id).where(condition).order_by(model.id).limit(batch)
        deleted = db.session.execute(delete(model).where(model.id.in_(chosen))).rowcount
        db.session.commit()
        gone += deleted
        if deleted < batch:
            break
    return gone
