"""The one way an HTML form is read: a WTForms form with its messages in the reader's language.

CSRF is checked once for every request by ``webapp.access.enforce`` (a page writes the masked
token itself), so the forms here do not check it again.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import ClassVar

import wtforms
from flask import abort
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from webapp import edge
from webapp.scoping import visible_estate_ids
from webapp.text import MAX_EMAIL, NotAnAddress, email_address, too_long, trim
from webapp.values import MAX_INT


class _CatalogTranslations:
    """WTForms' own messages through our catalogue (its bundled "zh" is Simplified Chinese)."""

    def gettext(self, string):
        return get_translations().gettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ngettext(singular, plural, n)


class Form(FlaskForm):
    """Base form: CSRF is checked once for every request by ``webapp.access.enforce``; every
    text field is trimmed (``webapp.text.trim``) before its own filters and validators see it,
    so a value of nothing visible is empty to ``DataRequired`` and to every "required" check."""

    class Meta:
        csrf = False

        def get_translations(self, form):
            return _CatalogTranslations()

        def bind_field(self, form, unbound_field, options):
            # Every text field, whoever declares it; a password is a secret, kept as typed.
            kind = unbound_field.field_class
            if issubclass(kind, wtforms.StringField) and not issubclass(
                kind, wtforms.PasswordField
            ):
                options = {**options, "filters": [trim, *unbound_field.kwargs.get("filters", ())]}
            return unbound_field.bind(form=form, **options)


def longest_message(n: int) -> str:
    """What a field says of text over ``n`` characters."""
    return _("At most %(n)d characters.", n=n)


class Longest:
    """The one length check of a posted text (``webapp.text.too_long``): over ``n`` characters
    is refused beside the field, the text kept in the form as typed; never cut to fit."""

    def __init__(self, n: int):
        self.n = n

    def __call__(self, form, field):
        if too_long(field.data, self.n):
            raise ValidationError(longest_message(self.n))


