"""Engineering's approvals (rule 5.3(2)): the desk asks — an equipment-room key's loan, copies of a
key —, engineering approves or refuses from its home (phone or desktop), the desk sees the answer
and lends the key, or registers the copies. Only engineering answers (``sync.keys.APPROVERS``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from sync.keys import lock_keys, may_approve
from webapp.access import roles
from webapp.errors import error_page
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.htmx import page_or_fragment, wants_fragment
from webapp.i18n import term
from webapp.keys import requests as service
from webapp.keys.basket import not_lendable, read
from webapp.keys.request_forms import (
    BasketArgs,
    CopyRequestForm,
    LendNowForm,
    LoanRequestForm,
    PlainForm,
    RefuseForm,
)
from webapp.keys.request_history import READERS
from webapp.keys.requests import Moved, Refused
from webapp.models.key_requests import KeyRequest
from webapp.models.types import utcnow
from webapp.scoping import get_scoped, visible_estate_ids

bp = Blueprint("approvals", __name__, url_prefix="/keys/requests")

DESK = ("frontdesk", "supervisor")  # who asks (a supervisor may cover the desk)
# Who reaches an answer's URL: engineering answers; anyone else is told why not (403).
ANSWER_ROUTE_ROLES = ("engineering", "frontdesk", "supervisor", "admin")


def home_context() -> dict:
    """What engineering's home shows first: the requests waiting for it, then its latest answers."""
    now = utcnow()
    estates = visible_estate_ids()
    return {
        "queue": service.pending(db.session, estates, now),
        "answered": service.decided(db.session, estates, now, limit=10),
        "now": now,
    }


def _read_basket(entries):
    return read(entries)


def _read_locked(entries):
    # An ask checks that no request of the key is waiting before it writes its own: with the
    # keys' rows locked until the commit (as the desk's lend reads them), two asks at once
    # queue, and the second finds the first's request.
    return read(entries, lock=True)


def _desk_page(status: int = 200, loan=None, copy=None):
    now = utcnow()
    estates = visible_estate_ids()
    forms = {}
    if not wants_fragment():
        forms = {
            "loan": loan or LoanRequestForm(_read_basket, formdata=None),
            "copy": copy or CopyRequestForm(_read_basket, formdata=None),
        }
    return page_or_fragment(
        "keys/requests.html",
        "keys/_requests_list.html",
        status,
        waiting=service.pending(db.session, estates, now),
        answered=service.decided(db.session, estates, now),
        can_ask=current_user.role in DESK,
        **forms,
    )


@bp.get("")
@roles(*READERS)
def index():
    """The desk's requests to engineering: the forms, those waiting, the answers (htmx polls)."""
    return _desk_page()


@bp.get("/queue")
@roles("engineering")
def queue():
    """Engineering's queue alone (its home polls it)."""
    return render_template("keys/_approvals_queue.html", **home_context())


_FORMS = {"loan-request": LoanRequestForm, "copy-request": CopyRequestForm}


@bp.get("/basket")
@roles(*DESK)
def basket_preview():
    """A request form's basket as it is being scanned: each key and what keeps it back (htmx)."""
    which = strict_args(BasketArgs, request.args)["form"]
    if not which:
        abort(404)
    form = _FORMS[which](_read_basket, formdata=request.args)
    form.preview()
    return render_template("keys/_basket.html", form=form, which=which, oob=False)


def _ask(form, make) -> list | None:
    """One request per key of a valid form, all or none; None (the form says why) if refused."""
    if not form.validate():
        db.session.rollback()
        return None
    now = utcnow()
    made = []
    for key in form.keys:
        try:
            made.append(make(key, now))
        except Refused as refused:
            db.session.rollback()
            # Said beside the key it is about, in the basket.
            form.problems = [(k, [*p, str(refused)] if k is key else p) for k, p in form.problems]
            return None
    db.session.commit()
    return made


@bp.post("/loan")
@roles(*DESK)
def ask_loan():
    """Ask engineering to let the scanned equipment-room keys out (to whom, why, how long)."""
    form = LoanRequestForm(_read_locked)
    made = _ask(
        form,
        lambda key, now: service.ask_loan(
            db.session,
            key,
            form.borrower_name.data,
            form.borrower_type.data,
            form.purpose_value,
            form.hours.data,
            current_user,
            now,
        ),
    )
    if made is None:
        return _desk_page(422, loan=form)
    flash(_("Asked engineering: %(keys)s", keys="、".join(r.key.label for r in made)), "ok")
    return redirect(url_for("approvals.index")), 303


@bp.post("/copy")
@roles(*DESK)
def ask_copy():
    """Ask engineering for copies of the scanned keys (why, how many)."""
    form = CopyRequestForm(_read_locked)
    made = _ask(
        form,
        lambda key, now: service.ask_copy(
            db.session, key, form.copies.data, form.purpose.data, current_user, now
        ),
    )
    if made is None:
        return _desk_page(422, copy=form)
    flash(_("Asked engineering: %(keys)s", keys="、".join(r.key.label for r in made)), "ok")
    return redirect(url_for("approvals.index")), 303


