"""Supervisor review: the dashboard, the findings list and its exports, a finding's page.

Who may do what: supervisors see and act on every finding of their estates; engineering sees
and marks fixed what is dispatched to engineering (its home lists those jobs); admins read
and export but do not act; patrollers and the front desk work from their own screens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
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
from flask_babel import get_timezone, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from sync import derived
from sync.photos import shown_links
from webapp import edge, exports
from webapp.access import roles
from webapp.desk.queries import counts as desk_counts
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.htmx import page_or_fragment, wants_fragment
from webapp.models import Estate, User
from webapp.models.review import DEPARTMENTS, SEVERITIES, STATUSES, FindingEvent
from webapp.models.sync import Check, Finding
from webapp.models.types import utcnow
from webapp.registry.summary import estate_summaries
from webapp.review import cache, export, queries, tables, timeline, workflow
from webapp.review.forms import BoardArgs, TableArgs
from webapp.review.names import names
from webapp.scoping import get_scoped, scoped, visible_estate_ids
from webapp.urls import safe_next

bp = Blueprint("review", __name__, url_prefix="/review")

VIEWERS = workflow.VIEW_ROLES


def _estates():
    # The person's own (their appointments are read once per request, for their scope).
    return current_user.visible_estates


def home_for(user):
    """The home screen for supervisors (the dashboard) and engineering (its jobs)."""
    if user.role == "engineering":
        return engineering_home()
    return dashboard_page()


def _dashboard_context():
    wanted = strict_args(BoardArgs, request.args)
    estate, days = wanted["estate"], wanted["days"]
    now = utcnow()
    return {
        "board": cache.dashboard(current_user, estate, days, get_timezone()),
        "estate": estate,
        "estates": _estates(),
        "days": days,
        "now": now,
        # Round coverage is the rounds area's; shown once that area is installed.
        "has_rounds": "rounds.coverage_page" in current_app.view_functions,
        "tables": tables.TABLES,
    }


def dashboard_page():
    """Show the dashboard (page, or its panel for htmx polling)."""
    context = _dashboard_context()
    if not wants_fragment():
        context["summaries"] = estate_summaries()
        # Items the front desk asks a supervisor to approve holding (rule 8.4), one click away.
        context["desk_waiting"] = desk_counts(None, context["estate"])["requested"]
    return page_or_fragment("review/dashboard.html", "review/_dashboard.html", **context)


# Today's windows are the dearest numbers on the dashboard (each estate's checkpoints against
# the day's checks): counted on their own request, and kept a minute whatever is written.
COVERAGE_TTL = 60.0


@bp.get("/coverage-today")
@roles("supervisor", "admin")
def coverage_today():
    """Today's round windows with their coverage (loaded by the dashboard on its own)."""
    estate = strict_args(BoardArgs, request.args)["estate"]  # another estate's is 404
    wanted = tuple(sorted(visible_estate_ids())) if estate is None else (estate,)
    now = utcnow()
    coverage = cache.memo(
        ("coverage", wanted),
        None,
        lambda: tables.coverage_today(wanted, now),
        ttl=COVERAGE_TTL,
    )
    return render_template("review/_coverage_today.html", coverage=coverage)


@bp.get("/dashboard")
@roles("supervisor", "admin")
def dashboard():
    """Show the review dashboard, or its panel alone for htmx (polled to stay fresh)."""
    return dashboard_page()


def engineering_home(**extra):
    """Show engineering the jobs dispatched to it that are not yet fixed, oldest due first
    (``extra``: what the page shows above them, the key approvals waiting)."""
    # What is still to do, unless asked otherwise.
    filters = queries.Filters.from_args(request.args, status="dispatched")
    rows, has_next, total = queries.page_of(filters, current_user)
    return render_template(
        "home/engineering.html",
        rows=rows,
        has_next=has_next,
        total=total,
        filters=filters,
        summaries=estate_summaries(),
        **extra,
    )


