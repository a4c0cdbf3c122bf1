"""Editing rounds: windows, how often, the checklist (versioned), a custom round's checkpoints."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.access import roles
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.i18n import Terms
from webapp.labels.codes import current_code, find_code, find_short_code
from webapp.models import Estate, Sign, Unit
from webapp.models.audit import record
from webapp.models.rounds import ChecklistVersion, RoundTemplate
from webapp.rounds import service
from webapp.rounds.forms import (
    FAIL_SEVERITIES,
    ITEM_TYPES,
    ChecklistForm,
    CustomItemsForm,
    CustomRoundForm,
    EstateArgs,
    RoundForm,
    SearchArgs,
)
from webapp.rounds.views import bp
from webapp.rounds.views.common import estate_arg, kind_names, today
from webapp.scoping import get_scoped, scoped


@bp.get("/rounds/")
@roles("supervisor", "admin")
def templates_page():
    """The estate's rounds, their windows and checklists."""
    return _templates_page(estate_arg(strict_args(EstateArgs, request.args)))


def _templates_page(estate: Estate, form: CustomRoundForm | None = None):
    templates = service.ensure_defaults(db.session, estate)
    db.session.commit()
    estates = db.session.scalars(scoped(Estate).order_by(Estate.id)).all()
    return render_template(
        "rounds/templates.html",
        estate=estate,
        estates=estates,
        templates=templates,
        kind_names=kind_names(),
        new_form=form,
    ), (422 if form is not None else 200)


@bp.route("/rounds/<int:template_id>", methods=["GET", "POST"])
@roles("supervisor", "admin", scope={"template_id": "round"})
def template_page(template_id: int):
    """Edit a round: name, windows, how often, active; and its checklist (a new version)."""
    template = get_scoped(RoundTemplate, template_id)
    error = typed_name = None
    if request.method == "POST":
        before = {"name": template.name, "slots": template.slots, "period": template.period_days}
        form = RoundForm()
        form.validate()
        error = form.error()
        typed_name = form.name.data  # shown back as typed when the form is refused
        if error is None:
            name, slots, period = form.name.data, form.slots, form.period_days.data
            if template.period_days > 1 and len(slots) == 1 and template.slots:
                slots[0]["days"] = template.slots[0].get("days", 0)
            template.name = name
            template.slots = slots
            template.period_days = int(period)
            template.active = form.active.data == "on"
            record(
                db.session,
                "round.update",
                template,
                actor=current_user,
                before=before,
                after={"name": name, "slots": slots, "period": int(period)},
            )
            db.session.commit()
            flash(_("Round saved."), "ok")
            return redirect(url_for("rounds.template_page", template_id=template.id))
    return _template_page(template, error=error, typed_name=typed_name if error else None)


def _template_page(template: RoundTemplate, checklist=None, **shown):
    """A round's page; ``checklist`` the rows to show (a refused checklist's, as typed: else
    the current version's), ``shown`` what is refused (``error``, ``checklist_error``)."""
    current = service.checklist(db.session, template)
    versions = db.session.scalars(
        sa.select(ChecklistVersion.version)
        .where(ChecklistVersion.template_id == template.id)
        .order_by(ChecklistVersion.version.desc())
    ).all()
    return render_template(
        "rounds/template.html",
        template=template,
        checklist=checklist or current,
        versions=versions,
        item_types=ITEM_TYPES,
        kind_names=kind_names(),
        severities=FAIL_SEVERITIES,
        severity_names=Terms("severity"),
        **{"error": None, "typed_name": None, "checklist_error": None, **shown},
        **custom_context(template),
    ), (422 if any(shown.values()) else 200)


@bp.post("/rounds/<int:template_id>/checklist")
@roles("supervisor", "admin", scope={"template_id": "round"})
def checklist_save(template_id: int):
    """Save the checklist as a new version (answers on older versions stay readable)."""
    template = get_scoped(RoundTemplate, template_id)
    form = ChecklistForm()
    if not form.validate():
        if form.error is None:
            abort(422)
        typed = SimpleNamespace(items=form.rows)
        return _template_page(template, checklist=typed, checklist_error=form.error)
    items = form.items
    old = service.checklist(db.session, template)
    for item in items:
        for o in old.items if old else []:
            if o.get("key") == item["key"] and o.get("choices") and item["type"] == "choice":
                item["choices"] = o["choices"]
                if o.get("ok"):
                    item["ok"] = o["ok"]
    version = service.save_checklist(db.session, template, items, current_user.id)
    record(db.session, "round.checklist", template, actor=current_user, after={"version": version})
    db.session.commit()
    flash(_("Checklist saved as version %(v)s.", v=version), "ok")
    return redirect(url_for("rounds.template_page", template_id=template.id))


