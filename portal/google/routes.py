"""Google OAuth callback and push-notification routes (placeholder)."""

from flask import Blueprint

bp = Blueprint("google", __name__, url_prefix="/google")
