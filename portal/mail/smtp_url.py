"""SMTP_URL, in the style of DATABASE_URL: smtp://user:password@host:port or smtps://…

smtp:// connects in the clear and switches to TLS with STARTTLS whenever the server offers it;
smtps:// speaks TLS from the first byte. The user and password are percent-decoded, so a
password holding "@" or "/" is written %40 or %2F. Ports default to 25 and 465.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class BadSmtpUrl(ValueError):
    """SMTP_URL cannot be understood; the message says why (without the password)."""


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send mail."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        # Never the password: this ends up in logs and error messages.
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"<SmtpServer {scheme}://{user}{self.host}:{self.port}>"


def parse_smtp_url(url: str) -> SmtpServer:
    """The server an SMTP_URL names; BadSmtpUrl if it names none."""
    parts = urlsplit(url.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise BadSmtpUrl("SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise BadSmtpUrl("SMTP_URL names no host")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:
        raise BadSmtpUrl("SMTP_URL's port is not a number from 1 to 65535") from exc
    return SmtpServer(
        host=parts.hostname,
        port=port,
        implicit_tls=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )
