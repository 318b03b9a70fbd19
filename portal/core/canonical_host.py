"""Send every browser request to PUBLIC_BASE_URL's host before anything else happens.

The session cookie belongs to one host. Google sends the coordinator back to
PUBLIC_BASE_URL/google/callback, so a sign-in started at http://127.0.0.1:5000 would come
back to http://localhost:5000, where that cookie does not exist, and the flow would be lost.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, redirect, request
from werkzeug.wrappers import Response

# Probes (a load balancer, `make run`'s readiness check) may use any host name.
EXEMPT_PATHS = ("/healthz",)


def install_canonical_host(app: Flask) -> None:
    """Redirect requests for another host to PUBLIC_BASE_URL's, when CANONICAL_HOST_REDIRECT."""
    if not app.config.get("CANONICAL_HOST_REDIRECT"):
        return
    public = urlsplit(app.config["PUBLIC_BASE_URL"])

    @app.before_request
    def _to_public_host() -> Response | None:
        if request.host == public.netloc or request.path in EXEMPT_PATHS:
            return None
        target = f"{public.scheme}://{public.netloc}{request.full_path.rstrip('?')}"
        # 308 keeps the method and body, so a form posted to the other host is not lost.
        return redirect(target, code=308)
