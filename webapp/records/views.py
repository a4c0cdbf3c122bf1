"""`/records/checks/<id>`: everything one check holds, for supervisors, engineering and admins of
its estate — the item, the round and the window it fell in, who and which phone, how the item
was reached, the checklist as answered (in the version the phone showed), the note, the
photos, the phone's and the server's times and whether the phone's clock was off, the position
fix, and the findings the check raised (those naming it by ``check_id``: the phone's for its
failed items, and the server's own, sync/derived.py)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for

from sync import derived
from sync.photos import shown_links
from webapp.access import roles
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.i18n import Terms, term
from webapp.models import Device, Estate, Key, LabelCode, Sign, Unit, User, utcnow
from webapp.models.rounds import ChecklistVersion, RoundTemplate
from webapp.models.sync import Check, Finding
from webapp.paper.records import Checklist, question_of
from webapp.records import day as day_of
from webapp.records.forms import CellArgs, DayArgs
from webapp.review.queries import item_labels
from webapp.rounds import presence, rules
from webapp.scoping import visible_estate_ids

bp = Blueprint("records", __name__, url_prefix="/records")

READERS = ("supervisor", "engineering", "admin")
ITEMS = {"unit": Unit, "sign": Sign, "key": Key}
CHECKPOINTS = {"signage": "sign", "renovation": "unit", "vacant": "unit"}  # custom: any


def _window(template: RoundTemplate | None, check: Check, tz: str):
    """The round window the check counts for, and whether it came after the window closed."""
    if template is None:
        return None, False
    at = check.received_at if check.clock_skewed else check.occurred_at
    day = at.astimezone(ZoneInfo(tz)).date()
    schedule = rules.Schedule.from_template(template)
    found = None
    for back in (0, 1):
        for w in rules.windows_starting(schedule, day - timedelta(days=back), tz):
            if w.start <= at and (found is None or w.start > found.start):
                found = w
        if found is not None:
            break
    return found, bool(found and at > found.end)


def _following(schedule: rules.Schedule, window: rules.Window, tz: str):
    """When the round's next window opens (a late check counts until then), at most a week on."""
    day = window.start.astimezone(ZoneInfo(tz)).date()
    for ahead in range(8):
        for w in rules.windows_starting(schedule, day + timedelta(days=ahead), tz):
            if w.start > window.start:
                return w.start
    return window.end + timedelta(days=7)


@bp.get("/cell")
@roles(*READERS)
def cell():
    """A coverage grid cell: the check that decided it (as ``rules.status_sorted`` reads the
    window), opened on its record page; 404 when no check counts for it."""
    wanted = strict_args(CellArgs, request.args)
    template_id, start = wanted["template"], wanted["start"]
    if template_id is None or start is None or wanted["item"] is None:
        abort(404)  # a cell names all three
    item_type, item_id = wanted["item"]
    template = db.session.get(RoundTemplate, template_id)
    if template is None or template.estate_id not in visible_estate_ids():
        abort(404)
    if item_type != CHECKPOINTS.get(template.kind, item_type):
        abort(404)  # not a checkpoint of this round
    tz = db.session.get(Estate, template.estate_id).timezone
    schedule = rules.Schedule.from_template(template)
    day = start.astimezone(ZoneInfo(tz)).date()
    window = next((w for w in rules.windows_starting(schedule, day, tz) if w.start == start), None)
    if window is None:
        abort(404)
    following = _following(schedule, window, tz)
    when = sa.case((Check.clock_skewed, Check.received_at), else_=Check.occurred_at)
    checks = db.session.execute(
        sa.select(Check.id, when.label("at"), Check.result)
        .where(
            Check.estate_id == template.estate_id,
            Check.item_type == item_type,
            Check.item_id == item_id,
            when >= window.start,
            when < max(following, window.end),
        )
        .order_by(when, Check.id)
    ).all()
    inside = [c for c in checks if c.at < window.end]
    after = [c for c in checks if c.at >= window.end and c.result != rules.NO_ACCESS]
    chosen = next((c for c in inside if c.result != rules.NO_ACCESS), None)
    chosen = chosen or (inside[0] if inside else None) or (after[0] if after else None)
    if chosen is None:
        abort(404)
    return redirect(url_for("records.check", check_id=chosen.id))


