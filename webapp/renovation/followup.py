"""What follows a notice at the office (issue 20, items 3–4): a notice's page (its
re-inspections, its stop-work notice 《停工通知》 and the deductions from the deposit recorded
against it), the stop-work's printed form, an estate's completion acceptances and each one's
page and printed 《裝修審批及竣工驗收表》. Routes of the register's blueprint."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from sync import blobs
from webapp import exports, i18n, vocab
from webapp.access import roles
from webapp.extensions import db
from webapp.forms import longest_message, strict_args
from webapp.models import Estate, shown_names
from webapp.models.renovation import (
    Acceptance,
    AcceptanceSignature,
    DepositEntry,
    NoticeAction,
    RectificationNotice,
    Reinspection,
    StopWork,
)
from webapp.models.types import utcnow
from webapp.paper import acceptance as acceptance_paper
from webapp.paper import stopwork as stop_paper
from webapp.registry.display import EDITORS, VIEWERS
from webapp.registry.queries import paginate
from webapp.renovation import notices as notice_rules
from webapp.renovation import permits
from webapp.renovation.forms import DeductionForm, PageArgs
from webapp.renovation.status import estate_today
from webapp.renovation.views import BY_ESTATE, PRINTERS, bp
from webapp.scoping import get_scoped, scoped
from webapp.text import too_long

BY_NOTICE = {"notice_id": "notice"}
BY_ACCEPTANCE = {"acceptance_id": "acceptance"}


def _notice_page(notice: RectificationNotice, status: int = 200, form=None):
    estate = db.session.get(Estate, notice.estate_id)
    today = estate_today(estate)
    reinspections = list(
        db.session.scalars(
            sa.select(Reinspection)
            .where(Reinspection.notice_id == notice.id)
            .order_by(Reinspection.occurred_at)
        )
    )
    actions = list(
        db.session.scalars(
            sa.select(NoticeAction)
            .where(NoticeAction.notice_id == notice.id)
            .order_by(NoticeAction.occurred_at)
        )
    )
    stop = db.session.scalar(sa.select(StopWork).where(StopWork.notice_id == notice.id))
    deductions = list(
        db.session.scalars(
            sa.select(DepositEntry)
            .where(DepositEntry.notice_id == notice.id)
            .order_by(DepositEntry.id)
        )
    )
    # A failed acceptance's notice says why from the acceptance (its failed items).
    accepted = db.session.get(Acceptance, notice.acceptance_id) if notice.acceptance_id else None
    names = shown_names(db.session, [notice.user_id, *(r.user_id for r in reinspections)])
    if form is None:
        form = DeductionForm(formdata=MultiDict())
        form.on.data = today
    return render_template(
        "renovation/notice.html",
        estate=estate,
        notice=notice,
        shown=notice_rules.shown_status(notice, today),
        reinspections=reinspections,
        actions=actions,
        stop=stop,
        deductions=deductions,
        accepted=accepted,
        english=i18n.is_english(),
        names=names,
        form=form,
        tab="notices",
    ), status


@bp.get("/notices/<notice_id>")
@roles(*VIEWERS, scope=BY_NOTICE)
def notice(notice_id: str):
    """Show a notice: its re-inspections, its stop-work notice, deductions for it."""
    return _notice_page(get_scoped(RectificationNotice, notice_id))


@bp.post("/notices/<notice_id>/deduct")
@roles(*EDITORS, scope=BY_NOTICE)
def notice_deduct(notice_id: str):
    """Record a deduction from the permit's deposit against this notice."""
    found = get_scoped(RectificationNotice, notice_id)
    form = DeductionForm()
    if found.permit is None:
        flash(_("This notice names no permit: there is no deposit to deduct from."), "error")
        return redirect(url_for("renovation.notice", notice_id=found.id), code=303)
    if not form.validate():
        return _notice_page(found, 422, form)
    # The ledger's line names the notice before the reason, in one column of 200: the reason
    # gets what the number leaves, refused beside it when longer, never cut.
    line, column = f"{found.number} {form.note.data}", DepositEntry.note.type.length
    if too_long(line, column):
        form.note.errors = [longest_message(column - len(found.number) - 1)]
        return _notice_page(found, 422, form)
    held = found.permit.deposit_held
    if form.amount.data > held:
        form.amount.errors = [_("The office holds only %(n)d of this deposit.", n=held)]
        return _notice_page(found, 422, form)
    entry = permits.add_entry(
        db.session,
        found.permit,
        "deducted",
        form.amount.data,
        form.on.data,
        line,
        current_user,
    )
    entry.notice_id = found.id
    db.session.commit()
    flash(_("Recorded in the deposit ledger."), "success")
    return redirect(url_for("renovation.notice", notice_id=found.id) + "#deductions", code=303)