# ---------------------------------------------------------------- custom rounds: chosen items

SEARCH_LIMIT = 40


@bp.post("/rounds/new")
@roles("supervisor", "admin")
def custom_new():
    """A new custom round over items the supervisor chooses next (starts empty, paused)."""
    form = CustomRoundForm()
    if form.estate_id() is None:
        abort(404)
    estate = get_scoped(Estate, form.estate_id())
    if not form.validate():
        return _templates_page(estate, form)
    name = form.name.data or _("Custom round")
    template = service.new_round(
        db.session,
        estate,
        "custom",
        name,
        [{"start": "08:00", "end": "18:00"}],
        today(estate),
        created_by_id=current_user.id,
    )
    record(db.session, "round.create", template, actor=current_user, after={"name": name})
    db.session.commit()
    flash(_("Custom round made: choose its checkpoints."), "ok")
    return redirect(url_for("rounds.template_page", template_id=template.id))


def _estate_points(estate_id: int) -> dict[tuple, service.Point]:
    """Every active sign and unit of an estate, described as the grid describes them."""
    refs = {
        ("sign", i)
        for i in db.session.scalars(
            sa.select(Sign.id).where(Sign.estate_id == estate_id, Sign.active)
        )
    } | {
        ("unit", i)
        for i in db.session.scalars(
            sa.select(Unit.id).where(Unit.estate_id == estate_id, Unit.active)
        )
    }
    described = service.describe(db.session, estate_id, refs)
    return {k: v for k, v in described.items() if k in refs}


def custom_context(template: RoundTemplate) -> dict:
    """What the custom round's checkpoint editor shows: the chosen items and a search."""
    if template.kind != "custom":
        return {}
    points = _estate_points(template.estate_id)
    chosen = [
        {"ref": f"{t}:{i}", "point": points.get((t, i)) or service.Point(t, i, label=f"{t} {i}")}
        for t, i in (template.items or [])
    ]
    q = strict_args(SearchArgs, request.args)["q"]
    found = []
    if q:
        have = {tuple(x) for x in template.items or []}
        needle = q.casefold()
        for key, p in sorted(
            points.items(), key=lambda kv: (kv[1].building_sort, kv[1].building, kv[1].label)
        ):
            if key in have or needle not in f"{p.label} {p.building}".casefold():
                continue
            found.append({"ref": f"{key[0]}:{key[1]}", "point": p})
            if len(found) >= SEARCH_LIMIT:
                break
    return {"chosen": chosen, "q": q, "found": found, "search_limit": SEARCH_LIMIT}


@bp.post("/rounds/<int:template_id>/items")
@roles("supervisor", "admin", scope={"template_id": "round"})
def custom_items(template_id: int):
    """Choose a custom round's checkpoints: add found items or typed label codes, remove some."""
    template = get_scoped(RoundTemplate, template_id)
    if template.kind != "custom":
        abort(404)
    points = _estate_points(template.estate_id)
    items = [tuple(x) for x in template.items or []]
    form = CustomItemsForm()
    removed = set(form.refs(form.remove.data))
    items = [x for x in items if x not in removed]
    wanted = form.refs(form.add.data)
    unknown = []
    for text in form.typed_codes():
        code = find_short_code(db.session, [template.estate_id], text) or find_code(
            db.session, text
        )
        if code is not None:
            code = current_code(db.session, code)
        if code is None or code.estate_id != template.estate_id or not code.active:
            unknown.append(text)
            continue
        wanted.append((code.item_type, code.item_id))
    for ref in wanted:
        if ref in points and ref not in items:
            items.append(ref)
        elif ref not in points and ref not in items:
            unknown.append(f"{ref[0]}:{ref[1]}")
    before = template.items
    template.items = [list(x) for x in items]
    record(
        db.session,
        "round.items",
        template,
        actor=current_user,
        before={"items": before},
        after={"items": template.items},
    )
    db.session.commit()
    if unknown:
        flash(_("Not items of this estate: %(codes)s", codes=", ".join(unknown[:10])), "error")
    else:
        flash(_("Checkpoints saved: %(n)s.", n=len(items)), "ok")
    return redirect(url_for("rounds.template_page", template_id=template.id))
