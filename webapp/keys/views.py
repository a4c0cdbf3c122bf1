"""The key register 《房屋鑰匙管理記錄表》 for the front desk and supervisors: each key's custody
from the event log, filters, CSV/XLSX exports, overdue keys, and the disputed-keys queue."""

from __future__ import annotations

import io
import time
import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

import webapp.models.keys  # noqa: F401  (the register's tables)
from sync.keys import APPROVERS, append_key_event, approval_for
from webapp import exports
from webapp.access import roles
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.htmx import page_or_fragment, wants_fragment
from webapp.keys import basket, export, ledger, queries
from webapp.keys.forms import ApproveForm, BasketArgs, LendForm, ResolveForm, ReturnForm
from webapp.keys.history import signatures
from webapp.keys.pushing import NotRecorded, push_whole
from webapp.models import Estate, Key
from webapp.models.audit import record
from webapp.models.keys import KeyResolution
from webapp.models.types import utcnow
from webapp.scoping import get_scoped, scoped

bp = Blueprint("keys", __name__, url_prefix="/keys")

# Engineering holds the equipment-room keys: it reads the register and the loan record (the
# approver column is its own), never lends, returns or resolves.
VIEWERS = ("frontdesk", "supervisor", "admin", "engineering")
RESOLVERS = ("supervisor",)


def _estates():
    return db.session.scalars(scoped(Estate).where(Estate.active).order_by(Estate.id)).all()


@bp.get("/")
@roles(*VIEWERS)
def register():
    """Show the register: every key's custody, overdue and disputed first (table alone for htmx)."""

    filters = queries.Filters.from_args(request.args)
    rows, has_next, total = queries.page_of(filters, current_user)
    issued = [r.last.id for r in rows if r.last is not None and r.last.action == "issue"]
    fragment = wants_fragment()
    return page_or_fragment(
        "keys/register.html",
        "keys/_register_table.html",
        rows=rows,
        has_next=has_next,
        total=total,
        filters=filters,
        signed=signatures(db.session, issued),
        estates=[] if fragment else _estates(),
        counts={} if fragment else queries.counts(current_user, filters.estate),
    )


@bp.get("/ledger")
@roles(*VIEWERS)
def ledger_page():
    """Show the loan record 《房屋鑰匙管理記錄表》: every movement, a line per loan, in pages."""
    filters = ledger.Filters.from_args(request.args)
    lines, has_next, total = ledger.page_of(filters, current_user)
    return page_or_fragment(
        "keys/ledger.html",
        "keys/_ledger_table.html",
        lines=lines,
        has_next=has_next,
        total=total,
        filters=filters,
        estates=[] if wants_fragment() else _estates(),
    )


@bp.get("/ledger.<any(csv, xlsx):fmt>")
@roles(*VIEWERS, scope={"fmt": "plain"})
def ledger_export(fmt: str):
    """Download the loan record the filters select (all of it unfiltered): CSV streams."""
    filters = ledger.Filters.from_args(request.args)
    tz = get_timezone()
    if fmt == "csv":
        body = stream_with_context(ledger.csv_chunks(filters, current_user, tz))
        response = current_app.response_class(body, mimetype=export.CSV_MIME)
    else:
        data = ledger.to_xlsx(filters, current_user, tz)
        response = current_app.response_class(data, mimetype=export.XLSX_MIME)
    return exports.name_download(response, f"key-loans-{time.strftime('%Y%m%d')}.{fmt}")


@bp.get("/register.<any(csv, xlsx):fmt>")
@roles(*VIEWERS, scope={"fmt": "plain"})
def register_export(fmt: str):
    """Download every key the register's filters select (all pages) as CSV or XLSX."""
    filters = queries.Filters.from_args(request.args)
    rows = queries.all_rows(filters, current_user)
    tz = get_timezone()
    if fmt == "csv":
        data, mime = export.to_csv(rows, tz), export.CSV_MIME
    else:
        data, mime = export.to_xlsx(rows, tz), export.XLSX_MIME
    name = f"key-register-{time.strftime('%Y%m%d')}.{fmt}"
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True, download_name=name)


@bp.get("/disputes")
@roles(*VIEWERS)
def disputes():
    """List disputed keys with every event of each, the ones that do not fit marked."""
    return _disputes_page()


