"""Participants: the list, and the forms to add and edit them."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.auth.access import get_for_business
from portal.extensions import db
from portal.models import Participant
from portal.participants.forms import ParticipantForm
from portal.participants.operations import create_participant, update_participant
from portal.participants.queries import participants_of

bp = Blueprint("participants", __name__, url_prefix="/participants")


@bp.get("")
@login_required
def index():
    """The business's participants."""
    return render_template(
        "participants/index.html", participants=participants_of(current_user.business_id)
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Add a participant; the form again with a 400 when something is wrong."""
    form = ParticipantForm()
    if form.validate_on_submit():
        create_participant(current_user.business_id, **_fields(form))
        db.session.commit()
        return redirect(url_for("participants.index"))
    return _show_form(form, None)


@bp.route("/<int:participant_id>/edit", methods=["GET", "POST"])
@login_required
def edit(participant_id: int):
    """Change a participant; the form again with a 400 when something is wrong."""
    participant = get_for_business(Participant, participant_id)
    form = ParticipantForm(obj=participant)
    if form.validate_on_submit():
        update_participant(participant, **_fields(form))
        db.session.commit()
        return redirect(url_for("participants.index"))
    return _show_form(form, participant)


def _fields(form: ParticipantForm) -> dict:
    return {
        "name": form.name.data,
        "ndis_number": form.ndis_number.data,
        "plan_start": form.plan_start.data,
        "plan_end": form.plan_end.data,
    }


def _show_form(form: ParticipantForm, participant: Participant | None):
    status = 400 if request.method == "POST" else 200
    return render_template("participants/form.html", form=form, participant=participant), status
