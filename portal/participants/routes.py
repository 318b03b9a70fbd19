"""Participants: the list, the forms to add and edit them, archiving and restoring."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.auth.access import get_for_business
from portal.extensions import db
from portal.models import Participant
from portal.participants.forms import ParticipantForm
from portal.participants.operations import (
    archive_participant,
    create_participant,
    restore_participant,
    update_participant,
)
from portal.participants.queries import others_with_ndis_number, participants_of

bp = Blueprint("participants", __name__, url_prefix="/participants")


@bp.get("")
@login_required
def index():
    """The business's participants: the current ones, or the archived ones (?archived=1)."""
    archived = request.args.get("archived") == "1"
    return render_template(
        "participants/index.html",
        participants=participants_of(current_user.business_id, archived=archived),
        archived=archived,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Add a participant; the form again with a 400 when something is wrong."""
    form = ParticipantForm()
    if form.validate_on_submit() and not _unconfirmed_duplicate(form, None):
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
    if form.validate_on_submit() and not _unconfirmed_duplicate(form, participant):
        update_participant(participant, **_fields(form))
        db.session.commit()
        return redirect(url_for("participants.index"))
    return _show_form(form, participant)


@bp.post("/<int:participant_id>/archive")
@login_required
def archive(participant_id: int):
    """Archive a participant: hidden from the list and the event form, every record kept."""
    participant = archive_participant(get_for_business(Participant, participant_id))
    db.session.commit()
    flash(f"{participant.name} is archived. Their appointments are kept.", "success")
    return redirect(url_for("participants.index"))


@bp.post("/<int:participant_id>/restore")
@login_required
def restore(participant_id: int):
    """Bring an archived participant back to the list and the event form."""
    participant = restore_participant(get_for_business(Participant, participant_id))
    db.session.commit()
    flash(f"{participant.name} is back in your participants.", "success")
    return redirect(url_for("participants.index"))


def _fields(form: ParticipantForm) -> dict:
    return {
        "name": form.name.data,
        "ndis_number": form.ndis_number.data,
        "plan_start": form.plan_start.data,
        "plan_end": form.plan_end.data,
    }


def _duplicates(form: ParticipantForm, participant: Participant | None) -> list[Participant]:
    """Other participants of the business already holding the NDIS number in the form."""
    number = form.ndis_number.data
    if not number or form.ndis_number.errors:
        return []
    except_id = participant.id if participant else None
    return others_with_ndis_number(current_user.business_id, number, except_id)


def _unconfirmed_duplicate(form: ParticipantForm, participant: Participant | None) -> bool:
    """A shared NDIS number is a warning, not a refusal: saved once the coordinator confirms."""
    return bool(_duplicates(form, participant)) and not form.duplicate_ok.data


def _show_form(form: ParticipantForm, participant: Participant | None):
    # Bad input is a 400; a shared NDIS number waiting for "Save anyway" is not an error.
    status = 400 if request.method == "POST" and form.errors else 200
    duplicates = _duplicates(form, participant) if form.ndis_number.data else []
    return render_template(
        "participants/form.html", form=form, participant=participant, duplicates=duplicates
    ), status
