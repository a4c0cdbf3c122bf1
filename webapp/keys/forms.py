"""The key desk's forms: lend, return, approve; a dispute's resolution; the register's filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import get_timezone
from flask_babel import gettext as _
from wtforms import Field, StringField
from wtforms.validators import ValidationError

from webapp import vocab
from webapp.forms import Choice, Day, EstateId, FilterForm, Form, Int32, Longest, Text
from webapp.i18n import term
from webapp.keys.basket import Basket, entries_of, lend_defaults, not_lendable
from webapp.keys.display import purpose_value, zone
from webapp.models import Key
from webapp.models.types import utcnow
from webapp.values import bounded_utc
from webapp.vocab import KEY_CLASSES, KEY_STATUSES

RESOLVED_STATUSES = ("in", "out", "issued")


class BasketField(Field):
    """Key tags scanned or typed: every value sent under the name, one entry per line."""

    def process_formdata(self, valuelist):
        self.data = "\n".join(v for v in valuelist if isinstance(v, str))

    def process_data(self, value):
        self.data = value or ""


class _DeskForm(Form):
    """A desk form names its keys by their tags: a basket of scanned label URLs, long codes or
    short codes (``codes``, one per line; ``code`` too, each value one or more entries)."""

    codes = BasketField()
    code = BasketField()

    def __init__(self, read_basket: Callable[[list[str]], Basket], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read_basket = read_basket
        self.basket = Basket()
        self.problems: list[tuple[Key, list[str]]] = []

    def entries(self) -> list[str]:
        """The basket's entries as sent."""
        return entries_of(self.codes.data, self.code.data)

    def key_problems(self, key: Key) -> list[str]:
        """What keeps this key out of this form's action (none by default)."""
        return []

    def preview(self) -> list[tuple[Key, list[str]]]:
        """Read the basket as it stands (no locks): each key with what keeps it back."""
        self.basket = self.read_basket(self.entries())
        self.problems = [(k, self.key_problems(k)) for k in self.basket.keys]
        return self.problems

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        entries = self.entries()
        self.basket = self.read_basket(entries)
        problems = list(self.basket.errors)
        self.problems = [(k, self.key_problems(k)) for k in self.basket.keys]
        for _key, refused in self.problems:
            problems.extend(refused)
        if not entries:
            problems.append(_("Scan or type at least one key tag."))
        if problems:
            self.codes.errors = [*self.codes.errors, *problems]
            return False
        return valid

    def not_recorded(self, index: int, message: str) -> None:
        """Say beside the basket's ``index``-th key why nothing of the action was recorded."""
        key = self.keys[index]
        self.problems = [(k, [*p, message] if k is key else p) for k, p in self.problems]
        self.codes.errors = [*self.codes.errors, message]

    @property
    def keys(self) -> list[Key]:
        return self.basket.keys


class LendForm(_DeskForm):
    """Lend the basket's keys to one borrower: who, what for, when they are due back."""

    borrower_name = StringField(validators=[Longest(120)])
    borrower_type = StringField()
    purpose = StringField(validators=[Longest(200)])
    id_checked = StringField()
    due_back = StringField()

    # What the form last filled in itself: a field still holding it follows the basket.
    purpose_auto = StringField()
    due_auto = StringField()

    def __init__(self, read_basket, approved: Callable[[Key], bool], *args, **kwargs):
        super().__init__(read_basket, *args, **kwargs)
        self.approved = approved
        self.due: datetime | None = None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.keys and not self.codes.errors and not (self.purpose.data and self.due_back.data):
            # Required, and started for the desk from the keys' defaults: filled in here when
            # left blank (a browser without scripts), to be checked before the keys leave.
            self.fill_defaults(utcnow())
            for name in ("purpose", "due_back"):
                getattr(self, name).errors = [_("Filled in for these keys: check it, then lend.")]
            return False
        return valid

    def fill_defaults(self, now) -> None:
        """Purpose and due back from the basket's key classes, where blank or still filled in
        by the form (what the desk typed stays)."""
        found = lend_defaults(self.keys, now)
        purpose, due = ("", "") if found is None else found
        name = term("key_purpose", purpose) if purpose else ""
        local = due.astimezone(get_timezone()).strftime("%Y-%m-%dT%H:%M") if due else ""
        if not self.purpose.data or self.purpose.data == self.purpose_auto.data:
            self.purpose.data = self.purpose_auto.data = name
        if not self.due_back.data or self.due_back.data == self.due_auto.data:
            self.due_back.data = self.due_auto.data = local

    def key_problems(self, key: Key) -> list[str]:
        refused = not_lendable(key)
        if refused:
            return [refused]
        if key.key_class == "equipment_room" and not self.approved(key):
            return [
                _(
                    "%(key)s: this equipment-room key needs engineering's approval before it"
                    " leaves.",
                    key=key.label,
                )
            ]
        return []

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
            self.due = datetime.fromisoformat(field.data).replace(tzinfo=zone())
            bounded_utc(self.due)
        except ValueError:
            self.due = None
            raise ValidationError(_("Not a date and time.")) from None

    def payloads(self) -> list[dict]:
        """One lend op's payload per key of the basket."""
        purpose = self.purpose.data or ""
        common = {
            "borrower_name": self.borrower_name.data,
            "borrower_type": self.borrower_type.data,
            # An offered purpose is stored as its value, shown in the reader's language.
            "purpose": purpose_value(purpose) or purpose,
            "id_checked": self.id_checked.data == "1",
        }
        if self.due is not None:
            common["due_back"] = self.due.isoformat()
        return [{"code": self.basket.codes[k.id], **common} for k in self.keys]


