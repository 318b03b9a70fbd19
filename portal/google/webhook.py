"""POST /google/notify: where Google delivers push notifications (no session, no CSRF)."""

from __future__ import annotations

from flask import Blueprint, request

from portal.extensions import csrf, db
from portal.google.notifications import receive_notification

bp = Blueprint("webhook", __name__, url_prefix="/google")


@bp.post("/notify")
@csrf.exempt
def notify():
    """Record a notification and enqueue a pull; answer 200 at once so Google never retries."""
    receive_notification(request.headers)
    db.session.commit()
    return "", 200
