"""Business Portal → Manage Integrations (placeholder until the Google card lands)."""

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("integrations", __name__, url_prefix="/portal")


@bp.get("/integrations")
@login_required
def index():
    """Manage Integrations."""
    return render_template("integrations/index.html")
