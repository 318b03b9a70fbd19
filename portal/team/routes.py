"""The team pages: members and invites, joining from an invite, the business's integrations."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth.access import admin_required, get_for_business
from portal.auth.accounts import PasswordNotAllowed
from portal.auth.sessions import start_session
from portal.calendar.view_support import viewer_zone
from portal.core.timezones import zone
from portal.extensions import db
from portal.google.account.incidents import open_incidents_for_business
from portal.google.worker.enqueue import enqueue_disconnect
from portal.mail.outbox import mail_configured
from portal.models import MemberInvite, User, utcnow
from portal.team.emails import invite_email, public_url, sync_reminder_email
from portal.team.forms import ButtonForm, InviteForm, JoinForm
from portal.team.operations import (
    DEFAULT_INVITE_DAYS,
    TeamError,
    accept_invite,
    deactivate_member,
    invite_member,
    make_admin,
    revoke_invite,
)
from portal.team.queries import active_members, find_invite, members_of, open_invites
from portal.team.sync_states import sync_row, sync_rows

bp = Blueprint("team", __name__)


@bp.get("/team")
@admin_required
def members():
    """The business's members, its open invites and the invite form."""
    return _members_page(InviteForm())


@bp.post("/team/invites")
@admin_required
def invite():
    """Invite a colleague: email them the link, and show it here once to pass on another way."""
    form = InviteForm()
    if not form.validate_on_submit():
        return _members_page(form, status=400)
    days = int(current_app.config.get("INVITE_DAYS", DEFAULT_INVITE_DAYS))
    try:
        new = invite_member(current_user, form.email.data, days)
    except TeamError as error:
        form.email.errors.append(str(error))
        return _members_page(form, status=400)
    link = public_url("team.join", token=new.token)
    invite_email(new.invite, link, current_user)
    db.session.commit()
    # Rendered, not redirected: the token is in this answer only, never in a session or URL.
    return _members_page(InviteForm(formdata=None), new_link=link, new_invite=new.invite)


@bp.post("/team/invites/<int:invite_id>/revoke")
@admin_required
def revoke(invite_id: int):
    """Withdraw an invite: its link stops working."""
    _button()
    revoke_invite(get_for_business(MemberInvite, invite_id))
    db.session.commit()
    flash("Invite withdrawn: its link no longer works.", "info")
    return redirect(url_for("team.members"))


@bp.post("/team/members/<int:member_id>/admin")
@admin_required
def set_admin(member_id: int):
    """Make a member admin (`admin=1`) or a coordinator again (`admin=0`)."""
    _button()
    member = get_for_business(User, member_id)
    try:
        make_admin(member, request.form.get("admin") == "1")
    except TeamError as error:
        return _members_page(InviteForm(formdata=None), error=str(error), status=400)
    db.session.commit()
    flash(f"{member.name} is {'an admin' if member.is_admin else 'a coordinator'}.", "info")
    return redirect(url_for("team.members"))


@bp.post("/team/members/<int:member_id>/deactivate")
@admin_required
def deactivate(member_id: int):
    """Deactivate a member: signed out everywhere, Google disconnected, records kept."""
    _button()
    member = get_for_business(User, member_id)
    try:
        connection_id = deactivate_member(member)
    except TeamError as error:
        return _members_page(InviteForm(formdata=None), error=str(error), status=400)
    db.session.commit()
    if connection_id is not None:
        enqueue_disconnect(connection_id, False)
    if member.id == current_user.id:
        return redirect(url_for("auth.login"))
    flash(f"{member.name} can no longer log in. Their appointments and notes stay.", "info")
    return redirect(url_for("team.members"))


@bp.get("/team/integrations")
@admin_required
def integrations():
    """Every coordinator's Google Calendar state, with a reminder button for each."""
    business_id = current_user.business_id
    return render_template(
        "team/integrations.html",
        rows=sync_rows(active_members(business_id)),
        incidents=open_incidents_for_business(business_id),
        mail_ready=mail_configured(current_app),
        form=ButtonForm(),
        zone=_viewer_zone(),
    )


@bp.post("/team/integrations/<int:member_id>/remind")
@admin_required
def remind(member_id: int):
    """Email a coordinator a reminder to connect or fix their Google Calendar."""
    _button()
    member = get_for_business(User, member_id)
    if not member.is_active:
        abort(404)
    if not mail_configured(current_app):
        flash("Email is not set up on this portal, so no reminder was sent.", "error")
        return redirect(url_for("team.integrations"))
    sync_reminder_email(sync_row(member), current_user)
    db.session.commit()
    flash(f"Reminder on its way to {member.name} ({member.email}).", "info")
    return redirect(url_for("team.integrations"))


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):
    """Join a business from an invite link: choose a name, time zone and password."""
    invite = find_invite(token)
    if invite is None or not invite.is_open(utcnow()):
        return render_template("team/join.html", invite=None), 404
    form = JoinForm()
    if form.validate_on_submit():
        try:
            user = accept_invite(token, form.name.data, form.time_zone.data, form.password.data)
        except PasswordNotAllowed as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        except TeamError as error:
            db.session.rollback()
            return render_template("team/join.html", invite=None, error=str(error)), 400
        else:
            db.session.commit()
            start_session(user)
            return redirect(url_for("calendar.week"))
    status = 400 if request.method == "POST" else 200
    return render_template("team/join.html", invite=invite, form=form), status


def _members_page(form: InviteForm, status: int = 200, **context):
    business_id = current_user.business_id
    page = render_template(
        "team/members.html",
        form=form,
        button=ButtonForm(),
        members=members_of(business_id),
        invites=open_invites(business_id),
        zone=_viewer_zone(),
        mail_ready=mail_configured(current_app),
        **context,
    )
    return page, status


def _viewer_zone() -> ZoneInfo:
    """The admin's own zone, for the times these pages show."""
    return zone(viewer_zone())


def _button() -> None:
    """A button's CSRF check (Flask-WTF's protection), else 400."""
    if not ButtonForm().validate_on_submit():
        abort(400)