@dataclass
class Bulk:
    """The list's bulk move as sent, when it comes back refused: what was ticked and chosen,
    why nothing moved, and each ticked finding that could not make the move, with why."""

    ticked: set[str] = field(default_factory=set)
    to: str = ""
    department: str = ""
    due: str = ""
    errors: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


@bp.get("/findings")
@roles(*VIEWERS)
def findings():
    """List the findings of the user's estates with filters and pages (table alone for htmx)."""
    return _findings_page(queries.Filters.from_args(request.args))


def _findings_page(filters, status: int = 200, bulk: Bulk | None = None):
    rows, has_next, total = queries.page_of(filters, current_user)
    return page_or_fragment(
        "review/findings.html",
        "review/_findings_table.html",
        status=status,
        bulk=bulk or Bulk(),
        rows=rows,
        has_next=has_next,
        total=total,
        filters=filters,
        estates=_estates(),
        categories=queries.category_choices(),
        severities=SEVERITIES,
        statuses=STATUSES,
        departments=DEPARTMENTS,
        can_bulk=current_user.role == "supervisor",
    )


@bp.get("/findings.<any(csv, xlsx):fmt>")
@roles(*VIEWERS, scope={"fmt": "plain"})
def findings_export(fmt: str):
    """Download every finding the list's filters select (all pages) as CSV or XLSX."""
    filters = queries.Filters.from_args(request.args)
    results = db.session.execute(queries.findings_query(filters, current_user)).all()
    rows = queries.rows_for(results)
    tz = get_timezone()
    named = export.names()
    return exports.download(
        fmt,
        "findings",
        export.SHEET,
        export.HEADERS,
        [export.row_values(r, tz, named) for r in rows],
        [r.overdue for r in rows],
    )


def _table(slug: str) -> tables.Table:
    table = tables.TABLES.get(slug)
    if table is None:
        abort(404)
    return table


@bp.get("/tables/<slug>")
@roles("supervisor", "admin", scope={"slug": "plain"})
def table_page(slug: str):
    """One dashboard table in full: paginated, printable, with its exports."""
    table = _table(slug)
    params = tables.Params.from_args(current_user, request.args, TableArgs)
    page = strict_args(TableArgs, request.args)["page"]
    rows = table.fetch(params, (page - 1) * tables.PAGE, tables.PAGE + 1, get_timezone())
    return render_template(
        "review/table.html",
        table=table,
        params=params,
        rows=rows[: tables.PAGE],
        has_next=len(rows) > tables.PAGE,
        page=page,
        total=table.count(params),
        estates=_estates(),
    )


@bp.get("/tables/<slug>.<any(csv, xlsx):fmt>")
@roles("supervisor", "admin", scope={"slug": "plain", "fmt": "plain"})
def table_export(slug: str, fmt: str):
    """Download every row of a dashboard table, with the same estate and days, as CSV or XLSX."""
    table = _table(slug)
    params = tables.Params.from_args(current_user, request.args)
    rows = table.fetch(params, 0, None, get_timezone())
    return exports.download(
        fmt, table.stem, table.heading(params), [str(h) for h in table.headers], rows
    )


def _finding(finding_id: str) -> Finding:
    finding = get_scoped(Finding, finding_id)
    if not workflow.can_view(current_user, db.session, finding):
        abort(404)
    return finding


def _detail_context(finding: Finding, errors: dict | None = None) -> dict:
    state = db.session.get(workflow.FindingState, finding.id)
    events = db.session.scalars(
        sa.select(FindingEvent)
        .where(FindingEvent.finding_id == finding.id)
        .order_by(FindingEvent.at, FindingEvent.id)
    ).all()
    row = queries.rows_for(
        [(finding, state.department if state else None, state.due_at if state else None)]
    )[0]
    return {
        "finding": finding,
        "row": row,
        "state": state,
        "events": events,
        "moves": workflow.allowed_moves(current_user, db.session, finding),
        "can_comment": workflow.can_comment(current_user, db.session, finding),
        "can_set_due": current_user.role == "supervisor",
        "departments": DEPARTMENTS,
        "raised_by": _raised_by(finding),
        "before_photos": _photos("finding", [finding.id]),
        "after_photos": _after_photos(finding, state),
        "errors": errors or {},
    }


