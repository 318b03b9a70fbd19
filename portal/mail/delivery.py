"""Sending one mail row and recording how it went: sent, to try again, or failed for good."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.mail.queue import next_try
from portal.mail.sending import PermanentFailure, build_message, describe, send
from portal.mail.smtp_url import BadSmtpUrl
from portal.models import MailMessage, utcnow

log = logging.getLogger(__name__)

SENT, RETRY, FAILED, SKIPPED = "sent", "retry", "failed", "skipped"


def deliver(message_id: int, config: Mapping[str, Any]) -> str:
    """Try to send one queued row (flushes); returns SENT, RETRY, FAILED or SKIPPED."""
    row = _claim(message_id)
    if row is None or row.status != "queued":
        return SKIPPED  # sent already, or another worker is sending it right now
    if not (config.get("SMTP_URL") and config.get("MAIL_FROM")):
        row.status, row.next_attempt_at = "not_configured", None
        db.session.flush()
        return SKIPPED
    row.attempts += 1
    try:
        send(build_message(row, config["MAIL_FROM"]), config)
    except (PermanentFailure, BadSmtpUrl) as exc:
        return _record(row, FAILED, str(exc))
    except (OSError, smtplib.SMTPException) as exc:
        # The server is away or busy (4xx): try again later, up to MAIL_MAX_ATTEMPTS.
        spent = row.attempts >= int(config.get("MAIL_MAX_ATTEMPTS", 24))
        return _record(row, FAILED if spent else RETRY, describe(exc), config)
    row.status, row.sent_at, row.last_error, row.next_attempt_at = "sent", utcnow(), None, None
    db.session.flush()
    return SENT


def _record(
    row: MailMessage, outcome: str, error: str, config: Mapping[str, Any] | None = None
) -> str:
    log.warning("mail %s (%s) not sent, try %d: %s", row.id, row.kind, row.attempts, error)
    row.last_error = error
    if outcome == FAILED:
        row.status, row.next_attempt_at = "failed", None
    else:
        row.next_attempt_at = next_try(row.attempts, config or {}, utcnow())
    db.session.flush()
    return outcome


def _claim(message_id: int) -> MailMessage | None:
    """The row, locked for this send; None if another worker holds it (PostgreSQL)."""
    stmt = select(MailMessage).where(MailMessage.id == message_id)
    if db.engine.dialect.name == "postgresql":
        # Two jobs for one row (a retry and the sweep) must not both send it.
        stmt = stmt.with_for_update(skip_locked=True)
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
