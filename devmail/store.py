"""The received mails: kept in memory, optionally in a JSON file, and waited for by tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

# Only the newest mails are kept: a developer reads the last few, not a year's.
KEEP = 500


@dataclass(frozen=True)
class Received:
    """One mail as the server took it: the envelope, the time and the raw message."""

    id: int
    received_at: str
    mail_from: str
    rcpt_tos: list[str]
    raw: str

    @property
    def message(self) -> EmailMessage:
        """The parsed message."""
        return BytesParser(policy=policy.default).parsebytes(self.raw.encode())


class MailStore:
    """Thread-safe list of received mails (the SMTP thread adds, pages and tests read)."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._mails: list[Received] = []
        self._changed = threading.Condition()
        self._next_id = 1
        if path is not None and path.exists():
            self._mails = [Received(**item) for item in json.loads(path.read_text())]
            self._next_id = max((mail.id for mail in self._mails), default=0) + 1

    def add(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> Received:
        """Keep one mail and wake whoever waits for it."""
        with self._changed:
            mail = Received(
                id=self._next_id,
                received_at=datetime.now(UTC).isoformat(timespec="seconds"),
                mail_from=mail_from,
                rcpt_tos=list(rcpt_tos),
                raw=raw.decode("utf-8", errors="replace"),
            )
            self._next_id += 1
            self._mails = [*self._mails, mail][-KEEP:]
            self._save()
            self._changed.notify_all()
        return mail

    def all(self) -> list[Received]:
        """Every kept mail, oldest first."""
        with self._changed:
            return list(self._mails)

    def get(self, mail_id: int) -> Received | None:
        """One mail by its number."""
        return next((mail for mail in self.all() if mail.id == mail_id), None)

    def clear(self) -> None:
        """Forget every mail."""
        with self._changed:
            self._mails = []
            self._save()

    def wait(self, matches: Callable[[Received], bool], timeout: float) -> Received | None:
        """The first kept mail that matches, waiting up to `timeout` seconds for one."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((mail for mail in self._mails if matches(mail)), None)
                left = deadline - time.monotonic()
                if found is not None or left <= 0:
                    return found
                self._changed.wait(left)

    def _save(self) -> None:
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self._path.with_suffix(".tmp")
            temporary.write_text(json.dumps([asdict(mail) for mail in self._mails]))
            temporary.replace(self._path)
