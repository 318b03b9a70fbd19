"""Security headers on every response, and no-store on every page a coordinator sees logged in.

The fixed headers are added by a WSGI middleware around everything, the webhook included
(google/webhook.py answers below Flask). What the browser may run is our own files only:
scripts from 'self', no eval, no inline script; htmx is configured to match in base.html.
Inline style *attributes* stay allowed: the week view positions each event with one, and an
attribute can carry no script.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_login import current_user

HSTS = "max-age=31536000"


def content_security_policy(google_auth_uri: str) -> str:
    """The CSP: our own origin only, except the one form that goes on to Google's sign-in."""
    auth = urlsplit(google_auth_uri)
    # Chromium applies form-action to the redirect after POST /google/connect as well.
    google = f" {auth.scheme}://{auth.netloc}" if auth.netloc else ""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "style-src-attr 'unsafe-inline'",
            "img-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self'{google}",
            "frame-ancestors 'none'",
        )
    )


def security_headers(config: dict[str, Any]) -> list[tuple[str, str]]:
    """The headers every response carries, from the app's configuration."""
    headers = [
        ("Content-Security-Policy", content_security_policy(config.get("GOOGLE_AUTH_URI", ""))),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    # Only a site served over https may promise browsers it always will be.
    if config["PUBLIC_BASE_URL"].startswith("https://"):
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


class SecurityHeaders:
    """WSGI middleware adding the fixed headers to every response that lacks them."""

    def __init__(self, wsgi_app: Callable, headers: Iterable[tuple[str, str]]) -> None:
        self.wsgi_app = wsgi_app
        self.headers = list(headers)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Run the app, adding the headers as it starts its response."""

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            headers.extend(pair for pair in self.headers if pair[0].lower() not in present)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def no_store_when_logged_in(response: Response) -> Response:
    """after_request: pages seen logged in are never kept by the browser or any cache."""
    # Back after logout must not show a participant list from the browser's cache.
    if request.endpoint != "static" and current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


def install_security_headers(app: Flask) -> None:
    """Wrap the whole WSGI stack (webhook included) and add no-store to logged-in pages."""
    app.after_request(no_store_when_logged_in)
    app.wsgi_app = SecurityHeaders(app.wsgi_app, security_headers(app.config))
