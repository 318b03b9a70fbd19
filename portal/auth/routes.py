"""Sign up, log in, log out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user

from portal.auth.accounts import authenticate, create_business_with_admin, email_taken
from portal.auth.forms import LoginForm, SignupForm
from portal.extensions import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow a same-site relative `next`, never an open redirect."""
    if target and target.startswith("/") and not urlsplit(target).netloc and "//" not in target:
        return target
    return url_for("calendar.week")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create a business and its first coordinator."""
    form = SignupForm()
    if form.validate_on_submit():
        if email_taken(form.email.data):
            form.email.errors.append("An account with this email already exists.")
        else:
            user = create_business_with_admin(
                form.business_name.data,
                form.name.data,
                form.email.data,
                form.password.data,
                form.time_zone.data,
            )
            db.session.commit()
            login_user(user)
            return redirect(url_for("calendar.week"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/signup.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log a coordinator in."""
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("Email or password is not right.")
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Log out (POST, so a link cannot log anyone out)."""
    logout_user()
    return redirect(url_for("auth.login"))
