"""Access logs that never hold an OAuth callback's `code` or `state`.

Google's sign-in returns to /google/callback?code=…&state=…; a logged code is a credential
for a few minutes and the state ties a browser to a sign-in. gunicorn's access log (the
RedactingLogger below, named in gunicorn.conf.py) and the development server's request log
(redact_werkzeug_requests) write those values as "[redacted]". This module imports no part
of the app: gunicorn's master process loads it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

# `code` and `state` after "?" or "&" (a request line, a URL), or opening a bare query string.
_SECRET = re.compile(r"(?:(?<=[?&])|^)(code|state)=[^&\s\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """A URL, request line or query string with the OAuth parameters' values replaced."""
    return _SECRET.sub(r"\1=[redacted]", text)


class RedactingLogger(Logger):
    """gunicorn's logger, its access-log atoms redacted."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        """gunicorn's atoms with the request line, query string and referrer redacted."""
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = redact(atoms["r"])
        atoms["q"] = redact(atoms["q"] or "")
        atoms["f"] = redact(atoms["f"])
        for name in ("{referer}i", "{raw_uri}e"):
            if name in atoms:
                atoms[name] = redact(str(atoms[name]))
        return atoms


class _RedactRequestLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_werkzeug_requests() -> None:
    """Redact the development server's request lines (`make run`)."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, _RedactRequestLine) for f in logger.filters):
        logger.addFilter(_RedactRequestLine())
