"""Sending mail rows over real SMTP: sent, kept while the server is away, failed for good."""

from __future__ import annotations

import ssl

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from devmail.smtp import MailServer
from devmail.store import MailStore
from portal.extensions import db
from portal.mail.delivery import RETRY, SENT, deliver
from portal.mail.jobs import send_mail_job
from portal.mail.outbox import mail_configured, queue_mail
from portal.mail.queries import unsent_mail_for_business
from portal.mail.queue import sweep_due_mail
from portal.models import MailMessage, utcnow
from tests import factories
from tests.support.processes import free_port
from tests.support.smtp import Mailbox, body_of, self_signed_certificate
from tests.support.worker import failed_jobs, queued_jobs, run_jobs


def _queue(to: str = "casey@example.org") -> MailMessage:
    row = queue_mail(to, "test", "Hello from the portal", "A line of text.\nhttps://x.test/a")
    db.session.commit()
    return row


def test_a_committed_mail_is_sent_by_the_worker(app, mailbox):
    row = _queue()

    assert queued_jobs() == [("send_mail_job", (row.id,))]
    run_jobs()

    message = mailbox.wait_for(to="casey@example.org", kind="test")
    assert message["Subject"] == "Hello from the portal"
    assert message["From"] == app.config["MAIL_FROM"]
    assert "https://x.test/a" in body_of(message)
    db.session.refresh(row)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None


def test_a_rolled_back_mail_is_neither_kept_nor_sent(app, mailbox):
    queue_mail("casey@example.org", "test", "Never", "Rolled back.")
    db.session.rollback()
    db.session.commit()

    assert queued_jobs() == []
    assert db.session.scalars(select(MailMessage)).all() == []


def test_without_smtp_url_the_row_says_not_configured_and_nothing_is_enqueued(app):
    app.config["SMTP_URL"] = None
    assert not mail_configured(app)

    row = _queue()

    assert row.status == "not_configured"
    assert queued_jobs() == []


def test_while_the_server_is_down_the_row_waits_then_goes_when_it_is_back(app):
    port = free_port()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    row = _queue()

    assert deliver(row.id, app.config) == RETRY
    db.session.commit()
    assert (row.status, row.attempts) == ("queued", 1)
    assert "Connection refused" in row.last_error or "Errno" in row.last_error
    assert row.next_attempt_at > utcnow()

    server = MailServer(MailStore(), "127.0.0.1", port).start()
    try:
        # The clock's sweep finds the row once its next try is due, and the worker sends it.
        assert sweep_due_mail(app.config, now=row.next_attempt_at) == 1
        db.session.commit()
        run_jobs()
        assert Mailbox(server).wait_for(kind="test")["Subject"] == "Hello from the portal"
    finally:
        server.stop()
    db.session.refresh(row)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_the_job_raises_so_rq_retries_and_the_failure_is_on_the_row(app):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    app.config["MAIL_RETRY_INTERVALS"] = "0,0"
    row = _queue()

    run_jobs()

    db.session.refresh(row)
    # One try and RQ's two retries, all refused; the row is still queued for the sweep.
    assert (row.status, row.attempts) == ("queued", 3)
    assert row.last_error
    assert [job.func_name for job in failed_jobs()] == ["portal.mail.jobs.send_mail_job"]


def test_a_mail_out_of_tries_is_failed_and_not_swept_again(app):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    row = _queue()

    assert deliver(row.id, app.config) == "failed"
    db.session.commit()

    assert (row.status, row.next_attempt_at) == ("failed", None)
    assert sweep_due_mail(app.config) == 0


def test_a_sent_row_is_not_sent_twice(app, mailbox):
    row = _queue()
    run_jobs()
    mailbox.wait_for(kind="test")

    assert send_mail_job(row.id) == "skipped"
    assert len(mailbox.messages) == 1


@pytest.fixture
def certificate(tmp_path):
    return self_signed_certificate(tmp_path)


def _server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_tls_by_starttls_or_on_connect_with_a_login(app, certificate, scheme):
    context = _server_context(certificate)
    tls = {"starttls": context} if scheme == "smtp" else {"implicit_tls": context}
    port = free_port()
    server = MailServer(MailStore(), "127.0.0.1", port, login=("casey", "p@ss"), **tls).start()
    app.config["SMTP_URL"] = f"{scheme}://casey:p%40ss@localhost:{port}"
    app.config["SMTP_CA_FILE"] = str(certificate[0])
    try:
        row = _queue()
        assert deliver(row.id, app.config) == SENT
        assert Mailbox(server).wait_for(kind="test")
    finally:
        server.stop()


def test_a_certificate_nobody_trusts_is_refused(app, certificate):
    port = free_port()
    server = MailServer(
        MailStore(), "127.0.0.1", port, starttls=_server_context(certificate)
    ).start()
    app.config["SMTP_URL"] = f"smtp://localhost:{port}"
    try:
        row = _queue()
        assert deliver(row.id, app.config) == RETRY
        assert "CERTIFICATE_VERIFY_FAILED" in row.last_error
        assert server.store.all() == []
    finally:
        server.stop()


class RefuseEveryone:
    """An SMTP server's handler that refuses every recipient for good (550)."""

    async def handle_RCPT(self, server, session, envelope, address, options):
        return "550 5.1.1 No such mailbox here"


def test_a_recipient_refused_for_good_fails_the_row_at_once(app):
    port = free_port()
    controller = Controller(RefuseEveryone(), hostname="127.0.0.1", port=port)
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        row = _queue()
        assert deliver(row.id, app.config) == "failed"
    finally:
        controller.stop()
    assert row.status == "failed" and "No such mailbox" in row.last_error
    assert row.attempts == 1 and row.next_attempt_at is None


def test_admins_can_list_what_has_not_gone(app):
    user = factories.make_user()
    app.config["SMTP_URL"] = None
    queue_mail(user.email, "test", "Kept", "Not sent.", business_id=user.business_id)
    queue_mail("x@example.org", "test", "Elsewhere", "Another business's.")
    db.session.commit()

    [row] = unsent_mail_for_business(user.business_id)
    assert (row.subject, row.status) == ("Kept", "not_configured")
