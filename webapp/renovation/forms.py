"""The renovation register's forms: a permit, its closing, a line of its deposit ledger, a
deduction for a notice; the query arguments of its pages (read strictly: webapp.forms
``strict_args``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from webapp import vocab
from webapp.extensions import db
from webapp.forms import Choice, FilterForm, Form, Int32, IntegerField, QueryFilters, Text
from webapp.i18n import term
from webapp.models.renovation import RenovationPermit
from webapp.renovation import permits

LIMITS = {"lo": date(1900, 1, 1), "hi": date(2999, 12, 31)}


def _in_range(_form, field):
    if field.data is not None and not LIMITS["lo"] <= field.data <= LIMITS["hi"]:
        raise ValidationError(_l("Give a date from 1900 to 2999."))


class PermitForm(Form):
    """A renovation permit: the unit, the permit number, who, when, what, the deposit."""

    unit = StringField(_l("Unit"), validators=[DataRequired(), Length(max=80)])
    number = StringField(_l("Permit number"), validators=[DataRequired(), Length(max=40)])
    owner_name = StringField(_l("Owner"), validators=[Length(max=120)])
    owner_phone = StringField(_l("Owner's phone"), validators=[Length(max=40)])
    contractor = StringField(_l("Contractor"), validators=[Length(max=120)])
    contractor_phone = StringField(_l("Contractor's phone"), validators=[Length(max=40)])
    starts_on = DateField(_l("Approved start"), validators=[InputRequired(), _in_range])
    ends_on = DateField(_l("Approved end"), validators=[InputRequired(), _in_range])
    hours = StringField(_l("Allowed working hours"), validators=[Length(max=120)])
    scope = TextAreaField(_l("Approved scope"), validators=[Length(max=2000)])
    deposit = IntegerField(
        _l("Deposit"), validators=[Optional(), NumberRange(min=0, max=permits.MAX_DEPOSIT)]
    )
    note = StringField(_l("Notes"), validators=[Length(max=500)])

    def __init__(self, estate_id: int, permit: RenovationPermit | None = None, **kwargs):
        super().__init__(obj=permit, **kwargs)
        self.estate_id, self.permit, self.unit_obj = estate_id, permit, None
        # WTForms fills a field the post left out from the permit's attribute of that name: the
        # Unit row itself, not its label (a post with no unit was a TypeError, a 500).
        if permit is not None and not (isinstance(self.unit.data, str) and self.unit.data):
            self.unit.data = permit.unit.label

    def validate_unit(self, field):
        self.unit_obj = permits.unit_by_label(db.session, self.estate_id, field.data or "")
        if self.unit_obj is None:
            raise ValidationError(_l("No unit with this label, such as 3棟-2單元-15樓-1502室."))

    def validate_number(self, field):
        field.data = (field.data or "").strip()
        clash = db.session.scalar(
            sa.select(RenovationPermit.id).where(
                RenovationPermit.estate_id == self.estate_id,
                RenovationPermit.number == field.data,
                RenovationPermit.id != (self.permit.id if self.permit else -1),
            )
        )
        if clash is not None:
            raise ValidationError(_l("Another permit of this estate has this number."))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date is before the start date."))

    def validate_hours(self, field):
        try:
            field.data = permits.parse_hours(field.data or "")
        except ValueError as exc:
            raise ValidationError(_l("Write the hours as 08:00-12:00, 14:00-18:00.")) from exc

    def values(self) -> dict:
        """The permit's fields from a validated form."""
        return {
            "unit_id": self.unit_obj.id,
            "number": self.number.data,
            "owner_name": (self.owner_name.data or "").strip(),
            "owner_phone": (self.owner_phone.data or "").strip(),
            "contractor": (self.contractor.data or "").strip(),
            "contractor_phone": (self.contractor_phone.data or "").strip(),
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "hours": self.hours.data,
            "scope": (self.scope.data or "").strip(),
            "deposit": self.deposit.data or 0,
            "note": (self.note.data or "").strip(),
        }


class CloseForm(Form):
    """Close a permit: why, and on which day."""

    reason = SelectField(_l("Why"), validators=[InputRequired()])
    on = DateField(_l("On"), validators=[InputRequired(), _in_range])

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        reasons = vocab.PERMIT_CLOSE_REASONS
        self.reason.choices = [(v, term("permit_close_reason", v)) for v in reasons]


class DepositForm(Form):
    """A line of the deposit ledger: received, deducted or refunded, how much, when, why."""

    kind = SelectField(_l("What"), validators=[InputRequired()])
    amount = IntegerField(
        _l("Amount"), validators=[InputRequired(), NumberRange(min=1, max=permits.MAX_DEPOSIT)]
    )
    on = DateField(_l("On"), validators=[InputRequired(), _in_range])
    note = StringField(_l("Notes"), validators=[Length(max=200)])

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kind.choices = [(v, term("deposit_kind", v)) for v in vocab.DEPOSIT_KINDS]

    def validate_note(self, field):
        field.data = (field.data or "").strip()
        if self.kind.data == "deducted" and not field.data:
            raise ValidationError(_l("Say why the deposit is deducted."))


class DeductionForm(Form):
    """A deduction from the deposit for a notice: how much, when, why (always said)."""

    amount = IntegerField(
        _l("Amount"), validators=[InputRequired(), NumberRange(min=1, max=permits.MAX_DEPOSIT)]
    )
    on = DateField(_l("On"), validators=[InputRequired(), _in_range])
    note = StringField(_l("Why"), validators=[DataRequired(), Length(max=200)])

    def validate_note(self, field):
        field.data = (field.data or "").strip()
        if not field.data:
            raise ValidationError(_l("Say why the deposit is deducted."))


class PermitFilterForm(FilterForm):
    """The permits list's filters from the query string."""

    state = Choice(vocab.PERMIT_STATES)
    q = Text(80)
    page = Int32(default=1, low=1)


class PageArgs(FilterForm):
    """A list's page (``?page=``), from 1."""

    page = Int32(default=1, low=1)


class NewPermitArgs(FilterForm):
    """The new-permit form's unit (``?unit=``, from a unit's status menu)."""

    unit = Int32(low=1)


class ReportArgs(FilterForm):
    """The Saturday report's estate (``?estate=``; none: every estate the reader sees)."""

    estate = Int32(low=1)


@dataclass
class PermitFilters(QueryFilters):
    """What the permits list shows: a state (upcoming, active, overrun, closed), words."""

    FORM = PermitFilterForm
    state: str = ""
    q: str = ""
    page: int = 1
