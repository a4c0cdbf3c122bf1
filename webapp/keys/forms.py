"""The key desk's forms: lend, return, approve; a dispute's resolution; the shift handover."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import get_timezone
from flask_babel import gettext as _
from wtforms import Field, PasswordField, StringField, TextAreaField
from wtforms.validators import ValidationError

from webapp import vocab
from webapp.forms import Choice, FilterForm, Form, Int32, Text
from webapp.models import Key
from webapp.values import MAX_INT, bounded_utc
from webapp.vocab import KEY_CLASSES, KEY_STATUSES

RESOLVED_STATUSES = ("in", "out", "issued")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class IdList(Field):
    """The ids ticked in a list of checkboxes; a value that names no id is left out."""

    def process_formdata(self, valuelist):
        self.data = [
            int(v) for v in valuelist if v.isascii() and v.isdigit() and 0 < int(v) <= MAX_INT
        ]

    def process_data(self, value):
        self.data = list(value or [])


class _DeskForm(Form):
    """A desk form names a key by its tag's code (typed or scanned)."""

    code = StringField()

    def __init__(self, find_key: Callable[[str], Key | None], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.find_key = find_key
        self.key: Key | None = None


class LendForm(_DeskForm):
    """Lend a key: who borrows it, what for, when it is due back."""

    borrower_name = StringField(filters=[_strip])
    borrower_type = StringField()
    purpose = StringField(filters=[_strip])
    id_checked = StringField()
    due_back = StringField()

    def __init__(self, find_key, approved: Callable[[Key], bool], *args, **kwargs):
        super().__init__(find_key, *args, **kwargs)
        self.approved = approved
        self.due: datetime | None = None

    def validate_code(self, field):
        self.key = self.find_key(field.data or "")
        if self.key is None:
            raise ValidationError(_("No key of your estates has this code."))
        if self.key.key_class == "equipment_room" and not self.approved(self.key):
            raise ValidationError(
                _("This equipment-room key needs engineering's approval before it leaves.")
            )

    def validate_borrower_name(self, field):
        if not field.data:
            raise ValidationError(_("Name the borrower."))

    def validate_borrower_type(self, field):
        if field.data not in vocab.BORROWER_TYPES:
            raise ValidationError(_("Choose the borrower type."))

    def validate_due_back(self, field):
        if not field.data:
            return
        try:
            self.due = datetime.fromisoformat(field.data).replace(tzinfo=get_timezone())
            bounded_utc(self.due)
        except ValueError:
            self.due = None
            raise ValidationError(_("Not a date and time.")) from None

    def payload(self) -> dict:
        """The lend op's payload."""
        payload = {
            "code": self.code.data,
            "borrower_name": self.borrower_name.data[:120],
            "borrower_type": self.borrower_type.data,
            "purpose": (self.purpose.data or "")[:200],
            "id_checked": self.id_checked.data == "1",
        }
        if self.due is not None:
            payload["due_back"] = self.due.isoformat()
        return payload


class ReturnForm(_DeskForm):
    """A key back in the cabinet."""

    def validate_code(self, field):
        self.key = self.find_key(field.data or "")
        if self.key is None:
            raise ValidationError(_("No key of your estates has this code."))


class ApproveForm(_DeskForm):
    """Engineering's approval of an equipment-room key's next lend."""

    borrower_name = StringField(filters=[_strip])
    note = StringField(filters=[_strip])

    def validate_code(self, field):
        self.key = self.find_key(field.data or "")
        if self.key is None or self.key.key_class != "equipment_room":
            raise ValidationError(_("Not an equipment-room key of your estates."))

    def payload(self) -> dict:
        """The approve op's payload."""
        payload = {"code": self.code.data, "note": (self.note.data or "")[:200]}
        if self.borrower_name.data:
            payload["borrower_name"] = self.borrower_name.data[:120]
        return payload


class ResolveForm(Form):
    """Where a disputed key is now, who holds it, and a note of what was found."""

    status = StringField()
    note = StringField(filters=[_strip])
    holder_name = StringField(filters=[_strip, lambda v: (v or "")[:120] or None])

    def validate_status(self, field):
        if field.data not in RESOLVED_STATUSES:
            raise ValidationError(_("Choose where the key is now."))

    def validate_note(self, field):
        if not field.data:
            raise ValidationError(_("Write a note: what was found, and who confirmed it."))

    def validate_holder_name(self, field):
        if self.status.data in ("out", "issued") and not field.data:
            raise ValidationError(_("Name who holds the key."))


class HandoverForm(Form):
    """A stocktake: keys ticked and codes scanned; the incoming shift signs; a note."""

    key = IdList()
    codes = TextAreaField()
    incoming_username = StringField()
    incoming_password = PasswordField()
    note = TextAreaField(filters=[_strip, lambda v: (v or "")[:2000]])

    def scanned_codes(self) -> list[str]:
        """The codes typed or scanned, one per line or comma."""
        return (self.codes.data or "").replace(",", "\n").split()


class RegisterFilters(FilterForm):
    """The register's filters: estate, custody status, key class, search, page."""

    estate = Int32()
    status = Choice(("overdue", "unapproved", *KEY_STATUSES))
    key_class = Choice(KEY_CLASSES)
    q = Text(60)
    page = Int32(default=1)
