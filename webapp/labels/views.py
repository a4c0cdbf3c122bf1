"""The labels page: choose items, preview the first sheet, download the PDF; reprint one label."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from webapp import vocab
from webapp.access import roles
from webapp.extensions import db
from webapp.htmx import page_or_fragment
from webapp.labels import codes, fonts, jobs, printing, sheets
from webapp.labels.forms import OneForm, SheetForm
from webapp.models import Building, Estate
from webapp.scoping import scoped, visible_estate_ids

bp = Blueprint("labels", __name__, url_prefix="/labels")

PRINTERS = ("supervisor", "admin")
PLAIN = {"job_id": "plain"}


def _choices() -> dict:
    estates = db.session.scalars(scoped(Estate).order_by(Estate.id)).all()
    buildings = db.session.scalars(
        scoped(Building).order_by(Building.estate_id, Building.sort_key, Building.id)
    ).all()
    return {
        "estates": estates,
        "buildings": buildings,
        "kinds": printing.KINDS,
        "templates": list(sheets.TEMPLATES),
    }


def _render_index(sheet_form: SheetForm, one_form: OneForm, status: int = 200):
    return (
        render_template("labels/index.html", form=sheet_form, one=one_form, **_choices()),
        status,
    )


@bp.get("")
@roles(*PRINTERS)
def index():
    """Show the forms for printing a sheet and one label."""
    first = db.session.scalar(scoped(Estate).order_by(Estate.id))
    return _render_index(SheetForm(estate=str(first.id) if first else "", kind="unit"), OneForm())


def _font_missing(form) -> bool:
    try:
        fonts.check()
    except fonts.LabelFontMissing as exc:
        form.form_errors.append(str(exc))
        return True
    return False


@bp.post("")
@roles(*PRINTERS)
def create():
    """Choose the items, mint missing codes, and start drawing their sheet."""
    form = SheetForm()
    valid = form.validate()
    if _font_missing(form) or not valid:
        return _render_index(form, OneForm(formdata=None), 422)
    estate, building, floor = form.chosen_estate, form.chosen_building, form.floor_number
    selection = printing.Selection(estate, form.kind.data, building, floor)
    try:
        sheet = printing.prepare_sheet(db.session, selection, current_app.config["PUBLIC_BASE_URL"])
    except sheets.LabelError:
        db.session.rollback()
        form.form_errors.append(_("Nothing to print: no items match this choice."))
        return _render_index(form, OneForm(formdata=None), 422)
    title = " ".join(
        part
        for part in (
            estate.name,
            building.name if building else "",
            vocab.floor_name(floor),
            _label_kind(form.kind.data),
        )
        if part
    )
    job = jobs.start(
        db.session,
        sheet.labels,
        form.sheet_template,
        skip=form.skip_count,
        user_id=current_user.id,
        estate_id=estate.id,
        title=title,
    )
    db.session.commit()  # the codes and the job together; the job is queued on commit
    return redirect(url_for("labels.job", job_id=job.id), code=303)


def _label_kind(kind: str) -> str:
    return {"unit": _("unit labels"), "key": _("key labels"), "sign": _("sign labels")}[kind]


@bp.post("/one")
@roles(*PRINTERS)
def one():
    """Print one item's label, or reprint it with a new code (retiring the old one)."""
    form = OneForm()
    valid = form.validate()
    if _font_missing(form) or not valid:
        return _render_index(SheetForm(formdata=None, kind="unit"), form, 422)
    found = form.found
    if not found.active:
        found = codes.current_code(db.session, found)
    if form.action.data == "reprint":
        found = codes.retire_and_replace(
            db.session, found, form.reason.data or codes.REPRINTED, actor=current_user
        )
    data = printing.one_label(db.session, found, current_app.config["PUBLIC_BASE_URL"])
    job = jobs.start(
        db.session,
        [data],
        form.sheet_template,
        skip=form.skip_count,
        user_id=current_user.id,
        estate_id=found.estate_id,
        title=f"{data.text} {sheets.group_short_code(data.short_code)}",
    )
    db.session.commit()
    return redirect(url_for("labels.job", job_id=job.id), code=303)


def _own_job(job_id: str) -> jobs.SheetJob:
    """The job, if it is of an estate the user sees; else 404 like any other estate's object."""
    job = jobs.load(db.session, job_id)
    if job is None or job.estate_id not in visible_estate_ids():
        abort(404)
    return job


@bp.get("/jobs/<job_id>")
@roles(*PRINTERS, scope=PLAIN)
def job(job_id):
    """Show a sheet's progress, then its preview and download; polled while it runs."""
    return page_or_fragment("labels/job.html", "labels/_job.html", job=_own_job(job_id))


@bp.get("/jobs/<job_id>/preview.png")
@roles(*PRINTERS, scope=PLAIN)
def preview(job_id):
    """Send the first sheet as a PNG."""
    data = jobs.output(_own_job(job_id), "preview.png")
    if data is None:
        abort(404)
    # Whole bytes (small files): no handle left to the response can outlive a test client.
    return send_file(io.BytesIO(data), mimetype="image/png", max_age=0)


@bp.get("/jobs/<job_id>/labels.pdf")
@roles(*PRINTERS, scope=PLAIN)
def pdf(job_id):
    """Send the finished PDF."""
    found = _own_job(job_id)
    data = jobs.output(found, "labels.pdf") if found.state == "done" else None
    if data is None:
        abort(404)
    name = f"labels-{found.template}-{found.id[:8]}.pdf"
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=name,
        max_age=0,
    )
