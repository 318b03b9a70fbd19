"""The settings page: a member's own name, email, time zone and password."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.auth.accounts import PasswordNotAllowed
from portal.auth.sessions import start_session
from portal.auth.throttle import password_change_limits, too_many, wait_words
from portal.extensions import db
from portal.settings.forms import PasswordForm, ProfileForm
from portal.settings.operations import SettingsError, change_password, update_profile

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("")
@login_required
def page():
    """The settings page with the member's current details."""
    return _page(_profile_form(), PasswordForm(formdata=None))


@bp.post("")
@login_required
def profile():
    """Save name, email and time zone; the calendar shows the new zone straight away."""
    form = ProfileForm()
    if not form.validate_on_submit():
        return _page(form, PasswordForm(formdata=None), 400)
    try:
        user = current_user._get_current_object()
        update_profile(user, form.name.data, form.email.data, form.time_zone.data)
    except SettingsError as error:
        db.session.rollback()
        form[error.field].errors.append(str(error))
        return _page(form, PasswordForm(formdata=None), 400)
    db.session.commit()
    flash("Your details are saved.", "success")
    return redirect(url_for("settings.page"))


def _too_many_tries(seconds: int) -> Response:
    """The settings page, 429: the password form says how long to wait before trying again."""
    form = PasswordForm(formdata=None)
    form.current_password.errors = [f"Too many failed tries. Try again in {wait_words(seconds)}."]
    page, _ = _page(_profile_form(), form)
    return too_many(page, seconds)


@bp.post("/password")
@login_required
@password_change_limits(_too_many_tries)
def password():
    """Change the password; every other session ends, this one stays signed in."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return _page(_profile_form(), form, 400)
    user = current_user._get_current_object()
    try:
        change_password(user, form.current_password.data, form.new_password.data)
    except (SettingsError, PasswordNotAllowed) as error:
        db.session.rollback()
        field = getattr(error, "field", "new_password")
        form[field].errors.append(str(error))
        return _page(_profile_form(), form, 400)
    db.session.commit()
    # The raised session version ended this session too: sign in again on the new one.
    start_session(user)
    flash("Your password is changed. You were logged out everywhere else.", "success")
    return redirect(url_for("settings.page"))


def _profile_form() -> ProfileForm:
    return ProfileForm(formdata=None, obj=current_user)


def _page(profile_form: ProfileForm, password_form: PasswordForm, status: int = 200):
    page = render_template("settings/page.html", profile=profile_form, password=password_form)
    return page, status
