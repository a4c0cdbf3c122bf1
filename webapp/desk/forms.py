"""The front desk's forms: an item received, a supervisor's answer, a collection or a return,
the shift handover, and the filters of the items log and the handover log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_wtf.file import FileField
from wtforms import Field, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import NumberRange, ValidationError

from webapp.forms import (
    Choice,
    Day,
    EstateId,
    FilterForm,
    Form,
    Int32,
    IntegerField,
    Longest,
    Text,
    longest_message,
)
from webapp.i18n import terms
from webapp.keys.basket import entries_of
from webapp.models import Unit
from webapp.models.types import utcnow
from webapp.text import too_long, trim
from webapp.values import MAX_INT, bounded_utc, choice_id
from webapp.vocab import DESK_ITEM_KINDS, DESK_ITEM_STATUSES

MAX_QUANTITY = 999
MAX_TASKS = 30
MAX_TASK = 300  # characters in a line of open work
# How far ahead of the server's clock a receipt time may be (a desk PC's clock a little fast).
AHEAD = timedelta(minutes=10)


def _text(value):
    # The form's base has trimmed the value (webapp.text.trim); a field not sent is "".
    return value or ""


def _upto(n: int) -> dict:
    # A text of at most n characters: longer is refused beside the field, never cut.
    return {"filters": [_text], "validators": [Longest(n)]}


def local_time(text: str) -> datetime:
    """A ``datetime-local`` value in the reader's zone, as an aware UTC time; ValueError if it
    is no time or lies outside 1900–2999."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=get_timezone())
    return bounded_utc(moment)


class ReceiveForm(Form):
    """An item received at the desk for a resident: for which unit, what, how many, when."""

    estate = SelectField(coerce=choice_id)
    unit = StringField(**_upto(80))
    resident_name = StringField(**_upto(120))
    kind = SelectField()
    description = StringField(**_upto(200))
    quantity = IntegerField(default=1)
    received_from = StringField(**_upto(120))
    received_at = StringField(**_upto(40))

    def __init__(self, estates, find_unit: Callable[[int, str], Unit | None], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.estate.choices = [(e.id, e.name) for e in estates]
        self.kind.choices = terms("desk_item_kind")
        self.find_unit = find_unit
        self.found_unit: Unit | None = None
        self.when: datetime | None = None

    def validate_unit(self, field):
        if not field.data:
            raise ValidationError(_("Name the unit the item is for."))
        if self.estate.data is None or self.estate.errors:
            return
        self.found_unit = self.find_unit(self.estate.data, field.data)
        if self.found_unit is None:
            raise ValidationError(
                _(
                    "No unit of this estate is “%(unit)s”: pick one from the list, or type its"
                    " room number.",
                    unit=field.data,
                )
            )

    def validate_quantity(self, field):
        NumberRange(1, MAX_QUANTITY, message=_("From 1 to %(max)d items.", max=MAX_QUANTITY))(
            self, field
        )

    def validate_received_at(self, field):
        if not field.data:
            self.when = utcnow()
            return
        try:
            self.when = local_time(field.data)
        except (ValueError, OverflowError):
            raise ValidationError(_("Not a date and time.")) from None
        if self.when > utcnow() + AHEAD:
            raise ValidationError(_("The time received is in the future."))


class DecideForm(Form):
    """A supervisor approves or refuses holding an item; a refusal says why."""

    decision = StringField()
    note = TextAreaField(**_upto(500))

    def validate_decision(self, field):
        if field.data not in ("approve", "refuse"):
            raise ValidationError(_("Approve or refuse."))

    def validate_note(self, field):
        if self.decision.data == "refuse" and not field.data:
            raise ValidationError(_("Say why the desk may not hold it."))


class CollectForm(Form):
    """Who collected the item, with their signature drawn on the desk's screen."""

    collector_name = StringField(**_upto(120))
    signature = FileField()
    note = TextAreaField(**_upto(500))

    def validate_collector_name(self, field):
        if not field.data:
            raise ValidationError(_("Name who collected it."))


class ReturnForm(Form):
    """To whom the item went back, and why."""

    note = TextAreaField(**_upto(500))

    def validate_note(self, field):
        if not field.data:
            raise ValidationError(_("Say to whom it went back, and why."))


class IdList(Field):
    """The ids ticked in a list of checkboxes; a value that names no id is left out."""

    def process_formdata(self, valuelist):
        self.data = [
            int(v) for v in valuelist if v.isascii() and v.isdigit() and 0 < int(v) <= MAX_INT
        ]

    def process_data(self, value):
        self.data = list(value or [])


class HandoverForm(Form):
    """The shift handover: keys ticked and codes scanned, the open work written a line each, a
    note, and both shifts' passwords."""

    key = IdList()
    codes = TextAreaField()
    tasks = TextAreaField()
    note = TextAreaField(**_upto(2000))
    outgoing_password = PasswordField()
    incoming_username = StringField(**_upto(64))
    incoming_password = PasswordField()

    def scanned_codes(self) -> list[str]:
        """The entries scanned or typed (label URLs, long or short codes), one per line."""
        return entries_of(self.codes.data)

    def task_lines(self) -> list[str]:
        """The open work, a line each (blank lines dropped; ``validate_tasks`` refused more
        than MAX_TASKS lines and a line over MAX_TASK characters)."""
        lines = [trim(line) for line in (self.tasks.data or "").splitlines()]
        return [line for line in lines if line]

    def validate_tasks(self, field):
        lines = self.task_lines()
        if len(lines) > MAX_TASKS:
            raise ValidationError(_("At most %(n)d lines of open work.", n=MAX_TASKS))
        for n, line in enumerate(lines, 1):
            if too_long(line, MAX_TASK):
                raise ValidationError(
                    _("Line %(line)d: %(message)s", line=n, message=longest_message(MAX_TASK))
                )


class ItemFilters(FilterForm):
    """The items log's filters: estate, status (open: everything still at the desk), kind,
    search, page."""

    estate = EstateId()
    status = Choice(("open", *DESK_ITEM_STATUSES))
    kind = Choice(DESK_ITEM_KINDS)
    q = Text(60)
    start = Day()
    end = Day()
    page = Int32(default=1, low=1)


class HandoverFilters(FilterForm):
    """The handover log's filters: estate and a span of days."""

    estate = EstateId()
    start = Day()
    end = Day()
    page = Int32(default=1, low=1)


class HandoverArgs(FilterForm):
    """The shift handover's estate (none: the reader's first) and the codes a phone's
    stocktake sends along (``codes=A,B``: a list, read by the view)."""

    estate = EstateId()
    codes = Text(64_000)