@bp.get("/checks/<check_id>")
@roles(*READERS, scope={"check_id": "check"})
def check(check_id: str):
    record = db.session.get(Check, check_id) if len(check_id) <= 36 else None
    if record is None or record.estate_id not in visible_estate_ids():
        abort(404)
    estate = db.session.get(Estate, record.estate_id)
    tz = ZoneInfo(estate.timezone)
    item = db.session.get(ITEMS.get(record.item_type, Unit), record.item_id)
    code = db.session.scalar(
        sa.select(LabelCode.code).where(
            LabelCode.item_type == record.item_type,
            LabelCode.item_id == record.item_id,
            LabelCode.active,
        )
    )
    template = None
    if record.round_id and record.round_id.isdigit():
        template = db.session.get(RoundTemplate, int(record.round_id))
        if template is not None and template.estate_id != record.estate_id:
            template = None
    answers = record.answers if isinstance(record.answers, dict) else {}
    checklist = None
    if template is not None:
        version = int(answers.get("_v") or template.checklist_version)
        found = db.session.scalar(
            sa.select(ChecklistVersion).where(
                ChecklistVersion.template_id == template.id, ChecklistVersion.version == version
            )
        )
        if found is not None:
            questions = tuple(question_of(q) for q in found.items or [])
            checklist = Checklist(template.id, version, questions)
    window, late = _window(template, record, estate.timezone)
    user = db.session.get(User, record.user_id)
    device = db.session.get(Device, record.device_id) if record.device_id else None
    photos = [sha for _id, sha in shown_links(db.session, "check", [record.id])]
    findings = db.session.scalars(
        sa.select(Finding)
        .where(Finding.check_id == record.id)
        .order_by(Finding.occurred_at, Finding.id)
    ).all()
    # The ones the server raised from the check itself (not reported on the phone).
    raised = derived.raised_ids(record.id)
    rows = []
    for q in checklist.questions if checklist else ():
        if q.type == "photo":
            continue
        value = answers.get(q.key)
        rows.append({"question": q, "shown": q.shown(value), "failed": q.failed(value)})
    reason = answers.get("no_access") if record.result == "no_access" else None
    return render_template(
        "records/check.html",
        record=record,
        estate=estate,
        tz=tz,
        item=item,
        item_label=getattr(item, "label", f"{record.item_type} {record.item_id}"),
        code=code,
        template=template,
        kind_name=term("round_kind", template.kind) if template else "",
        window=window,
        late=late,
        user=user,
        device=device,
        checklist=checklist,
        rows=rows,
        photos=photos,
        findings=findings,
        raised=raised,
        reason_given=term("manual_reason", record.manual_reason) if record.manual_reason else "",
        no_reason=record.method == "manual" and not record.manual_reason,
        result_name=term("check_result", record.result),
        reason_name=term("no_access_reason", str(reason)) if reason else "",
        method_name=term("check_method", record.method),
        severity_names=Terms("severity"),
        presence=presence.for_check(db.session, record),
    )


@bp.get("/people/<int:user_id>")
@roles(*READERS, scope={"user_id": "user"})
def patroller_day(user_id: int):
    """One patroller's day: every check they made, in order, each linked to its record."""
    person = db.session.get(User, user_id)
    seen = set(visible_estate_ids())
    shared = [e for e in (person.estate_ids if person else []) if e in seen]
    if not shared:
        abort(404)
    estates = db.session.scalars(
        sa.select(Estate).where(Estate.id.in_(shared)).order_by(Estate.id)
    ).all()
    zone = ZoneInfo(estates[0].timezone)
    day = strict_args(DayArgs, request.args)["day"] or utcnow().astimezone(zone).date()
    found = day_of.patroller_day(db.session, user_id, estates, day, item_labels)
    return render_template(
        "records/day.html",
        person=person,
        day=day,
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        found=found,
        several=len(estates) > 1,
        result_names=Terms("check_result"),
        method_names=Terms("check_method"),
        severity_names=Terms("severity"),
    )
