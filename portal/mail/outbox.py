"""Writing mail: a row per email, enqueued for sending once the transaction commits.

queue_mail only adds the row and flushes, like every business function; the request or job
that called it commits, and the commit hook below then puts each new row's send job on the
queue. If Redis is away at that moment the row simply waits: the clock's sweep
(queue.sweep_due_mail) sends it later, so a mail is never lost between the database and RQ.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.mail import queue
from portal.models import MailMessage, utcnow

log = logging.getLogger(__name__)

_TO_SEND = "coordinoter_mail_to_send"
# A queued row's own job normally sends it at once; the sweep looks at it only after this.
SWEEP_GRACE = timedelta(minutes=2)


def mail_configured(app: Flask) -> bool:
    """Whether mail can be sent: SMTP_URL and MAIL_FROM are set (admin pages say if not)."""
    return bool(app.config.get("SMTP_URL") and app.config.get("MAIL_FROM"))


def queue_mail(
    to: str,
    kind: str,
    subject: str,
    text: str,
    *,
    business_id: int | None = None,
    user_id: int | None = None,
    session: Session | None = None,
) -> MailMessage:
    """Add one email to send (flushes); it is enqueued when the transaction commits.

    `session` is for callers that work in a session of their own (the token refresh);
    without mail configured the row is kept as "not_configured" and nothing is sent.
    """
    session = session or db.session
    configured = mail_configured(current_app)
    row = MailMessage(
        recipient=to.strip(),
        kind=kind,
        subject=subject,
        body=text,
        status="queued" if configured else "not_configured",
        next_attempt_at=utcnow() + SWEEP_GRACE if configured else None,
        business_id=business_id,
        user_id=user_id,
    )
    session.add(row)
    session.flush()
    if configured:
        session.info.setdefault(_TO_SEND, []).append(row.id)
    else:
        log.warning("mail is not configured (SMTP_URL): %s mail %s kept, not sent", kind, row.id)
    return row


def install_mail_hook() -> None:
    """After every commit that queued mail, enqueue each mail's send job."""
    # On SQLAlchemy's Session class: every session of the process, web or worker.
    if not event.contains(Session, "after_commit", _send_after_commit):
        event.listen(Session, "after_commit", _send_after_commit)
        event.listen(Session, "after_soft_rollback", _forget_mail)


def _send_after_commit(session: Session) -> None:
    ids = session.info.pop(_TO_SEND, None)
    if not ids:
        return
    try:
        queue.enqueue_mail(ids, current_app.config)
    except Exception as exc:  # Redis down: the sweep sends them later
        log.warning("could not enqueue mail %s: %s", ids, exc)


def _forget_mail(session: Session, _previous: object) -> None:
    # The rows went with the rollback; their ids must not be enqueued by a later commit.
    session.info.pop(_TO_SEND, None)
