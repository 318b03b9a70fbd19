"""Participants (placeholder until the participants feature lands)."""

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("participants", __name__, url_prefix="/participants")


@bp.get("")
@login_required
def index():
    """The participant list."""
    return render_template("participants/index.html")
