"""Rejected ops of the supervisor's estates and of their people: review, apply again, dismiss.

Nothing in the quarantine is ever deleted. A supervisor either applies an op again once the
cause is gone (the sender was given the estate, the item was registered) — it then goes through
the same merge as any push, as its sender, with its original receipt time — or dismisses it
with a note. Both are audited and take the op off the dashboard's "to review" count.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from sync import merge
from webapp import edge
from webapp.access import roles
from webapp.extensions import db
from webapp.forms import Choice, FilterForm, Int32, strict_args
from webapp.models import User
from webapp.models.audit import record
from webapp.models.sync import QuarantinedOp
from webapp.models.types import utcnow
from webapp.scoping import people_of, visible_estate_ids
from webapp.text import trim

bp = Blueprint("quarantine", __name__, url_prefix="/quarantine")
PAGE = 50
NOTE_MAX = 500
# The merge answers in machine codes (sync/ knows no languages); the page names them.
REASONS = {
    "validation": _l("Not valid as sent"),
    "unknown_type": _l("Unknown kind of record"),
    "unknown_code": _l("Unknown code, or a code of another estate"),
    "wrong_item": _l("The code names another kind of item"),
    "unknown_estate": _l("Estate not assigned to the sender"),
    "unknown_notice": _l("Rectification notice not received yet, or of another estate"),
    "op_id_reused": _l("Same record id sent again with other content"),
    "id_reused": _l("Record id already used by another record"),
}
# Causes that can go away (an estate assigned, an item registered): these may be applied again.
RETRYABLE = frozenset({"unknown_code", "wrong_item", "unknown_estate", "unknown_notice"})
SHOWS = ("open", "reviewed", "all")


class ListArgs(FilterForm):
    """The list's query: what to show (open: still to review) and a page."""

    show = Choice(SHOWS, default="open")
    page = Int32(default=1, low=1)


def scoped_quarantine() -> sa.Select:
    """Rejected ops about the viewer's estates, or sent by people of those estates."""
    estates = visible_estate_ids()
    people = people_of(estates)
    return sa.select(QuarantinedOp).where(
        sa.or_(
            QuarantinedOp.estate_id.in_(estates),
            sa.and_(QuarantinedOp.estate_id.is_(None), QuarantinedOp.user_id.in_(people)),
        )
    )


@bp.get("/")
@roles("supervisor", "admin")
def index():
    """Show the newest rejected ops first: those still to review, unless asked otherwise."""
    wanted = strict_args(ListArgs, request.args)
    page, show = wanted["page"], wanted["show"]
    query = scoped_quarantine()
    if show == "open":
        query = query.where(QuarantinedOp.reviewed_at.is_(None))
    elif show == "reviewed":
        query = query.where(QuarantinedOp.reviewed_at.is_not(None))
    query = query.order_by(QuarantinedOp.received_at.desc(), QuarantinedOp.id.desc())
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
        show=show,
        has_next=len(rows) > PAGE,
        reasons=REASONS,
        retryable=RETRYABLE,
        note_max=NOTE_MAX,
    )


@bp.post("/act")
@roles("supervisor", "admin")
def act():
    """Apply one rejected op again, or dismiss it with a note."""
    row_id = request.form.get("id", type=edge.object_id)
    if row_id is None:
        abort(404)
    row = db.session.scalar(scoped_quarantine().where(QuarantinedOp.id == row_id))
    if row is None:
        abort(404)
    back = redirect(url_for("quarantine.index", show=request.form.get("show", "open")))
    action = request.form.get("action")
    note = trim(request.form.get("note") or "")
    if action not in ("reapply", "dismiss"):
        flash(_("Choose to apply the record again or to dismiss it."), "error")
        return back
    if len(note) > NOTE_MAX:
        flash(_("The note is too long (at most %(n)d characters).", n=NOTE_MAX), "error")
        return back
    if row.reviewed_at is not None:
        flash(_("This record was already reviewed."), "error")
        return back
    if action == "dismiss":
        if not note:
            flash(_("Say in a note why the record is dismissed."), "error")
            return back
        _close(row, "quarantine.dismiss", {"note": note})
        db.session.commit()
        flash(_("Dismissed. The record stays in the quarantine as it was sent."), "ok")
        return back
    return _reapply(row, note, back)


def _reapply(row: QuarantinedOp, note: str, back):
    if row.error not in RETRYABLE:
        flash(_("A record rejected for this reason cannot be applied again."), "error")
        return back
    sender = db.session.get(User, row.user_id)
    # As its sender, but only into estates the reviewer also sees.
    estates = sorted(set(sender.estate_ids) & set(visible_estate_ids())) if sender else []
    actor = merge.Actor(user_id=row.user_id, estate_ids=estates, device_id=row.device_id)
    result = merge.push(db.session, actor, [row.raw], row.received_at)[0]
    if result["status"] == "rejected":
        db.session.commit()  # nothing was written but the (deduplicated) quarantine row
        reason = REASONS.get(result.get("error"), result.get("error"))
        flash(_("Still rejected: %(reason)s.", reason=reason), "error")
        return back
    _close(row, "quarantine.reapply", {"note": note, "status": result["status"]})
    db.session.commit()
    flash(_("Applied. The record is now in the register like any synced record."), "ok")
    return back


def _close(row: QuarantinedOp, action: str, after: dict) -> None:
    row.reviewed_at = utcnow()
    record(
        db.session,
        action,
        row,
        actor=current_user,
        before={"error": row.error},
        after={k: v for k, v in after.items() if v},
        estate_id=row.estate_id,
    )
