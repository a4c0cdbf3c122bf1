"""The review pages' query arguments: the findings list's filters, the dashboard's and its
tables' estate and days (read strictly: webapp.forms ``strict_args``)."""

from __future__ import annotations

from webapp.forms import Choice, EstateId, FilterForm, Flag, Int32, Number, Text
from webapp.models.review import DEPARTMENTS, SEVERITIES, STATUSES


def _categories() -> list[str]:
    # The queries read their filters through this form, so the choices are fetched from there
    # when a query string is read.
    from webapp.review.queries import category_choices

    return category_choices()


class FindingFilters(FilterForm):
    """Estate, status (active, all or one), severity, department, category, overdue, search."""

    estate = EstateId()
    status = Choice(("active", "all", *STATUSES), default="active")
    severity = Choice(SEVERITIES)
    department = Choice(("none", *DEPARTMENTS))
    category = Choice(_categories)  # the vocabulary's, and a custom round's the findings hold
    overdue = Flag()
    q = Text(100)
    page = Int32(default=1, low=1)


class BoardArgs(FilterForm):
    """The dashboard's estate (none: every estate the reader sees) and vacancy horizon."""

    estate = EstateId()
    days = Number(1, 365, default=7)


class TableArgs(BoardArgs):
    """A dashboard table in full: the dashboard's arguments and a page."""

    page = Int32(default=1, low=1)
