"""The labels page: choose items, preview the first sheet, download the PDF; reprint one label."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
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
from webapp.models import Building, Estate, LabelCode
from webapp.scoping import scoped, visible_estate_ids
from webapp.values import object_id

bp = Blueprint("labels", __name__, url_prefix="/labels")

PRINTERS = ("supervisor", "admin")
PLAIN = {"job_id": "plain"}


@dataclass
class SheetForm:
    """The sheet form's values as typed, and what is wrong with them."""

    estate: str = ""
    kind: str = "unit"
    building: str = ""
    floor: str = ""
    template: str = ""
    skip: str = "0"
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class OneForm:
    """The one-label form: a code (long or short), print or reprint, template and position."""

    code: str = ""
    action: str = "print"
    template: str = ""
    skip: str = "0"
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)


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


def _object_id(text: str) -> int | None:
    """A building id from the form, or None when it names nothing (not a number, or past
    32 bits: a forged id is never sent to the database)."""
    try:
        return object_id(text)
    except ValueError:
        return None


def _parse_skip(text: str, template: sheets.Template, errors: dict, name="skip") -> int:
    try:
        skip = int((text or "0").strip())
    except ValueError:
        errors[name] = _("Give a whole number of used positions.")
        return 0
    if skip < 0 or skip >= template.per_page:
        errors[name] = _(
            "Skip 0 to %(last)d: a %(template)s sheet has %(n)d positions.",
            last=template.per_page - 1,
            template=template.name,
            n=template.per_page,
        )
    return skip


def _template(name: str, kind: str, errors: dict) -> sheets.Template:
    name = name or printing.default_template(kind)
    if name not in sheets.TEMPLATES:
        errors["template"] = _("Unknown template. Choose one from the list.")
        return sheets.TEMPLATES[printing.default_template(kind)]
    return sheets.TEMPLATES[name]


@bp.get("")
@roles(*PRINTERS)
def index():
    """Show the forms for printing a sheet and one label."""
    first = db.session.scalar(scoped(Estate).order_by(Estate.id))
    return _render_index(SheetForm(estate=str(first.id) if first else ""), OneForm())


@bp.post("")
@roles(*PRINTERS)
def create():
    """Choose the items, mint missing codes, and start drawing their sheet."""
    f = request.form
    form = SheetForm(
        estate=f.get("estate", ""),
        kind=f.get("kind", ""),
        building=f.get("building", ""),
        floor=f.get("floor", "").strip(),
        template=f.get("template", ""),
        skip=f.get("skip", "0"),
    )
    errors = form.errors
    estate = None
    if form.estate.isdigit() and int(form.estate) in visible_estate_ids():
        estate = db.session.get(Estate, int(form.estate))
    if estate is None:
        errors["estate"] = _("Choose one of your estates.")
    if form.kind not in printing.KINDS:
        errors["kind"] = _("Choose units, keys or signs.")
        form.kind = "unit"
    template = _template(form.template, form.kind, errors)
    skip = _parse_skip(form.skip, template, errors)
    building = None
    if form.building:
        building_id = _object_id(form.building)
        if building_id is not None:
            building = db.session.scalar(scoped(Building).where(Building.id == building_id))
        if building is None or (estate is not None and building.estate_id != estate.id):
            errors["building"] = _("That building is not in the chosen estate.")
    floor = None
    if form.floor:
        try:
            floor = int(form.floor)
            if not -9 <= floor <= 200:  # the registry's floors; no column holds 10**22
                raise ValueError(form.floor)
        except ValueError:
            floor = None
            errors["floor"] = _("A floor is a whole number.")
    try:
        fonts.check()
    except fonts.LabelFontMissing as exc:
        errors["form"] = str(exc)
    if errors:
        return _render_index(form, OneForm(), 422)

    selection = printing.Selection(estate, form.kind, building, floor)
    try:
        sheet = printing.prepare_sheet(db.session, selection, current_app.config["PUBLIC_BASE_URL"])
    except sheets.LabelError:
        db.session.rollback()
        errors["form"] = _("Nothing to print: no items match this choice.")
        return _render_index(form, OneForm(), 422)
    db.session.commit()
    title = " ".join(
        part
        for part in (
            estate.name,
            building.name if building else "",
            vocab.floor_name(floor),
            _label_kind(form.kind),
        )
        if part
    )
    job = jobs.start(
        current_app.instance_path,
        sheet.labels,
        template,
        skip=skip,
        user_id=current_user.id,
        estate_id=estate.id,
        title=title,
    )
    return redirect(url_for("labels.job", job_id=job.id), code=303)


