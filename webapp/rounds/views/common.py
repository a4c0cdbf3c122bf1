"""What the rounds pages share: the estate asked for, its today, the names of round kinds."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import abort, request
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


def estate_arg(api: bool):
    """The ``estate`` query argument as a scoped estate (404 if not the user's)."""
    raw = request.args.get("estate", "")
    if not (raw.isascii() and raw.isdigit()):
        ids = visible_estate_ids()
        if api or not ids:
            abort(404)
        raw = str(min(ids))
    return get_scoped(Estate, int(raw))


def today(estate: Estate) -> date:
    """The date in the estate's timezone now."""
    return utcnow().astimezone(ZoneInfo(estate.timezone)).date()