def _raised_by(finding: Finding) -> dict | None:
    """The check that raised the finding (its ``check_id``): who made it and when, a link to
    its record page for those who read records, whether the server raised the finding from
    it, and whether it was picked from a list with no reason given."""
    check = db.session.get(Check, finding.check_id) if finding.check_id else None
    if check is None or check.estate_id != finding.estate_id:
        return None
    user = db.session.get(User, check.user_id)
    readers = timeline.RECORD_READERS
    return {
        "check": check,
        "who": (user.display_name or user.username) if user else "",
        "url": url_for("records.check", check_id=check.id)
        if current_user.role in readers
        else None,
        "by_server": finding.id in derived.raised_ids(check.id),
        "no_reason": check.method == "manual" and not check.manual_reason,
    }


def _photos(record_type: str, ids: list[str]) -> list[str]:
    return [sha for _, sha in shown_links(db.session, record_type, ids)]


def _after_photos(finding: Finding, state) -> list[str]:
    """Photos of checks of the same item made after the finding was marked fixed."""
    if not finding.item_type:
        return []
    fixed_at = db.session.scalar(
        sa.select(sa.func.min(FindingEvent.at)).where(
            FindingEvent.finding_id == finding.id, FindingEvent.to_status == "fixed"
        )
    )
    if fixed_at is None:
        return []
    checks = db.session.scalars(
        sa.select(Check.id).where(
            Check.item_type == finding.item_type,
            Check.item_id == finding.item_id,
            Check.occurred_at >= fixed_at,
        )
    ).all()
    return _photos("check", list(checks))


@bp.get("/findings/<finding_id>")
@roles(*VIEWERS, scope={"finding_id": "finding"})
def finding(finding_id: str):
    """Show one finding: what was seen, its photos, its trail, and the moves open to the user."""
    finding = _finding(finding_id)
    return render_template("review/finding.html", **_detail_context(finding))


