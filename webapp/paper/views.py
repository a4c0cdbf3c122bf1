"""`/forms`: the rulebook's paper forms printed from the records, for supervisors, engineering
and admins of the estates they see.

Each form is a GET that answers a PDF. Its query is read strictly first (``ARGS``): a value that
is no id, day or month is a 400 naming it, an estate or unit the reader does not see a 404;
missing choices, or choices that do not go together, answer the chooser page again with the
form's messages (422). Never a 500. A unit's forms may be asked for one unit (``unit``) or
for every unit of the estate that the round covers (under renovation, vacant).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request, stream_with_context
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import DateField, MonthField, SelectField
from wtforms.validators import InputRequired, ValidationError

from sync import blobs
from webapp import exports
from webapp.access import roles
from webapp.extensions import db
from webapp.forms import Choice, Day, EstateId, FilterForm, Form, Int32, Month, strict_args
from webapp.models import Estate, Sign, Unit
from webapp.models.rounds import RoundTemplate
from webapp.models.types import utcnow
from webapp.paper import checksheet, coverage, export, records, signage
from webapp.rounds import presence, service
from webapp.scoping import scoped
from webapp.values import FIRST_DAY, LAST_DAY, choice_id

bp = Blueprint("paper", __name__, url_prefix="/forms")

READERS = ("supervisor", "engineering", "admin")
MAX_DAYS = 93  # a quarter: a longer renovation form is several forms
EXPORT_DAYS = 366
XLSX_ROWS = 100_000  # a workbook is built whole; larger ranges stream as CSV
UNIT_STATUS = {"renovation": "renovating", "vacant": "vacant"}


def _optional_id(value) -> int | None:
    return None if value in (None, "") else choice_id(value)


def _unit_choices(estates: list[Estate], kind: str) -> dict:
    """``All`` and the units in the round now, grouped by estate (an optgroup each)."""
    rows = db.session.execute(
        sa.select(Unit.id, Unit.estate_id, Unit)
        .where(
            Unit.estate_id.in_([e.id for e in estates]),
            Unit.active,
            Unit.status == UNIT_STATUS[kind],
        )
        .order_by(Unit.building_id, Unit.floor, Unit.room)
    ).all()
    names = {e.id: e.name for e in estates}
    grouped: dict = {"": [("", _l("Every unit in this round"))]}
    for unit_id, estate_id, unit in rows:
        grouped.setdefault(names[estate_id], []).append((unit_id, unit.label))
    return grouped


class _Choice(Form):
    """What every form asks: the estate, and (for a unit's form) one unit or all of them."""

    estate = SelectField(_l("Estate"), coerce=choice_id, validators=[InputRequired()])
    # Any unit of the estate may be asked for (a link from its page); the list offers those
    # in the round now. Checked against the estate in the view.
    unit = SelectField(_l("Unit"), coerce=_optional_id, validate_choice=False)
    kind = ""  # the round whose units the list offers

    def __init__(self, estates: list[Estate], **kwargs):
        super().__init__(**kwargs)
        self.estate.choices = [(e.id, e.name) for e in estates]
        if self.kind:
            self.unit.choices = _unit_choices(estates, self.kind)


def _in_range(form, field):
    """A day the calendar holds (1900 to 2999): a far date is a typo, never a 500."""
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(_l("Choose a date from 1900 to 2999."))


class RangeChoice(_Choice):
    kind = "renovation"
    start = DateField(_l("From"), validators=[InputRequired(), _in_range])
    end = DateField(_l("To"), validators=[InputRequired(), _in_range])

    def span(self) -> tuple[date, date]:
        return self.start.data, self.end.data

    def validate_end(self, field):
        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError(_l("The end is before the start."))
            if (field.data - self.start.data).days >= MAX_DAYS:
                raise ValidationError(_l("At most %(n)d days at a time.", n=MAX_DAYS))


class MonthChoice(_Choice):
    kind = "vacant"
    month = MonthField(_l("Month"), validators=[InputRequired(), _in_range])

    def span(self) -> tuple[date, date]:
        first = self.month.data
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return first, last


class DayChoice(_Choice):
    day = DateField(_l("Day"), validators=[InputRequired(), _in_range])


class CoverageChoice(DayChoice):
    view = SelectField(_l("Span"), default="day")

    def __init__(self, estates: list[Estate], **kwargs):
        super().__init__(estates, **kwargs)
        self.view.choices = [("day", _l("The day")), ("week", _l("The week ending that day"))]

    def days(self) -> list[date]:
        last = self.day.data
        if self.view.data == "week":
            return [last - timedelta(days=n) for n in range(6, -1, -1)]
        return [last]


class ChecksChoice(Form):
    """The checks export: an estate or all the reader's estates, a date range of up to a year."""

    estate = SelectField(_l("Estate"), coerce=_optional_id)
    start = DateField(_l("From"), validators=[InputRequired(), _in_range])
    end = DateField(_l("To"), validators=[InputRequired(), _in_range])

    def __init__(self, estates: list[Estate], **kwargs):
        super().__init__(**kwargs)
        self.estate.choices = [("", _l("All my estates"))] + [(e.id, e.name) for e in estates]

    def validate_end(self, field):
        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError(_l("The end is before the start."))
            if (field.data - self.start.data).days >= EXPORT_DAYS:
                raise ValidationError(_l("At most %(n)d days at a time.", n=EXPORT_DAYS))


# What each chooser's query may hold, read strictly before the chooser reads it: a value
# that is no id, day or month is a 400 naming it, an estate the reader does not see a 404;
# the chooser then says what is missing or does not go together (422).


class _UnitArgs(FilterForm):
    estate = EstateId()
    unit = Int32(low=1)


class RangeArgs(_UnitArgs):
    start = Day()
    end = Day()


class MonthArgs(_UnitArgs):
    month = Month()


class DayArgs(_UnitArgs):
    day = Day()


class CoverageArgs(DayArgs):
    view = Choice(("day", "week"))


class ChecksArgs(FilterForm):
    estate = EstateId()
    start = Day()
    end = Day()


ARGS = {
    "renovation": RangeArgs,
    "vacant-record": MonthArgs,
    "vacant-sign-in": MonthArgs,
    "signage": DayArgs,
    "coverage": CoverageArgs,
    "checks": ChecksArgs,
}

FORMS = {
    "renovation": (RangeChoice, checksheet.RENOVATION),
    "vacant-record": (MonthChoice, checksheet.VACANT_RECORD),
    "vacant-sign-in": (MonthChoice, checksheet.VACANT_SIGN_IN),
    "signage": (DayChoice, None),
    "coverage": (CoverageChoice, None),
    "checks": (ChecksChoice, None),
}


def _estates() -> list[Estate]:
    return list(db.session.scalars(scoped(Estate).where(Estate.active).order_by(Estate.id)))


def _forms(estates, filled: str | None = None, form=None) -> dict:
    """A blank chooser per form, today's period filled in; ``filled`` is the one just sent."""
    today = utcnow().date()
    defaults = {
        "renovation": {"start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat()},
        "vacant-record": {"month": f"{today:%Y-%m}"},
        "vacant-sign-in": {"month": f"{today:%Y-%m}"},
        "signage": {"day": today.isoformat()},
        "coverage": {"day": today.isoformat(), "view": "day"},
        "checks": {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()},
    }
    out = {}
    for name, (cls, _) in FORMS.items():
        if name == filled and form is not None:
            out[name] = form
        else:
            out[name] = cls(estates, formdata=MultiDict(defaults[name]))
    return out


@bp.get("/")
@roles(*READERS)
def index():
    estates = _estates()
    return render_template("paper/index.html", forms=_forms(estates), estates=estates)


def _refuse(name: str, form):
    estates = _estates()
    return (
        render_template(
            "paper/index.html", forms=_forms(estates, name, form), estates=estates, open=name
        ),
        422,
    )


def _pdf(data: bytes, filename: str):
    response = current_app.response_class(data, mimetype="application/pdf")
    exports.name_download(response, filename, inline=True)
    return response


def _units(form, estate: Estate, kind: str) -> list[Unit] | None:
    """The unit asked for, or every unit of the estate in the round's status; None: the unit
    is not one of this estate's."""
    query = sa.select(Unit).where(Unit.estate_id == estate.id)
    if form.unit.data is not None:
        unit = db.session.scalar(query.where(Unit.id == form.unit.data))
        return [unit] if unit is not None else None
    query = query.where(Unit.active, Unit.status == UNIT_STATUS[kind])
    return list(db.session.scalars(query.order_by(Unit.building_id, Unit.floor, Unit.room)))


def _choice(name: str):
    cls, paper_form = FORMS[name]
    strict_args(ARGS[name], request.args)
    estates = _estates()
    form = cls(estates, formdata=request.args)
    if not form.validate():
        return None, _refuse(name, form)
    estate = next(e for e in estates if e.id == form.estate.data)
    return (form, estate, paper_form), None


@bp.get("/renovation.pdf")
@roles(*READERS)
def renovation():
    return _unit_form("renovation")


@bp.get("/vacant-record.pdf")
@roles(*READERS)
def vacant_record():
    return _unit_form("vacant-record")


@bp.get("/vacant-sign-in.pdf")
@roles(*READERS)
def vacant_sign_in():
    return _unit_form("vacant-sign-in")


def _checks(estate: Estate, tz: ZoneInfo, first, last, kind: str, item_type: str, item_ids=None):
    """The estate's checks of `kind` rounds on `item_type` items (all, or item_ids) from first to
    last, its days in tz, with their photos (records.read_checks)."""
    return records.read_checks(
        db.session,
        estate_id=estate.id,
        tz=tz,
        first=first,
        last=last,
        kind=kind,
        item_type=item_type,
        item_ids=item_ids,
        blobs=blobs.from_config(current_app.config),
    )


def _unit_form(name: str):
    """A unit's form (one unit, or every unit in its round) for the chosen period."""
    chosen, refused = _choice(name)
    if refused:
        return refused
    form, estate, paper_form = chosen
    first, last = form.span()
    units = _units(form, estate, paper_form.kind)
    if units is None:
        abort(404)  # not a unit of this estate: as its page, it is not there
    if not units:
        form.unit.errors = [_l("No unit of this estate is in this round now; choose a unit.")]
        return _refuse(name, form)
    tz = ZoneInfo(estate.timezone)
    rows = _checks(estate, tz, first, last, paper_form.kind, "unit", item_ids=[u.id for u in units])
    printed = datetime.now(tz)
    if paper_form is checksheet.VACANT_SIGN_IN:
        data = checksheet.render_sign_in(estate, units, rows, first, last, printed)
    else:
        data = checksheet.render_records(paper_form, estate, units, rows, first, last, printed)
    scope = units[0].label if len(units) == 1 else f"{len(units)}"
    return _pdf(data, f"{paper_form.zh}-{scope}-{first.isoformat()}.pdf")


@bp.get("/signage.pdf")
@roles(*READERS)
def signage_record():
    chosen, refused = _choice("signage")
    if refused:
        return refused
    form, estate, _ = chosen
    day = form.day.data
    tz = ZoneInfo(estate.timezone)
    template = db.session.scalar(
        sa.select(RoundTemplate)
        .where(RoundTemplate.estate_id == estate.id, RoundTemplate.kind == "signage")
        .order_by(RoundTemplate.active.desc(), RoundTemplate.id)
    )
    signs = list(
        db.session.scalars(
            sa.select(Sign).where(Sign.estate_id == estate.id, Sign.active).order_by(Sign.id)
        )
    )
    slots = signage.windows(template, day, estate.timezone) if template else []
    rows = _checks(estate, tz, day, day, "signage", "sign")
    data = signage.render(estate, signs, slots, rows, day, datetime.now(tz))
    return _pdf(data, f"{signage.TITLE[0]}-{day.isoformat()}.pdf")


@bp.get("/checks.<any(csv, xlsx):fmt>")
@roles(*READERS, scope={"fmt": "plain"})
def checks_export(fmt: str):
    """Every check of the range, its answers as columns: CSV streams, XLSX up to XLSX_ROWS."""
    strict_args(ARGS["checks"], request.args)
    estates = _estates()
    form = ChecksChoice(estates, formdata=request.args)
    if not form.validate():
        return _refuse("checks", form)
    chosen = [e for e in estates if form.estate.data in (None, e.id)]
    first, last = form.start.data, form.end.data
    columns = export.questions(db.session, [e.id for e in chosen])
    headers = export.FIXED + [export.heading(key, q) for key, q in columns]
    stem = f"checks-{first.isoformat()}-{last.isoformat()}"
    if fmt == "xlsx":
        if export.count(db.session, chosen, first, last) > XLSX_ROWS:
            form.end.errors = [
                _l("Over %(n)d checks: choose a shorter range, or CSV.", n=XLSX_ROWS)
            ]
            return _refuse("checks", form)
        summary = export.by_patroller(db.session, chosen, first, last)
        data = exports.to_xlsx(
            "checks",
            headers,
            export.rows(db.session, chosen, first, last, columns),
            more=[(export.PATROLLER_SHEET, export.PATROLLER_HEADERS, summary)],
        )
        response = current_app.response_class(data, mimetype=exports.XLSX_MIME)
    else:
        lines = export.rows(db.session, chosen, first, last, columns)
        body = stream_with_context(exports.csv_chunks(headers, lines))
        response = current_app.response_class(body, mimetype=exports.CSV_MIME)
    exports.name_download(response, f"{stem}.{fmt}")
    return response


@bp.get("/coverage.pdf")
@roles(*READERS)
def coverage_record():
    """The coverage grid of a day, or of the week that ends on it."""
    chosen, refused = _choice("coverage")
    if refused:
        return refused
    form, estate, _ = chosen
    last = form.day.data
    days = (
        [last - timedelta(days=n) for n in range(6, -1, -1)] if form.view.data == "week" else [last]
    )
    found = service.coverage_days(db.session, estate, days, utcnow())
    db.session.commit()  # coverage opens the windows it reads, as the grid on the screen does
    tz = ZoneInfo(estate.timezone)
    shares = presence.shares(db.session, estate, *records.day_bounds(days[0], days[-1], tz))
    data = coverage.render(estate, days, found, datetime.now(tz), shares)
    return _pdf(data, f"{coverage.TITLE[0]}-{days[0].isoformat()}.pdf")
