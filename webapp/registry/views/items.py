"""Registry routes of estates, buildings, units, signs and keys: lists, inline edits, exports."""

from __future__ import annotations

import io
import time

import sqlalchemy as sa
from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_htmx import make_response
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from webapp.access import roles
from webapp.extensions import db
from webapp.htmx import page_or_fragment, wants_fragment
from webapp.models import AuditEvent, Building, Estate, Key, Sign, Unit
from webapp.registry import changes, exporter, queries
from webapp.registry.display import EDITORS, VIEWERS
from webapp.registry.forms import (
    ActiveForm,
    BuildingForm,
    KeyForm,
    SignForm,
    UnitForm,
    UnitStatusForm,
)
from webapp.registry.views import bp
from webapp.scoping import get_scoped, scoped
from webapp.urls import safe_next

CHANGED = "registry-changed"

PLURALS = {"building": "buildings", "unit": "units", "sign": "signs", "key": "keys"}
TITLES = {
    "building": _l("Buildings"),
    "unit": _l("Units"),
    "sign": _l("Signs"),
    "key": _l("Keys"),
}
MODELS = {"building": Building, "unit": Unit, "sign": Sign, "key": Key}
LIST_QUERIES = {"unit": queries.units, "sign": queries.signs, "key": queries.keys}


def _estate(estate_id: int) -> Estate:
    return get_scoped(Estate, estate_id)


def _form(kind: str, estate_id: int, obj=None, formdata=None):
    extra = {} if formdata is None else {"formdata": formdata}
    if kind == "building":
        return BuildingForm(estate_id, obj, **extra)
    buildings = queries.buildings(estate_id)
    form_class = {"unit": UnitForm, "sign": SignForm, "key": KeyForm}[kind]
    return form_class(estate_id, buildings, obj, **extra)


def _blank_form(kind: str, estate_id: int):
    # An empty form for the "add" panel, not filled from whatever this request posted.
    return _form(kind, estate_id, formdata=MultiDict())


# Estates and buildings ---------------------------------------------------------------------


@bp.get("/")
@roles(*VIEWERS)
def index():
    """List the estates the user may see; one estate opens directly."""
    estates = list(db.session.scalars(scoped(Estate).order_by(Estate.id)))
    if len(estates) == 1:
        return redirect(url_for("registry.estate", estate_id=estates[0].id))
    return render_template("registry/index.html", estates=estates)


def _estate_context(estate: Estate, form=None) -> dict:
    return {
        "estate": estate,
        "buildings": queries.buildings(estate.id),
        "counts": queries.building_counts(estate.id),
        "totals": {
            "sign_total": db.session.scalar(
                scoped(Sign)
                .with_only_columns(sa.func.count())
                .where(Sign.estate_id == estate.id, Sign.active)
            ),
            "key_total": db.session.scalar(
                scoped(Key)
                .with_only_columns(sa.func.count())
                .where(Key.estate_id == estate.id, Key.active)
            ),
        },
        "form": form if form is not None else _blank_form("building", estate.id),
        "tab": "buildings",
    }


@bp.get("/estates/<int:estate_id>")
@roles(*VIEWERS, scope={"estate_id": "estate"})
def estate(estate_id: int):
    """Show an estate: its buildings with unit counts, and links to its lists."""
    return render_template("registry/estate.html", **_estate_context(_estate(estate_id)))


# Lists ---------------------------------------------------------------------------------------


def _list_context(kind: str, estate: Estate, filters: queries.Filters, form=None) -> dict:
    page = queries.paginate(LIST_QUERIES[kind](estate.id, filters), filters.page)
    return {
        "kind": kind,
        "estate": estate,
        "filters": filters,
        "page": page,
        "codes": queries.short_codes(kind, [item.id for item in page.items]),
        "buildings": queries.buildings(estate.id),
        "floors": queries.floors(estate.id),
        "form": form if form is not None else _blank_form(kind, estate.id),
        "tab": PLURALS[kind],
        "title": TITLES[kind],
    }


def _list(kind: str, estate_id: int):
    estate = _estate(estate_id)
    filters = queries.Filters.from_args(request.args)
    context = _list_context(kind, estate, filters)
    return page_or_fragment(
        f"registry/{PLURALS[kind]}.html", f"registry/_{kind}_results.html", **context
    )


