"""The client's address behind the platform's router, for throttling and logs."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def install_proxy_fix(app: Flask) -> None:
    """Believe X-Forwarded-For from TRUSTED_PROXY_HOPS proxies (the router appends the client)."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    # Without a proxy in front, the header is the client's own word: never believed.
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=0, x_host=0)
