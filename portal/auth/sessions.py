"""Sessions that really end: each session carries the coordinator's session version.

The session cookie holds "<user id>.<session version>" (User.get_id). Raising the version
in the database ends every session of that coordinator at its next request, wherever the
cookie was copied to: logging out, setting a password and (later) deactivating call
end_all_sessions.
"""

from __future__ import annotations

from flask import current_app, g, session
from flask_login import login_user, logout_user

from portal.extensions import db
from portal.models import User


def load_user(session_user_id: str) -> User | None:
    """flask-login's loader: the user whose id and session version the session holds, or None."""
    user_id, _, version = session_user_id.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Make every session of this coordinator invalid (flushes; the caller commits)."""
    # In SQL, so two requests ending sessions at once both count.
    user.session_version = User.session_version + 1
    db.session.flush()
    db.session.refresh(user, ["session_version"])


def start_session(user: User) -> None:
    """Log this coordinator in on a fresh CSRF token."""
    _forget_csrf_token()
    login_user(user)


def end_session(user: User) -> None:
    """Log out here and everywhere else this coordinator is logged in; commits."""
    end_all_sessions(user)
    db.session.commit()
    logout_user()
    _forget_csrf_token()


def _forget_csrf_token() -> None:
    # A token seen before login (or by whoever shared the browser) must not outlive it.
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(name, None)
    g.pop(name, None)
