"""The forms of the desk's requests to engineering: a loan, a copy; engineering's refusal; the
lend an approval lets out. The key is named as everywhere at the desk: its tag scanned (the
label's URL and Enter) or typed (long or short code), read by the desk's one reader."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from webapp import vocab
from webapp.forms import Choice, FilterForm, Flag, Form, Number, Text
from webapp.keys.display import purpose_value

# The desk's basket form (codes scanned or typed, read by webapp.keys.basket): reused whole.
from webapp.keys.forms import _DeskForm as DeskBasketForm
from webapp.keys.requests import MAX_COPIES, MAX_HOURS
from webapp.models import Key


def _required(message):
    def check(form, field):
        if not field.data:
            raise ValidationError(message)

    return check


class LoanRequestForm(DeskBasketForm):
    """Ask engineering to let the basket's equipment-room keys out: to whom, for what, how long."""

    borrower_name = Text(120, validators=[_required(_l("Name the borrower."))])
    borrower_type = Text(20)
    purpose = Text(200, validators=[_required(_l("Say what the key is for."))])
    hours = Number(1, MAX_HOURS)

    def key_problems(self, key: Key) -> list[str]:
        if key.key_class != "equipment_room":
            return [
                _(
                    "%(key)s is not an equipment-room key: it is lent without engineering's"
                    " approval.",
                    key=key.label,
                )
            ]
        return []

    def validate_borrower_type(self, field):
        if field.data not in vocab.BORROWER_TYPES:
            raise ValidationError(_("Choose the borrower type."))

    def validate_hours(self, field):
        if field.data is None:
            raise ValidationError(_("How long: 1 to %(n)d hours.", n=MAX_HOURS))

    @property
    def purpose_value(self) -> str:
        """An offered purpose as its value (shown in the reader's language), else as written."""
        return purpose_value(self.purpose.data) or self.purpose.data


class CopyRequestForm(DeskBasketForm):
    """Ask engineering for copies of the basket's keys (rule 5.3(2)②): why, how many."""

    copies = Number(1, MAX_COPIES, default=1)
    purpose = Text(200, validators=[_required(_l("Say why a copy is needed."))])

    def validate_copies(self, field):
        if field.data is None:
            raise ValidationError(_("How many: 1 to %(n)d.", n=MAX_COPIES))


class RefuseForm(Form):
    """Engineering's refusal: the reason is required (the desk tells the borrower)."""

    reason = Text(500, validators=[_required(_l("Give the reason for the refusal."))])


class LendNowForm(Form):
    """The desk lends the key an approval lets out; the borrower's ID seen."""

    id_checked = Flag()


class PlainForm(Form):
    """A form of a button alone (approve, withdraw, register the copies): its CSRF token."""


class BasketArgs(FilterForm):
    """Which request form's basket a preview is of (``?form=``); the rest of the query is that
    form as it is being filled in, read by it."""

    form = Choice(("loan-request", "copy-request"))
