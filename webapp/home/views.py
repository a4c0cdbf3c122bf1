"""The home page, by role: each role lands on the screen it works from."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from webapp.access import roles
from webapp.desk.queries import counts as desk_counts
from webapp.keys import approvals
from webapp.keys.views import desk_context
from webapp.registry.summary import estate_summaries
from webapp.review.views import engineering_home, home_for

bp = Blueprint("home", __name__)

# Supervisors and engineering land on the review area's screens (home_for).
HOME_TEMPLATES = {
    "patroller": "home/patroller.html",
    "frontdesk": "home/frontdesk.html",
    "admin": "home/admin.html",
}


@bp.get("/")
@roles()
def index():
    """Show the home screen of the current user's role."""
    if current_user.role == "engineering":
        # Its approvals first (the desk is waiting), then the jobs dispatched to it.
        return engineering_home(**approvals.home_context())
    if current_user.role == "supervisor":
        return home_for(current_user)
    if current_user.role == "frontdesk":
        return render_template(
            HOME_TEMPLATES["frontdesk"],
            summaries=estate_summaries(),
            key_desk=desk_context(),
            desk_counts=desk_counts(),
        )
    return render_template(HOME_TEMPLATES[current_user.role], summaries=estate_summaries())
