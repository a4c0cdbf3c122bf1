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
from flask_babel import gettext as _
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
# fit is dropped (the filter is off), never an error page — unless the page reads its query
# strictly (``strict_args``): then it is a 400 that names the value and says how to write it.
# Either way a field keeps why it dropped a value in ``misfit`` (never a validation error, so a
# posted form that uses these fields validates as before).


class FilterForm(Form):
    """The filters of a list, read from the query string; fields fall back to their default."""

    def __init__(self, args, **kwargs):
        super().__init__(formdata=args, **kwargs)

    def refuse_misfits(self) -> None:
        """Answer 400 for the first argument sent whose value the form dropped."""
        for field in self:
            if getattr(field, "misfit", None):
                raise edge.BadInput(field.misfit, field.name)


def strict_args(form_class: type[FilterForm], args) -> dict:
    """The query string read through ``form_class``, every argument sent as it must be: one
    that does not fit is a 400 naming it (a page's own links and forms never send one, so
    what does is a mistyped or stale address, which is said rather than read as no filter).
    An argument sent empty is not sent (a form's "all" choice)."""
    form = form_class(args)
    form.refuse_misfits()
    return form.data


def _shown(value: str) -> str:
    return value[:40]


class QueryFilters:
    """A list's filters as a dataclass: read from the query string through ``FORM`` (what does
    not fit is off, the page at least 1; or, ``strict``, a 400) and written back as the
    arguments of its links."""

    FORM: ClassVar[type[FilterForm]]
    page: int

    @classmethod
    def from_args(cls, args, strict: bool = False):
        """Read the filters from the query string, dropping what does not fit (``strict``:
        refusing it with a 400)."""
        filters = cls(**(strict_args(cls.FORM, args) if strict else cls.FORM(args).data))
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
                values=", ".join(allowed),
            )


class Number(wtforms.Field):
    """A whole number from ``low`` to ``high``, else the default."""

    misfit = None

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
        elif valuelist and str(valuelist[0]).strip():
            self.misfit = _(
                "%(name)s: “%(value)s” is not a whole number from %(low)d to %(high)d.",
                name=self.name,
                value=_shown(str(valuelist[0])),
                low=self.low,
                high=self.high,
            )


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
    """A whole number (at least ``low``), else the default; past 32 bits the request is
    refused (400, the edge's rule for every number a URL carries)."""

    misfit = None

    def __init__(self, low: int = -MAX_INT, **kwargs):
        super().__init__(**kwargs)
        self.low = low

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0]:
            return
        with contextlib.suppress(ValueError):  # no number: the filter is off
            number = edge.int32(valuelist[0])
            if number >= self.low:
                self.data = number
                return
        value = _shown(valuelist[0])
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