def _disputes_page(refused: tuple[int, ResolveForm] | None = None):
    """The disputes page; ``refused``: a key's resolve form that was refused, shown back with
    its messages beside its fields and what was typed (422)."""
    keys = db.session.scalars(
        scoped(Key).where(Key.status == "disputed").order_by(Key.estate_id, Key.id)
    ).all()
    return render_template(
        "keys/disputes.html",
        items=[(k, queries.history(k)) for k in keys],
        can_resolve=current_user.role in RESOLVERS,
        resolutions=_recent_resolutions(),
        refused=refused,
    ), (422 if refused else 200)


def _recent_resolutions():
    """The latest resolutions, each with its key (for the key's label)."""

    resolutions = db.session.scalars(
        scoped(KeyResolution).order_by(KeyResolution.created_at.desc()).limit(20)
    ).all()
    keys = {
        k.id: k
        for k in db.session.scalars(
            scoped(Key)
            .where(Key.id.in_({r.key_id for r in resolutions}))
            .options(selectinload(Key.unit), selectinload(Key.building))
        )
    }
    return [(r, keys.get(r.key_id)) for r in resolutions]


@bp.post("/<int:key_id>/resolve")
@roles(*RESOLVERS, scope={"key_id": "key"})
def resolve(key_id: int):
    """Resolve a disputed key with a note: a settle event joins its history; both (all) original
    events stay as they are."""
    key = get_scoped(Key, key_id)
    if key.status != "disputed":
        abort(409)
    form = ResolveForm()
    if not form.validate():
        return _disputes_page((key.id, form))
    status, note, holder = form.status.data, form.note.data, form.holder_name.data
    holder_type = form.holder_type_for(key) if holder else None
    now = utcnow()
    before = {"status": key.status, "holder": key.holder_name}
    event_id = str(uuid.uuid4())
    append_key_event(
        db.session,
        key.id,
        {
            "id": event_id,
            "op_id": str(uuid.uuid4()),
            "action": "settle",
            "settled_status": status,
            "borrower_name": holder if status != "in" else None,
            "borrower_type": holder_type,
            "purpose": note[:200],
            "user_id": current_user.id,
            "device_id": None,
            "occurred_at": now,
            "received_at": now,
            "clock_skewed": False,
            "retired_code": False,
        },
        now,
    )
    db.session.add(
        KeyResolution(
            estate_id=key.estate_id,
            key_id=key.id,
            settle_event_id=event_id,
            status=status,
            holder_name=holder,
            note=note,
            user_id=current_user.id,
        )
    )
    record(
        db.session,
        "key.resolve",
        key,
        actor=current_user,
        before=before,
        after={"status": key.status, "holder": key.holder_name, "note": note},
        estate_id=key.estate_id,
    )
    db.session.commit()
    flash(_("Dispute resolved: %(key)s", key=key.label), "ok")
    return redirect(url_for("keys.disputes")), 303


def desk_context() -> dict:
    """What the front desk's home shows: counts and the overdue keys."""
    filters = queries.Filters(status="overdue")
    rows, _more, _total = queries.page_of(filters, current_user)
    return {"key_counts": queries.counts(current_user), "overdue_rows": rows[:10]}


@bp.route("/handover", methods=["GET", "POST"])
@roles("frontdesk", "supervisor")
def handover():
    """The key handover is part of the desk's shift handover 《前臺交接日志》 now: go there, with
    the estate and the codes a phone's stocktake sends (a post keeps its method)."""
    args = {k: v for k, v in request.args.items() if k in ("estate", "codes")}
    code = 308 if request.method == "POST" else 301
    return redirect(url_for("desk.handover_form", **args), code)


# ---------------------------------------------------------------- the desk, online
# The desk's lends, returns, issues and approvals are ops pushed through the same merge as
# the phones' (one rule for both); online, an unapproved equipment-room lend is refused.

DESK_ROLES = ("frontdesk", "supervisor")
APPROVER_ROLES = APPROVERS  # engineering alone: the one rule, in sync/keys.py


def _read_basket(entries: list[str]) -> basket.Basket:
    return basket.read(entries)


def _read_locked(entries: list[str]) -> basket.Basket:
    # The keys' rows stay locked until the commit: what the form checked still holds when
    # the ops are merged.
    return basket.read(entries, lock=True)


