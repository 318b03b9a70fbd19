"""Sign up, log in, log out, and choose a new password from an emailed link."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.auth.accounts import authenticate, create_business_with_admin, email_taken
from portal.auth.forms import LoginForm, SignupForm
from portal.auth.reset import complete_reset, request_reset, usable_reset
from portal.auth.reset_forms import ForgotForm, ResetForm
from portal.auth.sessions import end_session, start_session
from portal.auth.throttle import login_limits, reset_limits
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
            start_session(user)
            return redirect(url_for("calendar.week"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/signup.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@login_limits()
def login():
    """Log a coordinator in."""
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("Email or password is not right.")
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Log out here and on every other device (POST, so a link cannot log anyone out)."""
    end_session(current_user._get_current_object())
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@reset_limits()
def forgot_password():
    """Ask for a reset link; the same answer whether or not the address has an account."""
    form = ForgotForm()
    if form.validate_on_submit():
        request_reset(form.email.data)
        db.session.commit()
        return render_template("auth/forgot.html", form=form, sent_to=form.email.data)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with an emailed link (once, within the hour)."""
    reset = usable_reset(token)
    if reset is None:
        return render_template("auth/reset.html", form=None), 400
    form = ResetForm()
    if form.validate_on_submit():
        if complete_reset(reset, form.password.data) is None:
            db.session.rollback()
            return render_template("auth/reset.html", form=None), 400
        db.session.commit()
        flash("Your password is changed. Log in with your new password.", "success")
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form), status