class ReturnForm(_DeskForm):
    """The basket's keys back in the cabinet."""

    def payloads(self) -> list[dict]:
        """One return op's payload per key of the basket."""
        return [{"code": self.basket.codes[k.id]} for k in self.keys]


class ApproveForm(_DeskForm):
    """Engineering's approval of the basket's equipment-room keys' next lends."""

    borrower_name = StringField(validators=[Longest(120)])
    note = StringField(validators=[Longest(200)])

    def key_problems(self, key: Key) -> list[str]:
        if key.key_class != "equipment_room":
            return [
                _(
                    "%(key)s is not an equipment-room key: only those need engineering's approval.",
                    key=key.label,
                )
            ]
        return []

    def payloads(self) -> list[dict]:
        """One approve op's payload per key of the basket."""
        common = {"note": self.note.data or ""}
        if self.borrower_name.data:
            common["borrower_name"] = self.borrower_name.data
        return [{"code": self.basket.codes[k.id], **common} for k in self.keys]


class ResolveForm(Form):
    """Where a disputed key is now, who holds it (and as what), and a note of what was found."""

    status = StringField()
    note = StringField(validators=[Longest(2000)])
    holder_name = StringField(filters=[lambda v: v or None], validators=[Longest(120)])
    holder_type = StringField()

    def holder_type_for(self, key: Key) -> str | None:
        """The holder's type: an owner for an issued key, else the one chosen, else the one
        the key's holder has now (a resolution keeps who the holder is)."""
        if self.status.data == "issued":
            return "owner"
        if self.holder_type.data in vocab.BORROWER_TYPES:
            return self.holder_type.data
        return key.holder_type

    def validate_status(self, field):
        if field.data not in RESOLVED_STATUSES:
            raise ValidationError(_("Choose where the key is now."))

    def validate_note(self, field):
        if not field.data:
            raise ValidationError(_("Write a note: what was found, and who confirmed it."))

    def validate_holder_name(self, field):
        if self.status.data in ("out", "issued") and not field.data:
            raise ValidationError(_("Name who holds the key."))


class RegisterFilters(FilterForm):
    """The register's filters: estate, custody status, key class, search, page."""

    estate = EstateId()
    status = Choice(("overdue", "unapproved", *KEY_STATUSES))
    key_class = Choice(KEY_CLASSES)
    q = Text(60)
    page = Int32(default=1, low=1)


class LedgerFilters(FilterForm):
    """The loan record's filters: estate, a range of days, a key (its tag or words of its
    name), a borrower, page."""

    estate = EstateId()
    start = Day()
    end = Day()
    key = Text(80)
    borrower = Text(60)
    page = Int32(default=1, low=1)


class BasketArgs(FilterForm):
    """Which desk form's basket a preview is of (``?form=``); the rest of the query is that
    form as it is being filled in, read by it (its own messages say what is wrong)."""

    form = Choice(("lend", "return", "approve"))
