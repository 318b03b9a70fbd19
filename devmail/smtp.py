"""The SMTP side: aiosmtpd in a thread of its own, every mail it accepts put in a MailStore."""

from __future__ import annotations

import ssl
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from devmail.store import MailStore


class StoreHandler:
    """aiosmtpd's handler: accept every mail and keep it."""

    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Keep the mail; 250 tells the sender it is delivered."""
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        self.store.add(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        return "250 Message accepted for delivery"


class Accounts:
    """An authenticator that accepts one user name and password (to test SMTP login)."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """Whether the login is the one configured."""
        ok = (
            getattr(auth_data, "login", None) == self.username
            and getattr(auth_data, "password", None) == self.password
        )
        return AuthResult(success=ok, handled=False)


class MailServer:
    """An SMTP server on host:port that keeps what it receives in `store`.

    `starttls` offers STARTTLS with that context; `implicit_tls` speaks TLS from the first
    byte (smtps); `login` = (user, password) requires that login.
    """

    def __init__(
        self,
        store: MailStore,
        host: str = "127.0.0.1",
        port: int = 8025,
        *,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.store, self.host, self.port = store, host, port
        options: dict[str, Any] = {}
        if starttls is not None:
            options["tls_context"] = starttls
        if implicit_tls is not None:
            options["ssl_context"] = implicit_tls
        if login is not None:
            options.update(authenticator=Accounts(*login), auth_require_tls=False)
        self._controller = Controller(
            StoreHandler(store), hostname=host, port=port, server_hostname="localhost", **options
        )

    def start(self) -> MailServer:
        """Listen (returns once the server answers)."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()
