"""List rejected ops of the supervisor's estates and of their people."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from webapp.access import roles
from webapp.extensions import db
from webapp.models import User, user_estate
from webapp.models.sync import QuarantinedOp
from webapp.scoping import visible_estate_ids

bp = Blueprint("quarantine", __name__, url_prefix="/quarantine")
PAGE = 50
# The merge answers in machine codes (sync/ knows no languages); the page names them.
REASONS = {
    "validation": _l("Not valid as sent"),
    "unknown_type": _l("Unknown kind of record"),
    "unknown_code": _l("Unknown code, or a code of another estate"),
    "wrong_item": _l("The code names another kind of item"),
    "unknown_estate": _l("Estate not assigned to the sender"),
    "op_id_reused": _l("Same record id sent again with other content"),
    "id_reused": _l("Record id already used by another record"),
}


def scoped_quarantine() -> sa.Select:
    """Rejected ops about the viewer's estates, or sent by people of those estates."""
    estates = visible_estate_ids()
    people = sa.select(user_estate.c.user_id).where(user_estate.c.estate_id.in_(estates))
    return sa.select(QuarantinedOp).where(
        sa.or_(
            QuarantinedOp.estate_id.in_(estates),
            sa.and_(QuarantinedOp.estate_id.is_(None), QuarantinedOp.user_id.in_(people)),
        )
    )


@bp.get("/")
@roles("supervisor", "admin")
def index():
    """Show the newest rejected ops first."""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = scoped_quarantine().order_by(QuarantinedOp.received_at.desc(), QuarantinedOp.id.desc())
    rows = db.session.scalars(query.offset((page - 1) * PAGE).limit(PAGE + 1)).all()
    users = {
        u.id: u
        for u in db.session.scalars(sa.select(User).where(User.id.in_({r.user_id for r in rows})))
    }
    return render_template(
        "quarantine/index.html",
        rows=rows[:PAGE],
        users=users,
        page=page,
        has_next=len(rows) > PAGE,
        reasons=REASONS,
    )
