"""A real SMTP server for the tests (devmail's aiosmtpd server), and the `mailbox` fixture.

One server per test process listens on a free loopback port for the whole run; `mailbox`
empties it, points the test app's SMTP_URL at it and reads what arrived. The portal sends
through smtplib over a real socket, so what a test sees is what a mail server would get.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask

from devmail.smtp import MailServer
from devmail.store import MailStore, Received
from portal.mail.sending import KIND_HEADER
from tests.support.processes import free_port


class Mailbox:
    """What the test SMTP server received, parsed."""

    def __init__(self, server: MailServer) -> None:
        self.server = server
        self.url = f"smtp://{server.host}:{server.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        """Every mail received since the test began, oldest first."""
        return [mail.message for mail in self.server.store.all()]

    def wait_for(
        self,
        to: str | None = None,
        kind: str | None = None,
        subject: str | None = None,
        timeout: float = 10.0,
    ) -> EmailMessage:
        """The first mail to `to`, of `kind`, whose subject holds `subject`; waits for it."""

        def matches(mail: Received) -> bool:
            message = mail.message
            return (
                (to is None or to.lower() in [r.lower() for r in mail.rcpt_tos])
                and (kind is None or message[KIND_HEADER] == kind)
                and (subject is None or subject in (message["Subject"] or ""))
            )

        found = self.server.store.wait(matches, timeout)
        assert found is not None, (
            f"no mail to={to} kind={kind} subject~{subject} within {timeout} s; "
            f"got {[(m['To'], m['Subject']) for m in self.messages]}"
        )
        return found.message

    def clear(self) -> None:
        """Forget what arrived so far."""
        self.server.store.clear()


def body_of(message: EmailMessage) -> str:
    """A mail's plain text."""
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[MailServer]:
    """One plain SMTP server (no TLS, no login) per test process."""
    server = MailServer(MailStore(), "127.0.0.1", free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(app: Flask, smtp_server: MailServer) -> Iterator[Mailbox]:
    """The test SMTP server, emptied, with the test app's mail sent to it."""
    box = Mailbox(smtp_server)
    box.clear()
    app.config["SMTP_URL"] = box.url
    yield box
    box.clear()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, and its key, as PEM files in `folder`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file
