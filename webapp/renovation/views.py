"""The renovation register (issue 20): an estate's permits, one permit with its deposit ledger,
closing a permit, the permits as a spreadsheet; the estate's rectification notices and their
printed form. Supervisors and admins edit; engineering and the front desk look."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from sync import blobs
from webapp import exports
from webapp.access import roles
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.htmx import page_or_fragment
from webapp.models import AuditEvent, Estate, Unit
from webapp.models.renovation import RectificationNotice, RenovationPermit
from webapp.models.types import utcnow
from webapp.paper import notice as notice_paper
from webapp.registry import exporter
from webapp.registry.display import EDITORS, VIEWERS
from webapp.registry.queries import paginate
from webapp.renovation import notices as notice_rules
from webapp.renovation import permits, queries, transfer
from webapp.renovation.forms import (
    CloseForm,
    DepositForm,
    NewPermitArgs,
    PageArgs,
    PermitFilters,
    PermitForm,
)
from webapp.renovation.status import estate_today
from webapp.scoping import get_scoped, scoped

bp = Blueprint("renovation", __name__, url_prefix="/renovation")

BY_ESTATE = {"estate_id": "estate"}
BY_PERMIT = {"permit_id": "permit"}
PRINTERS = ("supervisor", "engineering", "admin")  # as the printed forms (webapp/paper)


@bp.get("/estates/<int:estate_id>/permits", endpoint="permits")
@roles(*VIEWERS, scope=BY_ESTATE)
def permits_list(estate_id: int):
    """List an estate's renovation permits: state, search, pages."""
    estate = get_scoped(Estate, estate_id)
    filters = PermitFilters.from_args(request.args)
    today = estate_today(estate)
    page = paginate(queries.permits(estate.id, filters, today), filters.page)
    return page_or_fragment(
        "renovation/permits.html",
        "renovation/_permit_results.html",
        estate=estate,
        filters=filters,
        page=page,
        today=today,
        tab="permits",
    )