def _parse_due(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return edge.bounded_date(datetime.strptime(text, "%Y-%m-%d").date().isoformat())
    except ValueError:
        message = _("Give the due date as YYYY-MM-DD, from 1900 to 2999.")
        raise workflow.WorkflowError("due", message) from None


def _due_at(day: date | None, finding: Finding) -> datetime | None:
    """Due at the end of that day on the finding's estate's calendar. (A zone as ``tzinfo=``
    must be a zoneinfo one: Babel's pytz zone there is the city's LMT, six minutes off.)"""
    if day is None:
        return None
    zone = ZoneInfo(db.session.get(Estate, finding.estate_id).timezone)
    return datetime.combine(day, dtime(23, 59), tzinfo=zone)


def _back(finding: Finding):
    fallback = url_for("review.finding", finding_id=finding.id)
    return redirect(safe_next(request.form.get("next"), fallback), code=303)


def _refuse(finding: Finding, error: workflow.WorkflowError):
    db.session.rollback()
    finding = _finding(finding.id)
    return render_template(
        "review/finding.html",
        **_detail_context(finding, {error.field: str(error.message)}),
        typed=request.form,  # what was written, shown back as typed
    ), 422


@bp.post("/findings/<finding_id>/move")
@roles("supervisor", "engineering", scope={"finding_id": "finding"})
def move(finding_id: str):
    """Move a finding along its workflow (dispatch, fixed, re-inspected, closed, reopened)."""
    finding = _finding(finding_id)
    try:
        due_at = _due_at(_parse_due(request.form.get("due")), finding)
        workflow.move(
            db.session,
            current_user,
            finding,
            request.form.get("to", ""),
            department=request.form.get("department") or None,
            due_at=due_at,
            note=request.form.get("note", ""),
        )
    except workflow.WorkflowError as error:
        return _refuse(finding, error)
    db.session.commit()
    flash(_("Finding moved to “%(status)s”.", status=names()["status_names"][finding.status]), "ok")
    return _back(finding)


@bp.post("/findings/<finding_id>/comments")
@roles("supervisor", "engineering", scope={"finding_id": "finding"})
def add_comment(finding_id: str):
    """Add a comment to a finding's trail."""
    finding = _finding(finding_id)
    try:
        workflow.comment(db.session, current_user, finding, request.form.get("body", ""))
    except workflow.WorkflowError as error:
        return _refuse(finding, error)
    db.session.commit()
    return _back(finding)


@bp.post("/findings/<finding_id>/due")
@roles("supervisor", scope={"finding_id": "finding"})
def set_due(finding_id: str):
    """Set or clear a finding's due date."""
    finding = _finding(finding_id)
    try:
        due_at = _due_at(_parse_due(request.form.get("due")), finding)
        workflow.set_due(db.session, current_user, finding, due_at)
    except workflow.WorkflowError as error:
        return _refuse(finding, error)
    db.session.commit()
    return _back(finding)


MAX_BULK = 500


@bp.post("/findings/bulk")
@roles("supervisor")
def bulk():
    """Apply one move to the findings ticked in the list, all or none: each is checked and
    audited; if one cannot make the move (or is not the supervisor's to see, or the due date
    is no date) none moves, and the list comes back with why, the ticks and the move kept."""
    form = request.form
    ids = list(dict.fromkeys(form.getlist("ids")))
    back = safe_next(form.get("next"), url_for("review.findings"))
    sent = Bulk(
        ticked=set(ids[:MAX_BULK]),
        to=form.get("to", ""),
        department=form.get("department") or "",
        due=(form.get("due") or "")[:40],
    )
    if not ids:
        sent.errors.append(_("Tick the findings to move."))
    elif len(ids) > MAX_BULK:
        sent.errors.append(_("Tick at most %(n)d findings at once.", n=MAX_BULK))
    try:
        due = _parse_due(sent.due)
    except workflow.WorkflowError as error:
        sent.errors.append(str(error.message))
    if sent.errors:
        return _bulk_refused(back, sent)
    found = db.session.scalars(scoped(Finding).where(Finding.id.in_(ids))).all()
    unseen = len(ids) - len(found)
    if unseen:
        sent.errors.append(
            ngettext(
                "%(num)d ticked finding is not in the list you can see, so none was moved.",
                "%(num)d ticked findings are not in the list you can see, so none was moved.",
                unseen,
            )
        )
    for finding in found:
        try:
            with db.session.begin_nested():
                workflow.move(
                    db.session,
                    current_user,
                    finding,
                    sent.to,
                    department=sent.department or None,
                    due_at=_due_at(due, finding),
                )
        except workflow.WorkflowError as error:
            sent.refused[finding.id] = str(error.message)
    if sent.refused:
        sent.errors.append(
            ngettext(
                "%(num)d ticked finding cannot make this move, so none was moved: it is marked"
                " below.",
                "%(num)d ticked findings cannot make this move, so none was moved: they are"
                " marked below.",
                len(sent.refused),
            )
        )
    if sent.errors:
        return _bulk_refused(back, sent)
    db.session.commit()
    flash(_("%(n)d findings moved.", n=len(found)), "ok")
    return redirect(back, code=303)


def _bulk_refused(back: str, sent: Bulk):
    """Nothing of the bulk move kept: the list it was sent from, again, saying why."""
    db.session.rollback()
    args = MultiDict(parse_qsl(urlsplit(back).query, keep_blank_values=True))
    return _findings_page(queries.Filters.from_args(args), 422, sent)
