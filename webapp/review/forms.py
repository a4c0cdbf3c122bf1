"""The findings list's filters, read from the query string."""

from __future__ import annotations

from webapp.forms import Choice, FilterForm, Flag, Int32, Text
from webapp.models.review import DEPARTMENTS, SEVERITIES, STATUSES


class FindingFilters(FilterForm):
    """Estate, status (active, all or one), severity, department, category, overdue, search."""

    estate = Int32()
    status = Choice(("active", "all", *STATUSES), default="active")
    severity = Choice(SEVERITIES)
    department = Choice(("none", *DEPARTMENTS))
    category = Text(64)
    overdue = Flag()
    q = Text(100)
    page = Int32(default=1)