@bp.route("/estates/<int:estate_id>/permits/new", methods=["GET", "POST"])
@roles(*EDITORS, scope=BY_ESTATE)
def permit_new(estate_id: int):
    """Add a permit (from the list, or from a unit's status menu: ``?unit=<id>``)."""
    estate = get_scoped(Estate, estate_id)
    form = PermitForm(estate.id)
    if request.method == "GET":
        unit_id = strict_args(NewPermitArgs, request.args)["unit"]
        if unit_id is not None:
            unit = get_scoped(Unit, unit_id)
            if unit.estate_id != estate.id:
                abort(404)  # another estate's unit, though the reader sees both
            form.unit.data = unit.label
        form.starts_on.data = form.starts_on.data or estate_today(estate)
    elif form.validate():
        permit = permits.create(db.session, estate, form.values(), current_user)
        db.session.commit()
        flash(_("Added permit %(number)s.", number=permit.number), "success")
        return redirect(url_for("renovation.permit", permit_id=permit.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "renovation/permit_form.html", estate=estate, form=form, permit=None, tab="permits"
    ), status


def _permit_page(permit: RenovationPermit, status: int = 200, **forms):
    estate = db.session.get(Estate, permit.estate_id)
    today = estate_today(estate)
    history = list(
        db.session.scalars(
            scoped(AuditEvent)
            .where(
                AuditEvent.object_type == RenovationPermit.__tablename__,
                AuditEvent.object_id == str(permit.id),
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(50)
        )
    )
    notices = list(
        db.session.scalars(
            scoped(RectificationNotice)
            .where(RectificationNotice.permit_id == permit.id)
            .order_by(RectificationNotice.year, RectificationNotice.seq)
        )
    )
    close_form = forms.get("close_form") or CloseForm(formdata=MultiDict())
    close_form.on.data = close_form.on.data or today
    deposit_form = forms.get("deposit_form") or DepositForm(formdata=MultiDict())
    deposit_form.on.data = deposit_form.on.data or today
    return render_template(
        "renovation/permit.html",
        estate=estate,
        permit=permit,
        today=today,
        history=history,
        notices=notices,
        notice_state=notice_rules.shown_status,
        close_form=close_form,
        deposit_form=deposit_form,
        tab="permits",
    ), status


@bp.get("/permits/<int:permit_id>")
@roles(*VIEWERS, scope=BY_PERMIT)
def permit(permit_id: int):
    """Show one permit: its terms, its deposit ledger, its notices and its history."""
    return _permit_page(get_scoped(RenovationPermit, permit_id))


@bp.route("/permits/<int:permit_id>/edit", methods=["GET", "POST"])
@roles(*EDITORS, scope=BY_PERMIT)
def permit_edit(permit_id: int):
    """Edit a permit's terms (a closed permit no longer changes)."""
    permit = get_scoped(RenovationPermit, permit_id)
    if permit.closed_on is not None:
        flash(_("This permit is closed; it can no longer be changed."), "error")
        return redirect(url_for("renovation.permit", permit_id=permit.id), code=303)
    estate = db.session.get(Estate, permit.estate_id)
    form = PermitForm(estate.id, permit)
    if request.method == "POST" and form.validate():
        permits.update(db.session, permit, form.values(), current_user)
        db.session.commit()
        flash(_("Saved permit %(number)s.", number=permit.number), "success")
        return redirect(url_for("renovation.permit", permit_id=permit.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "renovation/permit_form.html", estate=estate, form=form, permit=permit, tab="permits"
    ), status


@bp.post("/permits/<int:permit_id>/close")
@roles(*EDITORS, scope=BY_PERMIT)
def permit_close(permit_id: int):
    """Close a permit (accepted, work ended, withdrawn): its unit leaves 裝修中."""
    permit = get_scoped(RenovationPermit, permit_id)
    form = CloseForm()
    if permit.closed_on is not None:
        flash(_("This permit is closed already."), "error")
        return redirect(url_for("renovation.permit", permit_id=permit.id), code=303)
    if not form.validate():
        return _permit_page(permit, 422, close_form=form)
    permits.close(db.session, permit, form.reason.data, form.on.data, current_user)
    db.session.commit()
    flash(_("Closed permit %(number)s.", number=permit.number), "success")
    return redirect(url_for("renovation.permit", permit_id=permit.id), code=303)


@bp.post("/permits/<int:permit_id>/deposit")
@roles(*EDITORS, scope=BY_PERMIT)
def permit_deposit(permit_id: int):
    """Add a line to a permit's deposit ledger: received, deducted or refunded."""
    permit = get_scoped(RenovationPermit, permit_id)
    form = DepositForm()
    if not form.validate():
        return _permit_page(permit, 422, deposit_form=form)
    if form.kind.data != "received" and form.amount.data > permit.deposit_held:
        held = permit.deposit_held
        form.amount.errors = [_("The office holds only %(n)d of this deposit.", n=held)]
        return _permit_page(permit, 422, deposit_form=form)
    permits.add_entry(
        db.session,
        permit,
        form.kind.data,
        form.amount.data,
        form.on.data,
        form.note.data,
        current_user,
    )
    db.session.commit()
    flash(_("Recorded in the deposit ledger."), "success")
    return redirect(url_for("renovation.permit", permit_id=permit.id) + "#deposit", code=303)


@bp.get("/estates/<int:estate_id>/permits/export.<fmt>")
@roles(*EDITORS, scope={**BY_ESTATE, "fmt": "plain"})
def permits_export(estate_id: int, fmt: str):
    """Download the permits list, filters applied, as XLSX or CSV (imports back as is)."""
    estate = get_scoped(Estate, estate_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters = PermitFilters.from_args(request.args)
    today = estate_today(estate)
    query = queries.permits(estate.id, filters, today).options(
        sa.orm.selectinload(RenovationPermit.entries)
    )
    rows = [transfer.export_row(p, today) for p in db.session.scalars(query).unique()]
    if fmt == "csv":
        data, mime = exporter.to_csv("permits", rows), exporter.CSV_MIME
    else:
        data, mime = exporter.to_xlsx("permits", rows), exporter.XLSX_MIME
    name = f"{estate.name}-{exporter.SHEET_TITLES['permits']}-{today:%Y%m%d}.{fmt}"
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True, download_name=name)


@bp.get("/estates/<int:estate_id>/notices")
@roles(*VIEWERS, scope=BY_ESTATE)
def notices(estate_id: int):
    """List an estate's rectification notices, newest number first, each with its PDF."""
    estate = get_scoped(Estate, estate_id)
    page = paginate(queries.notices(estate.id), strict_args(PageArgs, request.args)["page"])
    return render_template(
        "renovation/notices.html",
        estate=estate,
        page=page,
        today=estate_today(estate),
        notice_state=notice_rules.shown_status,
        tab="notices",
    )


@bp.get("/notices/<notice_id>.pdf")
@roles(*PRINTERS, scope={"notice_id": "notice"})
def notice_pdf(notice_id: str):
    """Print a rectification notice 《裝修違規整改通知單》: A4, real text, its photos."""
    notice = get_scoped(RectificationNotice, notice_id)
    data = notice_paper.render(db.session, notice, blobs.from_config(current_app.config), utcnow())
    response = current_app.response_class(data, mimetype="application/pdf")
    return exports.name_download(response, f"整改通知單-{notice.number}.pdf", inline=True)
