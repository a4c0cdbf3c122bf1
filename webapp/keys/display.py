"""How keys read on screen: times, the owner's signature and the words for who and what."""

from __future__ import annotations

from flask_babel import get_timezone
from flask_babel import gettext as _

from webapp.extensions import db
from webapp.i18n import Terms
from webapp.keys.history import latest_signature


def key_signature(key) -> dict | None:
    """The owner's signature drawn at the key's latest issue, for the key's page."""
    if key is None or key.key_class != "owner":
        return None
    found = latest_signature(db.session, key.id)
    if found is None:
        return None
    event, sha = found
    return {"sha256": sha, "name": event.borrower_name, "at": event.occurred_at}


def keytime(value) -> str:
    """A timestamp in the user's timezone, minutes precision."""
    return value.astimezone(get_timezone()).strftime("%Y-%m-%d %H:%M") if value else ""


def names() -> dict:
    """The words for borrower types and key actions, for every template."""
    return {
        "key_borrower_types": Terms("borrower_type"),
        "key_actions": {
            "lend": _("Lend"),
            "return": _("Return"),
            "issue": _("Issued to owner"),
            "settle": _("Resolution"),
        },
    }
