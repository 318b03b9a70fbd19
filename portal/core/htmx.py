"""The one place that decides between a whole page and an htmx fragment."""

from __future__ import annotations

from flask import render_template, request


def is_htmx() -> bool:
    """Whether the current request was made by htmx (and wants a fragment)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def render(page: str, partial: str, status: int = 200, **context):
    """Render the partial alone for htmx requests, else the full page that includes it."""
    template = partial if is_htmx() else page
    return render_template(template, **context), status