@bp.get("/notices/<notice_id>/stop-work.pdf")
@roles(*PRINTERS, scope=BY_NOTICE)
def stop_work_pdf(notice_id: str):
    """Print a notice's stop-work notice 《停工通知》: A4, real text."""
    found = get_scoped(RectificationNotice, notice_id)
    stop = db.session.scalar(sa.select(StopWork).where(StopWork.notice_id == found.id))
    if stop is None:
        flash(_("This notice has no stop-work notice."), "error")
        return redirect(url_for("renovation.notice", notice_id=found.id), code=303)
    data = stop_paper.render(db.session, stop, blobs.from_config(current_app.config), utcnow())
    response = current_app.response_class(data, mimetype="application/pdf")
    return exports.name_download(response, f"停工通知-{stop.number}.pdf", inline=True)


@bp.get("/estates/<int:estate_id>/acceptances")
@roles(*VIEWERS, scope=BY_ESTATE)
def acceptances(estate_id: int):
    """List an estate's completion acceptances, newest first, each with its form."""
    estate = get_scoped(Estate, estate_id)
    query = (
        scoped(Acceptance)
        .where(Acceptance.estate_id == estate.id)
        .order_by(Acceptance.occurred_at.desc(), Acceptance.id)
    )
    page = paginate(query, strict_args(PageArgs, request.args)["page"])
    return render_template(
        "renovation/acceptances.html", estate=estate, page=page, tab="acceptances"
    )


@bp.get("/acceptances/<acceptance_id>")
@roles(*VIEWERS, scope=BY_ACCEPTANCE)
def acceptance(acceptance_id: str):
    """Show an acceptance: its checklist's answers, signatures, refund or notice."""
    found = get_scoped(Acceptance, acceptance_id)
    estate = db.session.get(Estate, found.estate_id)
    signatures = list(
        db.session.scalars(
            sa.select(AcceptanceSignature)
            .where(AcceptanceSignature.acceptance_id == found.id)
            .order_by(AcceptanceSignature.occurred_at)
        )
    )
    failed_notice = db.session.get(RectificationNotice, found.notice_id or "")
    return render_template(
        "renovation/acceptance.html",
        estate=estate,
        acceptance=found,
        items=vocab.ACCEPTANCE_CHECKLISTS[found.checklist_version],
        english=i18n.is_english(),
        signatures=signatures,
        failed_notice=failed_notice,
        by=shown_names(db.session, [found.user_id]).get(found.user_id, ""),
        tab="acceptances",
    )


@bp.get("/acceptances/<acceptance_id>.pdf")
@roles(*PRINTERS, scope=BY_ACCEPTANCE)
def acceptance_pdf(acceptance_id: str):
    """Print an acceptance 《裝修審批及竣工驗收表》: A4, real text, the drawn signatures."""
    found = get_scoped(Acceptance, acceptance_id)
    store = blobs.from_config(current_app.config)
    data = acceptance_paper.render(db.session, found, store, utcnow())
    response = current_app.response_class(data, mimetype="application/pdf")
    day = found.occurred_at.date().isoformat()
    return exports.name_download(response, f"竣工驗收表-{found.unit.label}-{day}.pdf", inline=True)
