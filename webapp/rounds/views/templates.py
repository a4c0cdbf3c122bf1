"""Editing rounds: windows, how often, the checklist (versioned), a custom round's checkpoints."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp import vocab
from webapp.access import roles
from webapp.extensions import db
from webapp.i18n import Terms
from webapp.models import Estate, Sign, Unit
from webapp.models.audit import record
from webapp.models.rounds import ChecklistVersion, RoundTemplate
from webapp.rounds import defaults, rules, service
from webapp.rounds.views import bp
from webapp.rounds.views.common import estate_arg, kind_names, today
from webapp.scoping import get_scoped, scoped

ITEM_TYPES = ("yesno", "choice", "number", "text", "photo")


@bp.get("/rounds/")
@roles("supervisor", "admin")
def templates_page():
    """The estate's rounds, their windows and checklists."""
    estate = estate_arg(api=False)
    templates = service.ensure_defaults(db.session, estate)
    db.session.commit()
    estates = db.session.scalars(scoped(Estate).order_by(Estate.id)).all()
    return render_template(
        "rounds/templates.html",
        estate=estate,
        estates=estates,
        templates=templates,
        kind_names=kind_names(),
    )


def _parse_slots(form) -> tuple[list[dict], str | None]:
    slots = []
    for start, end in zip(form.getlist("start"), form.getlist("end"), strict=False):
        if not start.strip() and not end.strip():
            continue
        if rules.parse_hm(start) is None or rules.parse_hm(end) is None:
            return [], _("Give each window's times as HH:MM.")
        slots.append({"start": start.strip(), "end": end.strip()})
    if not slots:
        return [], _("A round needs at least one window.")
    return slots, None


@bp.route("/rounds/<int:template_id>", methods=["GET", "POST"])
@roles("supervisor", "admin", scope={"template_id": "round"})
def template_page(template_id: int):
    """Edit a round: name, windows, how often, active; and its checklist (a new version)."""
    template = get_scoped(RoundTemplate, template_id)
    error = None
    if request.method == "POST":
        before = {"name": template.name, "slots": template.slots, "period": template.period_days}
        name = request.form.get("name", "").strip()[:120]
        slots, error = _parse_slots(request.form)
        period = request.form.get("period_days", "1")
        if not name:
            error = _("Give the round a name.")
        elif not period.isdigit() or not 1 <= int(period) <= 60:
            error = _("Repeat every 1 to 60 days.")
        if error is None:
            if template.period_days > 1 and len(slots) == 1 and template.slots:
                slots[0]["days"] = template.slots[0].get("days", 0)
            template.name = name
            template.slots = slots
            template.period_days = int(period)
            template.active = request.form.get("active") == "on"
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
    current = service.checklist(db.session, template)
    versions = db.session.scalars(
        sa.select(ChecklistVersion.version)
        .where(ChecklistVersion.template_id == template.id)
        .order_by(ChecklistVersion.version.desc())
    ).all()
    return render_template(
        "rounds/template.html",
        template=template,
        checklist=current,
        versions=versions,
        item_types=ITEM_TYPES,
        kind_names=kind_names(),
        severities=FAIL_SEVERITIES,
        severity_names=Terms("severity"),
        error=error,
        **custom_context(template),
    ), (422 if error else 200)


# The severities a failed checklist item may make besides critical (its own checkbox).
FAIL_SEVERITIES = tuple(severity for severity in vocab.SEVERITIES if severity != "critical")


def _nth(values: list[str], n: int) -> str:
    return values[n] if n < len(values) else ""


@bp.post("/rounds/<int:template_id>/checklist")
@roles("supervisor", "admin", scope={"template_id": "round"})
def checklist_save(template_id: int):
    """Save the checklist as a new version (answers on older versions stay readable)."""
    template = get_scoped(RoundTemplate, template_id)
    items = []
    form = request.form
    for n, (zh, en, kind) in enumerate(
        zip(form.getlist("zh"), form.getlist("en"), form.getlist("type"), strict=False)
    ):
        if not zh.strip() and not en.strip():
            continue
        if kind not in ITEM_TYPES:
            abort(422)
        item = {
            "key": form.getlist("key")[n] if n < len(form.getlist("key")) else "",
            "type": kind,
            "zh": zh.strip()[:120],
            "en": en.strip()[:120],
        }
        item["key"] = item["key"].strip()[:40] or f"q{n + 1}"
        if str(n) in form.getlist("critical"):
            item["critical"] = True
        if str(n) in form.getlist("required"):
            item["required"] = True
        # What a failed answer makes: its finding's severity (critical is the checkbox) and
        # category (blank: the round's default). Medium is the default and is not stored.
        severity = _nth(form.getlist("severity"), n) or "medium"
        if severity not in FAIL_SEVERITIES:
            abort(422)
        if severity != "medium":
            item["severity"] = severity
        category = _nth(form.getlist("category"), n).strip()[:64]
        if category:
            item["category"] = category
        old = service.checklist(db.session, template)
        for o in old.items if old else []:
            if o.get("key") == item["key"] and o.get("choices") and kind == "choice":
                item["choices"] = o["choices"]
                if o.get("ok"):
                    item["ok"] = o["ok"]
        items.append(item)
    version = service.save_checklist(db.session, template, items, current_user.id)
    record(db.session, "round.checklist", template, actor=current_user, after={"version": version})
    db.session.commit()
    flash(_("Checklist saved as version %(v)s.", v=version), "ok")
    return redirect(url_for("rounds.template_page", template_id=template.id))


# ---------------------------------------------------------------- custom rounds: chosen items

CUSTOM_ITEM_TYPES = ("sign", "unit")
SEARCH_LIMIT = 40


@bp.post("/rounds/new")
@roles("supervisor", "admin")
def custom_new():
    """A new custom round over items the supervisor chooses next (starts empty, paused)."""
    raw = request.form.get("estate", "")
    if not (raw.isascii() and raw.isdigit()):
        abort(404)
    estate = get_scoped(Estate, int(raw))
    name = request.form.get("name", "").strip()[:120] or _("Custom round")
    template = RoundTemplate(
        estate_id=estate.id,
        kind="custom",
        name=name,
        slots=[{"start": "08:00", "end": "18:00"}],
        period_days=1,
        anchor=today(estate),
        items=[],
        checklist_version=1,
        active=True,
    )
    db.session.add(template)
    db.session.flush()
    db.session.add(
        ChecklistVersion(
            template_id=template.id,
            estate_id=estate.id,
            version=1,
            items=defaults.CHECKLISTS["custom"],
            created_by_id=current_user.id,
        )
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
    q = request.args.get("q", "").strip()[:60]
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


def _refs(values) -> list[tuple[str, int]]:
    out = []
    for value in values:
        kind, _sep, ident = value.partition(":")
        if kind in CUSTOM_ITEM_TYPES and ident.isascii() and ident.isdigit():
            out.append((kind, int(ident)))
    return out


@bp.post("/rounds/<int:template_id>/items")
@roles("supervisor", "admin", scope={"template_id": "round"})
def custom_items(template_id: int):
    """Choose a custom round's checkpoints: add found items or typed label codes, remove some."""
    from webapp.labels.codes import current_code, find_code, find_short_code

    template = get_scoped(RoundTemplate, template_id)
    if template.kind != "custom":
        abort(404)
    points = _estate_points(template.estate_id)
    items = [tuple(x) for x in template.items or []]
    removed = set(_refs(request.form.getlist("remove")))
    items = [x for x in items if x not in removed]
    wanted = _refs(request.form.getlist("add"))
    unknown = []
    for text in request.form.get("codes", "").replace(",", " ").split():
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