class IntegerField(wtforms.IntegerField):
    """A whole number within 32 bits, else "not a valid integer": no column holds more, and
    WTForms' NumberRange turns a number past 10**308 into a float and overflows (a 500)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not -MAX_INT <= self.data <= MAX_INT:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))


class EmailAddress(wtforms.StringField):
    """One email address (``webapp.text.email_address``: what the mail goes to, strictly), or
    none; what is not one address is refused beside the field for its reason, never cut."""

    MESSAGES = {
        "not_one": _l("One address only: no commas, semicolons, spaces or angle brackets."),
        "too_long": _l("An email address has at most %(n)d characters.", n=MAX_EMAIL),
        "malformed": _l("That is not an email address."),
    }

    def pre_validate(self, form):
        if not self.data:
            return
        try:
            self.data = email_address(self.data)
        except NotAnAddress as refused:
            raise ValidationError(self.MESSAGES[refused.reason]) from None


# A page's query string comes from its own links and forms, and from bookmarks and hands: it is
# read strictly. A value a field cannot read is a 400 that names the argument, shows what was
# sent and says what it takes (a page's own links never send one, so what does is a mistyped or
# stale address, said rather than read as no filter); an estate the reader does not see is a
# 404, as in a path; an argument sent empty is not sent (a form's "all" choice), nor one of
# nothing visible (``?page=%20``: each value is trimmed, ``webapp.text.trim``). A field keeps
# why it could not read its value in ``misfit`` (never a validation error, so a posted form
# that uses these fields validates as before).


class _Trimmed:
    """A query string whose values are read trimmed (what a field asks for is still asked of
    the query string itself)."""

    def __init__(self, args):
        self.args = args

    def __contains__(self, name):
        return name in self.args

    def __iter__(self):
        return iter(self.args)

    def __len__(self):
        return len(self.args)

    def getlist(self, name):
        return [trim(value) for value in self.args.getlist(name)]


class FilterForm(Form):
    """A page's query arguments, read strictly: constructing one refuses what does not fit
    (400) and an estate the reader does not see (404); unsent fields keep their default, and
    so do fields sent empty or of nothing visible."""

    def __init__(self, args, **kwargs):
        super().__init__(formdata=_Trimmed(args), **kwargs)
        # Another estate's first, whatever else is asked: as its pages' paths, it is not there.
        estates = [f.data for f in self if isinstance(f, EstateId) and f.data is not None]
        if estates and not set(estates) <= set(visible_estate_ids()):
            abort(404)
        for field in self:
            if getattr(field, "misfit", None):
                raise edge.BadInput(field.misfit, field.name)


def strict_args(form_class: type[FilterForm], args, **defaults) -> dict:
    """The query string read through ``form_class`` (strictly, as every ``FilterForm``):
    the value of each of its fields; for one not sent, ``defaults``' or the field's own."""
    return form_class(args, **defaults).data


def _shown(value: str) -> str:
    return value[:40]


class QueryFilters:
    """A list's filters as a dataclass: read from the query string through ``FORM`` (strictly:
    ``strict_args``; the page at least 1) and written back as the arguments of its links."""

    FORM: ClassVar[type[FilterForm]]
    page: int

    @classmethod
    def from_args(cls, args):
        """Read the filters from the query string (what does not fit is a 400)."""
        filters = cls(**strict_args(cls.FORM, args))
        filters.page = max(filters.page or 1, 1)
        return filters

    def args(self, **changes) -> dict:
        """The filters that are set as query arguments (days as YYYY-MM-DD; the page only as
        ``changes`` give it)."""
        values = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "page"
        }
        values = {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}


class Choice(wtforms.Field):
    """One of ``values`` (a collection, or a function giving one), else the default."""

    misfit = None

    def __init__(self, values, default="", **kwargs):
        super().__init__(default=default, **kwargs)
        self.values = values

    def process_formdata(self, valuelist):
        allowed = self.values() if callable(self.values) else self.values
        if valuelist and valuelist[0] in allowed:
            self.data = valuelist[0]
        elif valuelist and valuelist[0]:
            self.misfit = _(
                "%(name)s: “%(value)s” is not one of %(values)s.",
                name=self.name,
                value=_shown(valuelist[0]),
                values=", ".join(sorted(allowed) if isinstance(allowed, set) else allowed),
            )


class Number(wtforms.Field):
    """A whole number from ``low`` to ``high``, else the default."""

    misfit = None

    def __init__(self, low: int = -MAX_INT, high: int = MAX_INT, default=None, **kwargs):
        super().__init__(default=default, **kwargs)
        self.low, self.high = low, high

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            return
        try:
            number = int(str(valuelist[0]))
        except ValueError:
            number = None
        if number is not None and self.low <= number <= self.high:
            self.data = number
        else:
            self.misfit = _(
                "%(name)s: “%(value)s” is not a whole number from %(low)d to %(high)d.",
                name=self.name,
                value=_shown(str(valuelist[0])),
                low=self.low,
                high=self.high,
            )


class Text(wtforms.Field):
    """Text, cleaned by ``clean`` (default: ``webapp.text.trim``), of at most ``max_length``
    characters: never cut — longer is a 400 naming the argument in a query string (``misfit``)
    and refused beside the field in a posted form (``Longest``), kept as typed."""

    misfit = None

    def __init__(self, max_length: int, clean=trim, default="", **kwargs):
        super().__init__(default=default, **kwargs)
        self.max_length, self.clean = max_length, clean

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = self.clean(valuelist[0])
            if too_long(self.data, self.max_length):
                self.misfit = _(
                    "%(name)s: at most %(n)d characters.", name=self.name, n=self.max_length
                )

    def pre_validate(self, form):
        Longest(self.max_length)(form, self)


class Flag(wtforms.Field):
    """On when sent as 1, on or true; off when not sent, or sent as 0, off or false."""

    misfit = None
    ON = ("1", "on", "true")
    OFF = ("0", "off", "false")

    def __init__(self, **kwargs):
        super().__init__(default=False, **kwargs)

    def process_formdata(self, valuelist):
        self.data = bool(valuelist) and valuelist[0] in self.ON
        if valuelist and valuelist[0] and valuelist[0] not in (*self.ON, *self.OFF):
            self.misfit = _(
                "%(name)s: “%(value)s” is not one of %(values)s.",
                name=self.name,
                value=_shown(valuelist[0]),
                values="1, 0",
            )


class Int32(wtforms.Field):
    """A whole number from ``low``, else the default; past 32 bits the request is refused."""

    misfit = None

    def __init__(self, low: int = -MAX_INT, **kwargs):
        super().__init__(**kwargs)
        self.low = low

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0]:
            return
        try:
            number = int(valuelist[0])
        except ValueError:
            number = None
        if number is not None and self.low <= number <= MAX_INT:
            self.data = number
            return
        value = _shown(valuelist[0])
        if number is not None and abs(number) > MAX_INT:
            # Past 32 bits the request is refused, in a posted form too (the edge's rule for
            # every number a URL carries): no column holds it.
            raise edge.BadInput(
                _(
                    "%(name)s: “%(value)s” is not a whole number from %(low)d to %(high)d.",
                    name=self.name,
                    value=value,
                    low=self.low,
                    high=MAX_INT,
                ),
                self.name,
            )
        if self.low > -MAX_INT:
            self.misfit = _(
                "%(name)s: “%(value)s” is not a whole number of %(low)d or more.",
                name=self.name,
                value=value,
                low=self.low,
            )
        else:
            self.misfit = _(
                "%(name)s: “%(value)s” is not a whole number.", name=self.name, value=value
            )


class EstateId(Int32):
    """An estate's id: a whole number from 1; one the reader does not see is a 404 (as in a
    path), checked by ``FilterForm``."""

    def __init__(self, **kwargs):
        super().__init__(low=1, **kwargs)


class Day(wtforms.Field):
    """A day (YYYY-MM-DD) from 1900 to 2999, else the default (the filter is off)."""

    misfit = None

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0]:
            try:
                self.data = edge.bounded_date(valuelist[0].strip())
            except ValueError:
                self.misfit = _(
                    "%(name)s: “%(value)s” is not a day: write it as YYYY-MM-DD, from 1900 to "
                    "2999.",
                    name=self.name,
                    value=_shown(valuelist[0]),
                )


class Month(wtforms.Field):
    """A month (YYYY-MM) from 1900 to 2999, as its first day; else the default."""

    misfit = None

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0]:
            text = valuelist[0].strip()
            try:
                year, month = text.split("-")
                if len(year) != 4 or len(month) != 2:
                    raise ValueError(text)
                self.data = edge.bounded_date(f"{year}-{month}-01")
            except ValueError:
                self.misfit = _(
                    "%(name)s: “%(value)s” is not a month: write it as YYYY-MM, from 1900 to 2999.",
                    name=self.name,
                    value=_shown(valuelist[0]),
                )


class Moment(wtforms.Field):
    """A moment with its offset from UTC (ISO 8601, 2026-03-08T09:00:00+08:00) from 1900 to
    2999, else the default."""

    misfit = None

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0]:
            try:
                moment = datetime.fromisoformat(valuelist[0].strip())
                if moment.tzinfo is None:
                    raise ValueError(valuelist[0])
                edge.bounded_utc(moment)
                self.data = moment
            except ValueError:
                self.misfit = _(
                    "%(name)s: “%(value)s” is not a time with its offset: write it as "
                    "YYYY-MM-DDTHH:MM:SS+08:00.",
                    name=self.name,
                    value=_shown(valuelist[0]),
                )


class ItemRef(wtforms.Field):
    """An item as ``kind:id`` (``unit:12``), the kind one of ``kinds``: (kind, id), else the
    default."""

    misfit = None

    def __init__(self, kinds, **kwargs):
        super().__init__(**kwargs)
        self.kinds = tuple(kinds)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0]:
            return
        kind, _colon, ident = valuelist[0].partition(":")
        if kind in self.kinds and ident.isascii() and ident.isdigit():
            number = int(ident)
            if 0 < number <= MAX_INT:
                self.data = (kind, number)
                return
        self.misfit = _(
            "%(name)s: “%(value)s” is not an item: write it as kind:id, the kind one of "
            "%(values)s.",
            name=self.name,
            value=_shown(valuelist[0]),
            values=", ".join(self.kinds),
        )
