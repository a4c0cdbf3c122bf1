"""The front desk (rule 8): the items held for residents — received, approved or refused by a
supervisor, handed over, collected with a signature or returned — and the shift handover
《前臺交接日志》 that both shifts sign, printable and exportable."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from sync import blobs
from webapp import exports, signature
from webapp.access import roles
from webapp.auth import passwords
from webapp.desk import export, handover, items, paper, queries, rules
from webapp.desk.forms import (
    CollectForm,
    DecideForm,
    HandoverArgs,
    HandoverForm,
    ReceiveForm,
    ReturnForm,
)
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.htmx import page_or_fragment, wants_fragment
from webapp.i18n import term
from webapp.models import Estate, User
from webapp.models.desk import DeskHandover, DeskItem, DeskItemEvent
from webapp.models.types import utcnow
from webapp.scoping import get_scoped, scoped

bp = Blueprint("desk", __name__, url_prefix="/desk")

VIEWERS = ("frontdesk", "supervisor", "admin")
DESK = ("frontdesk", "supervisor")  # who works the desk (a supervisor may cover it)
EXPORT_DAYS = 366


def _estates() -> list[Estate]:
    return list(db.session.scalars(scoped(Estate).where(Estate.active).order_by(Estate.id)))


def _receive_form(estates, estate_id=None) -> ReceiveForm:
    """The receive form, blank: the first (or the filtered) estate, one parcel."""
    form = ReceiveForm(estates, queries.find_unit, formdata=None)
    form.estate.data = estate_id or (estates[0].id if estates else None)
    form.quantity.data = 1
    form.kind.data = "parcel"
    return form


def _log_page(status: int = 200, form: ReceiveForm | None = None):
    filters = queries.Filters.from_args(request.args)
    rows, has_next, total = queries.page_of(filters)
    if wants_fragment():
        return page_or_fragment(
            "desk/log.html",
            "desk/_items_table.html",
            rows=rows,
            has_next=has_next,
            total=total,
            filters=filters,
        )
    estates = _estates()
    can_act = current_user.role in DESK
    form = form or (_receive_form(estates, estate_id=filters.estate) if can_act else None)
    unit_estate = form.estate.data if form is not None else None
    waiting = []
    if current_user.role in rules.APPROVERS:
        waiting = queries.page_of(queries.Filters(estate=filters.estate, status="requested"))[0]
    return page_or_fragment(
        "desk/log.html",
        "desk/_items_table.html",
        status=status,
        rows=rows,
        has_next=has_next,
        total=total,
        filters=filters,
        estates=estates,
        counts=queries.counts(None, filters.estate),
        form=form,
        units=queries.units_of(unit_estate) if unit_estate else [],
        waiting=waiting,
        can_act=can_act,
        can_decide=current_user.role in rules.APPROVERS,
    )


@bp.get("/")
@roles(*VIEWERS)
def index():
    """The items log: what the desk holds for residents, the receive form, the approvals."""
    return _log_page()


@bp.post("/items")
@roles(*DESK)
def receive():
    """Log an item received at the desk (held, or awaiting a supervisor's approval)."""
    estates = _estates()
    form = ReceiveForm(estates, queries.find_unit)
    if not form.validate():
        return _log_page(422, form)
    estate = get_scoped(Estate, form.estate.data)
    item = items.receive(
        db.session,
        estate,
        items.Received(
            unit=form.found_unit,
            kind=form.kind.data,
            description=form.description.data,
            quantity=form.quantity.data,
            resident_name=form.resident_name.data,
            received_from=form.received_from.data,
            received_at=form.when,
        ),
        current_user,
        utcnow(),
    )
    db.session.commit()
    named = _named(item)
    if item.status == "requested":
        flash(_("Logged: %(item)s — a supervisor must approve holding it.", item=named), "ok")
    else:
        flash(_("Logged: %(item)s", item=named), "ok")
    return redirect(url_for("desk.index", estate=estate.id)), 303


def _named(item: DeskItem) -> str:
    return f"{term('desk_item_kind', item.kind)} × {item.quantity} · {item.unit.label}"


def _item_page(item: DeskItem, status: int = 200, decide=None, collect=None, give_back=None):
    history = db.session.scalars(
        scoped(DeskItemEvent)
        .where(DeskItemEvent.item_id == item.id)
        .order_by(DeskItemEvent.at, DeskItemEvent.id)
    ).all()
    return (
        render_template(
            "desk/item.html",
            item=item,
            history=history,
            decide=decide or DecideForm(formdata=None),
            collect=collect or CollectForm(formdata=None),
            give_back=give_back or ReturnForm(formdata=None),
            can_act=current_user.role in DESK and item.is_open,
            can_decide=current_user.role in rules.APPROVERS and item.status == "requested",
        ),
        status,
    )


@bp.get("/items/<int:item_id>")
@roles(*VIEWERS, scope={"item_id": "desk_item"})
def item_page(item_id: int):
    """One item: what, for whom, its history, and what may be done with it now."""
    return _item_page(get_scoped(DeskItem, item_id))


def _moved(item: DeskItem, exc: items.Moved):
    db.session.rollback()
    flash(
        _(
            "Not recorded: the item is %(status)s now.",
            status=term("desk_item_status", exc.status),
        ),
        "error",
    )
    return _item_page(db.session.get(DeskItem, item.id), 409)


@bp.post("/items/<int:item_id>/decide")
@roles(*rules.APPROVERS, scope={"item_id": "desk_item"})
def decide(item_id: int):
    """A supervisor approves or refuses holding an item (rule 8.4)."""
    item = get_scoped(DeskItem, item_id)
    if rules.after("approve", item.status) is None:
        return _moved(item, items.Moved(item.status))
    form = DecideForm()
    if not form.validate():
        return _item_page(item, 422, decide=form)
    approve = form.decision.data == "approve"
    try:
        items.decide(db.session, item, approve, form.note.data, current_user, utcnow())
    except items.Moved as exc:
        return _moved(item, exc)
    db.session.commit()
    flash(_("Approved: the desk holds it.") if approve else _("Refused: return it."), "ok")
    return redirect(url_for("desk.item_page", item_id=item.id)), 303


@bp.post("/items/<int:item_id>/collect")
@roles(*DESK, scope={"item_id": "desk_item"})
def collect(item_id: int):
    """The item was collected: who took it, with their signature drawn at the desk."""
    item = get_scoped(DeskItem, item_id)
    if rules.after("collect", item.status) is None:
        return _moved(item, items.Moved(item.status))
    form = CollectForm()
    if not form.validate():
        return _item_page(item, 422, collect=form)
    now = utcnow()
    try:
        sha = signature.keep(
            db.session,
            blobs.from_config(current_app.config),
            signature.sent(form.signature.data),
            current_user.id,
            now,
        )
        items.collect(
            db.session, item, form.collector_name.data, sha, form.note.data, current_user, now
        )
    except signature.Refused as exc:
        db.session.rollback()
        form.signature.errors = [str(exc)]
        return _item_page(db.session.get(DeskItem, item_id), 422, collect=form)
    except items.Moved as exc:
        return _moved(item, exc)
    db.session.commit()
    flash(_("Collected by %(name)s.", name=form.collector_name.data), "ok")
    return redirect(url_for("desk.item_page", item_id=item.id)), 303


@bp.post("/items/<int:item_id>/return")
@roles(*DESK, scope={"item_id": "desk_item"})
def give_back(item_id: int):
    """The item went back to whoever brought it."""
    item = get_scoped(DeskItem, item_id)
    if rules.after("return", item.status) is None:
        return _moved(item, items.Moved(item.status))
    form = ReturnForm()
    if not form.validate():
        return _item_page(item, 422, give_back=form)
    try:
        items.give_back(db.session, item, form.note.data, current_user, utcnow())
    except items.Moved as exc:
        return _moved(item, exc)
    db.session.commit()
    flash(_("Sent back."), "ok")
    return redirect(url_for("desk.item_page", item_id=item.id)), 303


def _span(filters) -> tuple:
    """An export's days: the filters', at most a year; none given: the last 30 days."""
    today = utcnow().astimezone(get_timezone()).date()
    end = filters.end or today
    start = filters.start or (end - timedelta(days=30))
    if start > end:
        start, end = end, start
    if (end - start).days >= EXPORT_DAYS:
        start = end - timedelta(days=EXPORT_DAYS - 1)
    return start, end


@bp.get("/items.<any(csv, xlsx):fmt>")
@roles(*VIEWERS, scope={"fmt": "plain"})
def items_export(fmt: str):
    """Download the items the log's filters select (every page; a year at most)."""
    filters = queries.Filters.from_args(request.args)
    filters.start, filters.end = _span(filters)
    rows = db.session.scalars(queries.items_query(filters)).all()
    estates = {e.id: e.name for e in _estates()}
    tz = get_timezone()
    return exports.download(
        fmt,
        "desk-items",
        export.ITEMS_SHEET,
        export.ITEM_HEADERS,
        [export.item_values(item, estates, tz) for item in rows],
        [item.status == "requested" for item in rows],
    )


# ---------------------------------------------------------------- the shift handover


def _handover_estate() -> tuple[Estate, list[Estate]]:
    estates = _estates()
    if not estates:
        abort(404)
    # A post names its estate in the form, as the page's estate picker does in the query.
    wanted = strict_args(HandoverArgs, request.values)["estate"]
    if wanted is None:
        return estates[0], estates
    return get_scoped(Estate, wanted), estates


def _prefill_codes() -> str:
    """Codes a phone's stocktake sends along (``?codes=A,B``), one per line in the form."""
    raw = strict_args(HandoverArgs, request.args)["codes"]
    codes = [c.strip()[:40] for c in raw.replace(",", "\n").split() if c.strip()]
    return "\n".join(codes[: handover.MAX_CODES])


def _handover_page(estate, estates, status=200, form: HandoverForm | None = None):
    log = db.session.scalars(
        queries.handovers_query(queries.LogFilters(estate=estate.id)).limit(20)
    ).all()
    draft = handover.draft(estate)
    tasks = "\n".join(draft.last.tasks) if draft.last is not None else ""
    return (
        render_template(
            "desk/handover.html",
            draft=draft,
            estates=estates,
            log=log,
            form=form,
            prefill=form.codes.data if form is not None else _prefill_codes(),
            tasks=form.tasks.data if form is not None else tasks,
            ticked=set(form.key.data) if form is not None else set(),
        ),
        status,
    )


@bp.get("/handover")
@roles(*DESK)
def handover_form():
    """The shift handover: keys counted, items and mail at the desk, open work, both shifts."""
    estate, estates = _handover_estate()
    return _handover_page(estate, estates)


@bp.post("/handover")
@roles(*DESK)
def handover_sign():
    """Count the keys against the register, hand over what is at the desk; both shifts confirm
    with their own passwords."""
    estate, estates = _handover_estate()
    form = HandoverForm()
    if not form.validate():
        return _handover_page(estate, estates, 422, form)

    def is_me(user: User) -> bool:
        return user.id == current_user.id

    def may_take_over(user: User) -> bool:
        return (
            user.id != current_user.id
            and estate.id in user.estate_ids
            and user.role in handover.SIGNERS
        )

    # The app's one password check (rate-limited, one argon2 verification whoever is named),
    # once for each shift.
    try:
        outgoing = passwords.check(
            current_user.username, form.outgoing_password.data, eligible=is_me
        )
        incoming = passwords.check(
            form.incoming_username.data, form.incoming_password.data, eligible=may_take_over
        )
    except passwords.TooManyAttempts as exc:
        flash(passwords.wait_message(exc), "error")
        page, status = _handover_page(estate, estates, 429, form)
        return page, status, {"Retry-After": str(exc.retry_after)}
    if outgoing is None:
        flash(_("The outgoing shift must confirm with their own password."), "error")
    if incoming is None:
        flash(_("The incoming shift must sign with their own username and password."), "error")
    if outgoing is None or incoming is None:
        return _handover_page(estate, estates, 422, form)
    counted = handover.count_keys(estate.id, form.key.data, form.scanned_codes())
    entry = handover.sign(
        db.session,
        estate,
        counted,
        form.task_lines(),
        form.note.data,
        outgoing,
        incoming,
        utcnow(),
    )
    db.session.commit()
    flash(_("Handover logged."), "ok")
    return redirect(url_for("desk.handover_page", handover_id=entry.id)), 303


@bp.get("/handovers/<int:handover_id>")
@roles(*VIEWERS, scope={"handover_id": "desk_handover"})
def handover_page(handover_id: int):
    """One logged handover: what was handed over, and who signed."""
    view = handover.shown(get_scoped(DeskHandover, handover_id))
    return render_template("desk/handover_view.html", view=view)


@bp.get("/handovers/<int:handover_id>.pdf")
@roles(*VIEWERS, scope={"handover_id": "desk_handover"})
def handover_pdf(handover_id: int):
    """One handover printed on A4 《前臺交接日志》."""
    view = handover.shown(get_scoped(DeskHandover, handover_id))
    tz = get_timezone()
    data = paper.render(view, tz, utcnow().astimezone(tz))
    response = current_app.response_class(data, mimetype="application/pdf")
    stamp = view.entry.created_at.astimezone(tz).strftime("%Y%m%d-%H%M")
    return exports.name_download(response, f"前臺交接日志-{stamp}.pdf", inline=True)


@bp.get("/handovers")
@roles(*VIEWERS)
def handovers():
    """The handover log 《前臺交接日志》: every handover of the reader's estates, newest first."""
    filters = queries.LogFilters.from_args(request.args)
    query = queries.handovers_query(filters)
    rows = db.session.scalars(query.offset((filters.page - 1) * 50).limit(51)).all()
    return render_template(
        "desk/handovers.html",
        rows=rows[:50],
        has_next=len(rows) > 50,
        filters=filters,
        estates=_estates(),
    )


@bp.get("/handovers.<any(csv, xlsx):fmt>")
@roles(*VIEWERS, scope={"fmt": "plain"})
def handovers_export(fmt: str):
    """Download the handover log of the filters' days (a year at most), a row per line."""
    filters = queries.LogFilters.from_args(request.args)
    filters.start, filters.end = _span(filters)
    entries = db.session.scalars(queries.handovers_query(filters)).all()
    rows = list(export.log_rows([handover.shown(e) for e in entries], get_timezone()))
    return exports.download(fmt, "desk-handovers", export.LOG_SHEET, export.LOG_HEADERS, rows)
