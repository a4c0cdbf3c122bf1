"""The one way an HTML form is read: a WTForms form with its messages in the reader's language.

CSRF is checked once for every request by ``webapp.access.enforce`` (a page writes the masked
token itself), so the forms here do not check it again.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import date
from typing import ClassVar

import wtforms
from flask_babel import get_translations
from flask_wtf import FlaskForm

from webapp import edge
from webapp.values import MAX_INT


class _CatalogTranslations:
    """WTForms' own messages through our catalogue (its bundled "zh" is Simplified Chinese)."""

    def gettext(self, string):
        return get_translations().gettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ngettext(singular, plural, n)


class Form(FlaskForm):
    """Base form: CSRF is checked once for every request by ``webapp.access.enforce``."""

    class Meta:
        csrf = False

        def get_translations(self, form):
            return _CatalogTranslations()


class IntegerField(wtforms.IntegerField):
    """A whole number within 32 bits, else "not a valid integer": no column holds more, and
    WTForms' NumberRange turns a number past 10**308 into a float and overflows (a 500)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not -MAX_INT <= self.data <= MAX_INT:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))


# A list's filters come in the query string from links and bookmarks: a value that does not
# fit is dropped (the filter is off), never an error page.


class FilterForm(Form):
    """The filters of a list, read from the query string; fields fall back to their default."""

    def __init__(self, args, **kwargs):
        super().__init__(formdata=args, **kwargs)


class QueryFilters:
    """A list's filters as a dataclass: read from the query string through ``FORM`` (what does
    not fit is off, the page at least 1) and written back as the arguments of its links."""

    FORM: ClassVar[type[FilterForm]]
    page: int

    @classmethod
    def from_args(cls, args):
        """Read the filters from the query string, dropping what does not fit."""
        filters = cls(**cls.FORM(args).data)
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

    def __init__(self, values, default="", **kwargs):
        super().__init__(default=default, **kwargs)
        self.values = values

    def process_formdata(self, valuelist):
        allowed = self.values() if callable(self.values) else self.values
        if valuelist and valuelist[0] in allowed:
            self.data = valuelist[0]


class Number(wtforms.Field):
    """A whole number from ``low`` to ``high``, else the default."""

    def __init__(self, low: int = -MAX_INT, high: int = MAX_INT, default=None, **kwargs):
        super().__init__(default=default, **kwargs)
        self.low, self.high = low, high

    def process_formdata(self, valuelist):
        try:
            number = int(str(valuelist[0]).strip()) if valuelist else None
        except ValueError:
            number = None
        if number is not None and self.low <= number <= self.high:
            self.data = number


class Text(wtforms.Field):
    """Text, cleaned by ``clean`` (default: stripped) and cut to ``max_length``."""

    def __init__(self, max_length: int, clean=str.strip, default="", **kwargs):
        super().__init__(default=default, **kwargs)
        self.max_length, self.clean = max_length, clean

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = self.clean(valuelist[0])[: self.max_length]


class Flag(wtforms.Field):
    """On when sent as 1, on or true."""

    def __init__(self, **kwargs):
        super().__init__(default=False, **kwargs)

    def process_formdata(self, valuelist):
        self.data = bool(valuelist) and valuelist[0] in ("1", "on", "true")


class Int32(wtforms.Field):
    """A whole number, else the default; past 32 bits the request is refused (400, the edge's
    rule for every number a URL carries)."""

    def process_formdata(self, valuelist):
        if valuelist:
            with contextlib.suppress(ValueError):  # no number: the filter is off
                self.data = edge.int32(valuelist[0])


class Day(wtforms.Field):
    """A day (YYYY-MM-DD) from 1900 to 2999, else the default (the filter is off)."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0]:
            with contextlib.suppress(ValueError):
                self.data = edge.bounded_date(valuelist[0].strip())
