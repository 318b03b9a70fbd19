"""The mail jobs the worker runs: thin functions that take ids and commit."""

from __future__ import annotations

from flask import current_app

from portal.core.jobs import job
from portal.extensions import db
from portal.mail.delivery import RETRY, deliver
from portal.mail.queue import sweep_due_mail


class MailNotSent(Exception):
    """Raised (after the row is committed) so RQ retries the send with its backoff."""


@job
def send_mail_job(message_id: int) -> str:
    """Send one mail row; a failure that may pass is committed on the row, then retried."""
    outcome = deliver(message_id, current_app.config)
    db.session.commit()
    if outcome == RETRY:
        raise MailNotSent(f"mail {message_id} not sent yet; see its last_error")
    return outcome


@job
def sweep_mail_job() -> int:
    """Clock: enqueue again the queued mail whose job was lost (Redis down, retries spent)."""
    enqueued = sweep_due_mail(current_app.config)
    db.session.commit()
    return enqueued