def _request(request_id: int) -> KeyRequest:
    return get_scoped(KeyRequest, request_id)


def _detail(row_request: KeyRequest, status: int = 200, refuse=None, message=None):
    (row,) = service.rows_of(db.session, [row_request], utcnow())
    return render_template(
        "keys/request.html",
        row=row,
        refuse=refuse or RefuseForm(formdata=None),
        lend=LendNowForm(formdata=None),
        message=message,
        can_answer=may_approve(current_user.role),
        can_ask=current_user.role in DESK,
    ), status


@bp.get("/<int:request_id>")
@roles(*READERS, scope={"request_id": "key_request"})
def show(request_id: int):
    """One request: what was asked, by whom, the answer; engineering answers here too."""
    return _detail(_request(request_id))


def _not_engineering():
    message = _(
        "Only engineering approves or refuses: equipment-room keys leave, and keys are copied,"
        " only with engineering's approval (rule 5.3)."
    )
    return error_page(403, message), 403


def _moved(req: KeyRequest, status: str):
    flash(
        _(
            "This request was already answered: %(status)s.",
            status=term("key_request_status", status),
        ),
        "error",
    )
    return redirect(url_for("home.index" if may_approve(current_user.role) else "approvals.index"))


@bp.post("/<int:request_id>/approve")
@roles(*ANSWER_ROUTE_ROLES, scope={"request_id": "key_request"})
def approve(request_id: int):
    """Engineering approves a request (a loan's approval is good for the key's lend in 12 h)."""
    req = _request(request_id)
    if not may_approve(current_user.role):
        return _not_engineering()
    if not PlainForm().validate():
        abort(400)
    return _decide(req, True, "")


@bp.post("/<int:request_id>/refuse")
@roles(*ANSWER_ROUTE_ROLES, scope={"request_id": "key_request"})
def refuse(request_id: int):
    """Engineering refuses a request, with its reason."""
    req = _request(request_id)
    if not may_approve(current_user.role):
        return _not_engineering()
    form = RefuseForm()
    if not form.validate():
        return _detail(req, 422, refuse=form)
    return _decide(req, False, form.reason.data)


def _decide(req: KeyRequest, approve: bool, reason: str):
    label = req.key.label
    try:
        service.decide(db.session, req, approve, reason, current_user, utcnow())
    except Moved as moved:
        db.session.rollback()
        return _moved(req, moved.status), 303
    except Refused as refused:
        db.session.rollback()
        return _detail(req, 422, message=str(refused))
    db.session.commit()
    if approve:
        flash(_("Approved: %(key)s", key=label), "ok")
    else:
        flash(_("Refused: %(key)s", key=label), "ok")
    return redirect(url_for("home.index")), 303


@bp.post("/<int:request_id>/withdraw")
@roles(*DESK, scope={"request_id": "key_request"})
def withdraw(request_id: int):
    """The desk takes back a request engineering has not answered."""
    req = _request(request_id)
    if not PlainForm().validate():
        abort(400)
    try:
        service.withdraw(db.session, req, current_user, utcnow())
    except Moved as moved:
        db.session.rollback()
        return _moved(req, moved.status), 303
    db.session.commit()
    flash(_("Request withdrawn: %(key)s", key=req.key.label), "ok")
    return redirect(url_for("approvals.index")), 303


@bp.post("/<int:request_id>/lend")
@roles(*DESK, scope={"request_id": "key_request"})
def lend(request_id: int):
    """Lend the key an approved loan request lets out, to whom it named, for as long."""
    req = _request(request_id)
    form = LendNowForm()
    if not form.validate():
        abort(400)
    lock_keys(db.session, [req.key_id])
    db.session.refresh(req.key)
    label = req.key.label
    why = not_lendable(req.key)
    try:
        if why:
            raise Refused(why)
        result = service.lend(db.session, req, form.id_checked.data, utcnow())
    except Refused as refused:
        db.session.rollback()
        return _detail(req, 422, message=str(refused))
    if result["status"] != "applied":
        db.session.rollback()
        return _detail(req, 422, message=_("%(key)s: not recorded.", key=label))
    db.session.commit()
    flash(_("Lent: %(keys)s", keys=label), "ok")
    return redirect(url_for("approvals.index")), 303


@bp.post("/<int:request_id>/copies")
@roles(*DESK, scope={"request_id": "key_request"})
def register_copies(request_id: int):
    """Register the new keys an approved copy request allows, each with its own label code."""
    req = _request(request_id)
    if not PlainForm().validate():
        abort(400)
    try:
        keys = service.register_copies(db.session, req, current_user, utcnow())
    except Refused as refused:
        db.session.rollback()
        return _detail(req, 422, message=str(refused))
    db.session.commit()
    flash(
        ngettext(
            "Registered %(num)d new key as a copy of %(key)s.",
            "Registered %(num)d new keys as copies of %(key)s.",
            len(keys),
            key=req.key.label,
        ),
        "ok",
    )
    return redirect(url_for("approvals.show", request_id=req.id)), 303