def _create(kind: str, estate_id: int):
    estate = _estate(estate_id)
    form = _form(kind, estate.id)
    if not form.validate():
        if wants_fragment():
            return render_template(
                f"registry/_{kind}_new.html", estate=estate, form=form, open=True
            ), 422
        if kind == "building":
            context = _estate_context(estate, form=form)
            return render_template("registry/estate.html", open=True, **context), 422
        context = _list_context(kind, estate, queries.Filters(), form=form)
        return render_template(f"registry/{PLURALS[kind]}.html", open=True, **context), 422
    obj = changes.create(db.session, kind, estate.id, form, current_user)
    db.session.commit()
    message = _("Added %(label)s.", label=_label(kind, obj))
    if wants_fragment():
        return page_or_fragment(
            f"registry/{PLURALS[kind]}.html",
            f"registry/_{kind}_new.html",
            trigger=CHANGED,
            estate=estate,
            form=_blank_form(kind, estate.id),
            open=True,
            added=message,
        )
    flash(message, "success")
    target = "registry.estate" if kind == "building" else f"registry.{PLURALS[kind]}"
    return redirect(url_for(target, estate_id=estate.id), code=303)


def _label(kind: str, obj) -> str:
    return obj.name if kind == "building" else obj.label


def _export(kind: str, estate_id: int, fmt: str):
    estate = _estate(estate_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters = queries.Filters.from_args(request.args)
    items = list(db.session.scalars(LIST_QUERIES[kind](estate.id, filters)).unique())
    codes = {}
    ids = [item.id for item in items]
    for start in range(0, len(ids), 900):
        codes.update(queries.short_codes(kind, ids[start : start + 900]))
    rows = [exporter.ROW_MAKERS[PLURALS[kind]](item, codes.get(item.id, "")) for item in items]
    plural = PLURALS[kind]
    if fmt == "csv":
        data, mime = exporter.to_csv(plural, rows), exporter.CSV_MIME
    else:
        data, mime = exporter.to_xlsx(plural, rows), exporter.XLSX_MIME
    name = f"{estate.name}-{exporter.SHEET_TITLES[plural]}-{time.strftime('%Y%m%d')}.{fmt}"
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True, download_name=name)


# One item ----------------------------------------------------------------------------------


def _row_context(kind: str, obj, **extra) -> dict:
    codes = {} if kind == "building" else queries.short_codes(kind, [obj.id])
    context = {
        "kind": kind,
        "item": obj,
        "estate": db.session.get(Estate, obj.estate_id),
        "codes": codes,
    }
    if kind == "building":
        context["counts"] = queries.building_counts(obj.estate_id)
    context.update(extra)
    return context


def _history(kind: str, obj) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            scoped(AuditEvent)
            .where(AuditEvent.object_type == obj.__tablename__, AuditEvent.object_id == str(obj.id))
            .options(sa.orm.joinedload(AuditEvent.actor))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(50)
        )
    )


def _item(kind: str, item_id: int):
    obj = get_scoped(MODELS[kind], item_id)
    if kind == "building" and not wants_fragment():
        return redirect(url_for("registry.units", estate_id=obj.estate_id, building=obj.id))
    if wants_fragment():
        return render_template(f"registry/_{kind}_row.html", **_row_context(kind, obj))
    keys = []
    if kind == "unit":
        keys = list(db.session.scalars(scoped(Key).where(Key.unit_id == obj.id).order_by(Key.id)))
    return render_template(
        "registry/item.html", history=_history(kind, obj), keys=keys, **_row_context(kind, obj)
    )


def _edit(kind: str, item_id: int):
    obj = get_scoped(MODELS[kind], item_id)
    form = _form(kind, obj.estate_id, obj)
    status = 200
    if request.method == "POST":
        if form.validate():
            changed = changes.update(db.session, kind, obj, form, current_user)
            db.session.commit()
            if wants_fragment():
                return page_or_fragment(
                    "registry/item.html",
                    f"registry/_{kind}_row.html",
                    **_row_context(kind, obj, saved=changed),
                )
            flash(_("Saved %(label)s.", label=_label(kind, obj)), "success")
            return redirect(_back(kind, obj), code=303)
        status = 422
    return _edit_page(kind, obj, form, status)


def _edit_page(kind: str, obj, form, status: int, **extra):
    """The item's edit form: a row swapped in place, or the whole page."""
    return page_or_fragment(
        "registry/item_edit.html",
        f"registry/_{kind}_edit_row.html",
        status=status,
        form=form,
        **_row_context(kind, obj, **extra),
    )


# An edited row swaps itself in place and keeps its highlight; only an added item makes the
# list reload (HX-Trigger registry-changed), so a row never vanishes under the cursor.


def _back(kind: str, obj) -> str:
    if kind == "building":
        return url_for("registry.estate", estate_id=obj.estate_id)
    return url_for(f"registry.{kind}", **{f"{kind}_id": obj.id})