def _has_approval(key: Key) -> bool:
    return approval_for(db.session, key.id, utcnow()) is not None


def _desk_page(status=200, lend=None, give_back=None, approve=None):
    return render_template(
        "keys/desk.html",
        can_lend=current_user.role in DESK_ROLES,
        can_approve=current_user.role in APPROVER_ROLES,
        lend=lend or LendForm(_read_basket, _has_approval, formdata=None),
        give_back=give_back or ReturnForm(_read_basket, formdata=None),
        approve=approve or ApproveForm(_read_basket, formdata=None),
    ), status


_PREVIEWS = {"lend": DESK_ROLES, "return": DESK_ROLES, "approve": APPROVER_ROLES}


@bp.get("/desk/basket")
@roles(*DESK_ROLES, *APPROVER_ROLES)
def basket_preview():
    """A desk form's basket as it is being scanned: each key and what keeps it back (htmx);
    the lend form's purpose and due back follow the keys' defaults until the desk types."""
    which = strict_args(BasketArgs, request.args)["form"]
    if not which or current_user.role not in _PREVIEWS[which]:
        abort(404)
    if which == "lend":
        form = LendForm(_read_basket, _has_approval, formdata=request.args)
    elif which == "return":
        form = ReturnForm(_read_basket, formdata=request.args)
    else:
        form = ApproveForm(_read_basket, formdata=request.args)
    form.preview()
    if which == "lend":
        form.fill_defaults(utcnow())
    return render_template("keys/_basket.html", form=form, which=which, oob=True)


@bp.get("/desk")
@roles(*DESK_ROLES, *APPROVER_ROLES)
def desk():
    """The desk's lend, return and approval forms: key tags scanned or typed, as a basket."""
    return _desk_page()


def _act(form, op_type: str, page: str, ok_message: str, accept=("applied",)):
    """Record the basket's ops as one action, all or nothing, and go back to the desk; if one
    key's op is not recorded, none is, and the form comes back as sent with that key named.
    Each key's answer is said: a return that does not fit the key's history is recorded (the
    key is in the desk's hand), the key then disputed."""
    # Labels read before the merge locks and reloads the keys (it drops what they had loaded).
    labels = [k.label for k in form.keys]
    try:
        results = push_whole(op_type, form.payloads(), accept)
    except NotRecorded as refused:
        form.not_recorded(refused.index, refused.message(labels[refused.index]))
        return _desk_page(refused.http_status, **{page: form})
    db.session.commit()
    done = []
    for label, result in zip(labels, results, strict=True):
        if result["status"] == "conflict":
            flash(
                _(
                    "%(key)s: recorded, but it does not fit the key's history: the key is now"
                    " disputed.",
                    key=label,
                ),
                "error",
            )
        else:
            done.append(label)
    if done:
        flash(ok_message % {"keys": "、".join(done)}, "ok")
    return redirect(url_for("keys.desk")), 303


@bp.post("/lend")
@roles(*DESK_ROLES)
def lend():
    """Lend a basket of keys at the desk, whole or not at all: refused, nothing recorded, if a
    key is not in the cabinet or an equipment-room key has no approval from engineering."""
    form = LendForm(_read_locked, _has_approval)
    if not form.validate():
        db.session.rollback()
        return _desk_page(422, lend=form)
    return _act(form, "key.lend", "lend", _("Lent: %(keys)s"))


@bp.post("/return")
@roles(*DESK_ROLES)
def give_back():
    """Record a basket of keys back in the cabinet, whole or not at all."""
    form = ReturnForm(_read_locked)
    if not form.validate():
        db.session.rollback()
        return _desk_page(422, give_back=form)
    return _act(
        form, "key.return", "give_back", _("Returned: %(keys)s"), accept=("applied", "conflict")
    )


@bp.post("/approve")
@roles(*APPROVER_ROLES)
def approve():
    """Engineering approves a basket of equipment-room keys' next lends (good for 12 hours),
    whole or not at all."""
    form = ApproveForm(_read_locked)
    if not form.validate():
        db.session.rollback()
        return _desk_page(422, approve=form)
    return _act(form, "key.approve", "approve", _("Approved: %(keys)s"))
