"""The Saturday report's pages (issue 20 item 5): any week of the estates a supervisor sees, on
the page, as a PDF and as a workbook; and the dashboard's card, shown on Saturdays."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _

from webapp import edge, exports, i18n
from webapp.access import roles
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.models import Estate
from webapp.models.types import utcnow
from webapp.renovation import report, report_paper
from webapp.renovation.forms import ReportArgs
from webapp.renovation.report_tables import blocks, day_name
from webapp.scoping import scoped
from webapp.text import trim

bp = Blueprint("renovation_report", __name__, url_prefix="/renovation")

READERS = ("supervisor", "admin")  # the dashboard's: the report goes to the supervisor


def _estates() -> tuple[list[Estate], list[Estate], int | None]:
    """The estates the reader sees, those the report covers (the one asked for with
    ``?estate=``, else all), and the one asked for. Another's estate is a 404."""
    seen = list(db.session.scalars(scoped(Estate).where(Estate.active).order_by(Estate.id)))
    wanted = strict_args(ReportArgs, request.args)["estate"]
    if wanted is None:
        return seen, seen, None
    chosen = [e for e in seen if e.id == wanted]
    if not chosen:
        abort(404)
    return seen, chosen, wanted


def _today(estates: list[Estate]) -> date:
    """Today on the first covered estate's calendar (the week a bare link opens)."""
    zone = ZoneInfo(estates[0].timezone) if estates else ZoneInfo("UTC")
    return utcnow().astimezone(zone).date()


def _week(estates: list[Estate]) -> report.Week:
    """The week asked for (``?week=2026-W20``), else the latest report due; a week that is
    no week is a 400 that says how to write one."""
    text = trim(request.args.get("week", ""))  # of nothing visible: not sent
    if not text:
        return report.Week.due_by(_today(estates))
    try:
        return report.Week.parse(text)
    except ValueError:
        raise edge.BadInput(
            _(
                "“%(week)s” is not a week: write it as YYYY-Www, for example %(example)s.",
                week=text[:20],
                example=report.Week.due_by(_today(estates)).label,
            ),
            "week",
        ) from None


def _numbers():
    seen, estates, wanted = _estates()
    week = _week(estates)
    return seen, estates, wanted, week, report.report(db.session, estates, week, utcnow())


@bp.get("/report", endpoint="page")
@roles(*READERS)
def page():
    """Show the Saturday report of a week: one section per estate, or the one picked."""
    seen, _estates_, wanted, week, reports = _numbers()
    english = i18n.is_english()
    return render_template(
        "renovation/report.html",
        estates=seen,
        estate=wanted,
        week=week,
        reports=[(r, blocks(r, english)) for r in reports],
        english=english,
        day_name=day_name,
    )


@bp.get("/report.<fmt>", endpoint="download")
@roles(*READERS, scope={"fmt": "plain"})
def download(fmt: str):
    """Download the Saturday report of a week as a PDF (A4) or a workbook."""
    if fmt not in ("pdf", "xlsx"):
        abort(404)
    _seen, _estates_, _wanted, week, reports = _numbers()
    if not reports:
        abort(404)
    if fmt == "pdf":
        data, mime = report_paper.render_pdf(reports, utcnow()), "application/pdf"
    else:
        data, mime = report_paper.render_xlsx(reports), exports.XLSX_MIME
    response = current_app.response_class(data, mimetype=mime)
    return exports.name_download(
        response, report_paper.file_name(reports, week.label, fmt), inline=fmt == "pdf"
    )


@bp.get("/report/card", endpoint="card")
@roles(*READERS)
def card():
    """The dashboard's card: on a Saturday (the first covered estate's), the week's main
    numbers per estate with the files; on other days the link alone."""
    _seen, estates, wanted = _estates()
    today = _today(estates)
    week = report.Week.due_by(today)
    reports = []
    if today.weekday() == 5 and estates:
        reports = report.report(db.session, estates, week, utcnow())
    return render_template(
        "renovation/_report_card.html",
        estate=wanted,
        week=week,
        reports=reports,
        saturday=today.weekday() == 5,
        loaded=True,
    )