def _active(kind: str, item_id: int):
    obj = get_scoped(MODELS[kind], item_id)
    active = ActiveForm().active.data == "1"
    blocked = None if active else changes.deactivation_blocker(db.session, kind, obj)
    if blocked:
        if wants_fragment():
            form = _form(kind, obj.estate_id, obj, formdata=MultiDict())
            return _edit_page(kind, obj, form, 422, blocked=blocked)
        flash(blocked, "error")
        return redirect(_back(kind, obj), code=303)
    changed = changes.set_active(db.session, kind, obj, active, current_user)
    db.session.commit()
    if wants_fragment():
        return page_or_fragment(
            "registry/item.html",
            f"registry/_{kind}_row.html",
            **_row_context(kind, obj, saved=changed),
        )
    message = _("Reactivated %(label)s.") if active else _("Deactivated %(label)s.")
    flash(message % {"label": _label(kind, obj)}, "success")
    return redirect(_back(kind, obj), code=303)


@bp.post("/units/<int:unit_id>/status")
@roles(*EDITORS, scope={"unit_id": "unit"})
def unit_status(unit_id: int):
    """Change a unit's status: occupied or vacant (audited); under renovation opens a permit's
    form, and leaving it closes the unit's permits (its 裝修中 comes from them)."""
    unit = get_scoped(Unit, unit_id)
    form = UnitStatusForm()
    status = form.status.data
    if not status:
        abort(422)
    if status == "renovating" and unit.status != "renovating":
        target = url_for("renovation.permit_new", estate_id=unit.estate_id, unit=unit.id)
        if wants_fragment():
            return make_response("", 200, redirect=target)
        return redirect(target, code=303)
    changed = changes.set_status(db.session, unit, status, current_user)
    db.session.commit()
    if wants_fragment():
        return page_or_fragment(
            "registry/item.html",
            "registry/_unit_row.html",
            **_row_context("unit", unit, saved=changed),
        )
    flash(_("Saved %(label)s.", label=unit.label), "success")
    return redirect(safe_next(form.next.data, _back("unit", unit)), code=303)


def _register(kind: str) -> None:
    """Add the routes of one kind of item, each with its access declaration."""
    plural, arg = PLURALS[kind], f"{kind}_id"
    title = kind

    def rule(path, endpoint, view, methods, who, scope, doc):
        view.__name__ = endpoint
        view.__doc__ = doc
        view = roles(*who, scope=scope)(view)
        bp.add_url_rule(path, endpoint, view, methods=methods)

    by_estate = {"estate_id": "estate"}
    by_item = {arg: kind}
    rule(
        f"/{plural}/<int:{arg}>",
        kind,
        lambda **kw: _item(kind, kw[arg]),
        ["GET"],
        VIEWERS,
        by_item,
        f"Show one {title}: its page, or its table row for htmx.",
    )
    rule(
        f"/{plural}/<int:{arg}>/edit",
        f"{kind}_edit",
        lambda **kw: _edit(kind, kw[arg]),
        ["GET", "POST"],
        EDITORS,
        by_item,
        f"Edit one {title} inline, with errors beside each field.",
    )
    rule(
        f"/{plural}/<int:{arg}>/active",
        f"{kind}_active",
        lambda **kw: _active(kind, kw[arg]),
        ["POST"],
        EDITORS,
        by_item,
        f"Deactivate or reactivate one {title} (never delete).",
    )
    if kind == "building":
        rule(
            "/estates/<int:estate_id>/buildings",
            "building_create",
            lambda estate_id: _create("building", estate_id),
            ["POST"],
            EDITORS,
            by_estate,
            "Add a building to an estate.",
        )
        return
    rule(
        f"/estates/<int:estate_id>/{plural}",
        plural,
        lambda estate_id: _list(kind, estate_id),
        ["GET"],
        VIEWERS,
        by_estate,
        f"List an estate's {plural}: search as you type, filters, pages.",
    )
    rule(
        f"/estates/<int:estate_id>/{plural}",
        f"{kind}_create",
        lambda estate_id: _create(kind, estate_id),
        ["POST"],
        EDITORS,
        by_estate,
        f"Add a {title} to an estate.",
    )
    rule(
        f"/estates/<int:estate_id>/{plural}/export.<fmt>",
        f"{plural}_export",
        lambda estate_id, fmt: _export(kind, estate_id, fmt),
        ["GET"],
        EDITORS,
        {**by_estate, "fmt": "plain"},
        f"Download the {plural} list, filters applied, as CSV or XLSX.",
    )


for _kind in PLURALS:
    _register(_kind)