def _label_kind(kind: str) -> str:
    return {"unit": _("unit labels"), "key": _("key labels"), "sign": _("sign labels")}[kind]


@bp.post("/one")
@roles(*PRINTERS)
def one():
    """Print one item's label, or reprint it with a new code (retiring the old one)."""
    f = request.form
    form = OneForm(
        code=f.get("code", "").strip(),
        action=f.get("action", "print"),
        template=f.get("template", ""),
        skip=f.get("skip", "0"),
        reason=f.get("reason", "").strip(),
    )
    errors = form.errors
    ids = visible_estate_ids()
    found = None
    if form.code:
        found = db.session.scalar(
            scoped(LabelCode).where(LabelCode.code == codes.normalize(form.code)[:32])
        ) or codes.find_short_code(db.session, ids, form.code)
    if found is None:
        errors["code"] = _("No label of your estates has this code.")
        kind = "unit"
    else:
        kind = found.item_type
    if form.action not in ("print", "reprint"):
        errors["action"] = _("Choose print or reprint.")
    template = _template(form.template, kind, errors)
    skip = _parse_skip(form.skip, template, errors, "skip")
    if found is not None and not found.active and form.action == "reprint":
        errors["code"] = _("This code was already replaced; reprint the item's current code.")
    try:
        fonts.check()
    except fonts.LabelFontMissing as exc:
        errors["form"] = str(exc)
    if errors:
        return _render_index(SheetForm(), form, 422)
    if not found.active:
        found = codes.current_code(db.session, found)
    if form.action == "reprint":
        found = codes.retire_and_replace(
            db.session, found, form.reason or "reprinted", actor=current_user
        )
    data = printing.one_label(db.session, found, current_app.config["PUBLIC_BASE_URL"])
    db.session.commit()
    job = jobs.start(
        current_app.instance_path,
        [data],
        template,
        skip=skip,
        user_id=current_user.id,
        estate_id=found.estate_id,
        title=f"{data.text} {sheets.group_short_code(data.short_code)}",
    )
    return redirect(url_for("labels.job", job_id=job.id), code=303)


def _own_job(job_id: str) -> jobs.Job:
    """The job, if it is of an estate the user sees; else 404 like any other estate's object."""
    job = jobs.load(current_app.instance_path, job_id)
    if job is None or job.estate_id not in visible_estate_ids():
        abort(404)
    jobs.resume_if_orphaned(current_app.instance_path, job)
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
    found = _own_job(job_id)
    path = jobs.job_dir(current_app.instance_path, found.id) / "preview.png"
    if not found.preview or not path.is_file():
        abort(404)
    # Read whole (small) files: a handle left to the response could outlive a test client.
    return send_file(io.BytesIO(path.read_bytes()), mimetype="image/png", max_age=0)


@bp.get("/jobs/<job_id>/labels.pdf")
@roles(*PRINTERS, scope=PLAIN)
def pdf(job_id):
    """Send the finished PDF."""
    found = _own_job(job_id)
    path = jobs.job_dir(current_app.instance_path, found.id) / "labels.pdf"
    if found.state != "done" or not path.is_file():
        abort(404)
    name = f"labels-{found.template}-{found.id[:8]}.pdf"
    return send_file(
        io.BytesIO(path.read_bytes()),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=name,
        max_age=0,
    )
