"""How keys read on screen: times, the owner's signature and the words for who and what."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask_babel import get_timezone

from webapp import vocab
from webapp.extensions import db
from webapp.i18n import Terms, term
from webapp.keys.history import id_check, latest_signature

# A purpose written as one of the offered purposes' names (either language) is that purpose.
_PURPOSE_NAMES = {
    name.casefold(): value for value, names in vocab.KEY_PURPOSES.items() for name in names
}


def purpose_value(text: str | None) -> str | None:
    """The KEY_PURPOSES value a stored purpose stands for, if it is one (or one's name)."""
    if not text:
        return None
    if text in vocab.KEY_PURPOSES:
        return text
    return _PURPOSE_NAMES.get(text.strip().casefold())


def purpose_name(text: str | None) -> str:
    """A lend's purpose in the reader's language: an offered purpose by its name, any other
    words as written."""
    value = purpose_value(text)
    return term("key_purpose", value) if value else (text or "")


def purpose_zh(text: str | None) -> str:
    """A lend's purpose as exports write it (Chinese for an offered purpose)."""
    value = purpose_value(text)
    return vocab.zh("key_purpose", value) if value else (text or "")


def key_signature(key) -> dict | None:
    """The owner's signature drawn at the key's latest issue, for the key's page."""
    if key is None or key.key_class != "owner":
        return None
    found = latest_signature(db.session, key.id)
    if found is None:
        return None
    event, sha = found
    return {"sha256": sha, "name": event.borrower_name, "at": event.occurred_at}


def zone() -> ZoneInfo:
    """The reader's timezone as a zoneinfo zone: flask-babel's is pytz's, whose zone passed as
    ``tzinfo=`` is the zone's local mean time (Asia/Taipei at +08:06, six minutes off)."""
    return ZoneInfo(str(get_timezone()))


def keytime(value) -> str:
    """A timestamp in the user's timezone, minutes precision."""
    return value.astimezone(get_timezone()).strftime("%Y-%m-%d %H:%M") if value else ""


def names() -> dict:
    """The words for borrower types, key actions and purposes, for every template."""
    return {
        "key_borrower_types": Terms("borrower_type"),
        "key_actions": Terms("key_action"),
        "key_purpose": purpose_name,
        "key_id_check": id_check,
    }
