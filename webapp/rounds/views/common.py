"""What the rounds pages share: the estate asked for, its today, the names of round kinds."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import abort
from flask_babel import gettext as _

from webapp.models import Estate, utcnow
from webapp.scoping import get_scoped, visible_estate_ids


def kind_names() -> dict[str, str]:
    """Each kind of round by its name in the reader's language."""
    return {
        "signage": _("Signage check"),
        "renovation": _("Renovation patrol"),
        "vacant": _("Vacant-unit patrol"),
        "custom": _("Custom round"),
    }


def estate_arg(wanted: dict) -> Estate:
    """The estate the query asked for (``wanted``: read by a rounds.forms ``EstateArgs``,
    which answered another's 404), else the reader's first."""
    if wanted["estate"] is not None:
        return get_scoped(Estate, wanted["estate"])
    ids = visible_estate_ids()
    if not ids:
        abort(404)
    return get_scoped(Estate, min(ids))


def today(estate: Estate) -> date:
    """The date in the estate's timezone now."""
    return utcnow().astimezone(ZoneInfo(estate.timezone)).date()
