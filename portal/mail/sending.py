"""Talking SMTP with the standard library: one mail row, one connection, STARTTLS if offered."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from portal.mail.smtp_url import SmtpServer, parse_smtp_url
from portal.models import MailMessage

TIMEOUT = 30
# Tests and the mail page find a mail by kind; the header says nothing a reader needs.
KIND_HEADER = "X-Coordinoter-Kind"


class PermanentFailure(Exception):
    """The server refused this mail for good (a 5xx answer); trying again will not help."""


def build_message(row: MailMessage, sender: str) -> EmailMessage:
    """The row as an email: plain text, UTF-8, with its own Message-ID."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message[KIND_HEADER] = row.kind
    message.set_content(row.body)
    return message


def _domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] or "localhost"


def tls_context(config: Mapping[str, Any]) -> ssl.SSLContext:
    """Certificates are checked; SMTP_CA_FILE replaces the system's list (a private relay)."""
    return ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None)


def send(message: EmailMessage, config: Mapping[str, Any]) -> None:
    """Hand one message to the SMTP server SMTP_URL names; PermanentFailure on a 5xx refusal."""
    server = parse_smtp_url(config["SMTP_URL"])
    try:
        with _connect(server, tls_context(config)) as smtp:
            smtp.send_message(message)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        if _permanent(exc):
            raise PermanentFailure(describe(exc)) from exc
        raise
    except smtplib.SMTPDataError as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure(describe(exc)) from exc
        raise


def _connect(server: SmtpServer, context: ssl.SSLContext) -> smtplib.SMTP:
    """An open, greeted (and, when possible, encrypted and logged-in) SMTP session."""
    if server.implicit_tls:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            server.host, server.port, timeout=TIMEOUT, context=context
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
    try:
        smtp.ehlo()
        if not server.implicit_tls and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        if server.username:
            smtp.login(server.username, server.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _permanent(exc: smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused) -> bool:
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return 500 <= exc.smtp_code < 600
    return all(500 <= code < 600 for code, _ in exc.recipients.values())


def describe(exc: BaseException) -> str:
    """A failed send in one line, for the row's last_error (never the password)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        return f"SMTP {exc.smtp_code}: {text}"[:500]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"recipient refused: {exc.recipients}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]
