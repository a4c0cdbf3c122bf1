"""A desk form's basket: the key tags scanned or typed into it, read the one way every desk form
reads them (``webapp.codes.read_entry`` through ``webapp.labels.codes.find_entries``), with a
message for each entry that names no key of the user's estates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import get_timezone
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from sync.keys import lend_default, lock_keys
from webapp.codes import split_entries
from webapp.extensions import db
from webapp.i18n import term
from webapp.labels.codes import Found, find_entries
from webapp.models import Estate, Key
from webapp.models.sync import KeyEvent
from webapp.models.types import utcnow
from webapp.scoping import visible_estate_ids

MAX_ENTRIES = 50  # a desk lends a handful at once; a pasted page of text is refused whole
MAX_HANDOVER = 2000  # a stocktake scans the whole cabinet


@dataclass
class Basket:
    """The keys a basket names (scan order, each once), the code each op will name, and what
    was not understood."""

    keys: list[Key] = field(default_factory=list)
    codes: dict[int, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)


def entries_of(*texts: str | None) -> list[str]:
    """Every entry of these texts (a textarea, repeated fields), in order."""
    return [e for text in texts for e in split_entries(text)]


def _problem(found: Found) -> str:
    entry = found.entry.text
    if found.problem == "unread":
        return _(
            "“%(entry)s” is not a key tag: scan the label, or type its long code or the short"
            " code under the QR.",
            entry=entry,
        )
    if found.problem == "check":
        return _(
            "“%(entry)s”: the short code's last character does not match — a typo? Check the"
            " code under the QR.",
            entry=entry,
        )
    if found.problem == "ambiguous":
        return _(
            "“%(entry)s”: more than one of your estates has this short code — scan the label or"
            " type the long code.",
            entry=entry,
        )
    return _("“%(entry)s”: no key of your estates has this code.", entry=entry)


def read(entries: list[str], lock: bool = False) -> Basket:
    """The keys of the user's estates these entries name; ``lock`` takes their row locks (in
    id order, as the merge does) before reading their custody, so a check made on it holds
    until the transaction ends."""
    basket = Basket(entries=entries)
    if len(entries) > MAX_ENTRIES:
        basket.errors.append(
            _(
                "At most %(n)d key tags at once: this basket has %(m)d.",
                n=MAX_ENTRIES,
                m=len(entries),
            )
        )
        return basket
    found = find_entries(db.session, visible_estate_ids(), entries)
    ids: list[int] = []
    for f in found:
        if f.code is None:
            basket.errors.append(_problem(f))
        elif f.code.item_type != "key":
            basket.errors.append(
                _(
                    "“%(entry)s” is the label of a %(kind)s, not of a key.",
                    entry=f.entry.text,
                    kind=term("item_kind", f.code.item_type),
                )
            )
        elif f.code.item_id not in basket.codes:
            basket.codes[f.code.item_id] = f.code.code
            ids.append(f.code.item_id)
    if ids:
        if lock:
            lock_keys(db.session, sorted(ids))
        keys = {
            k.id: k
            for k in db.session.scalars(
                sa.select(Key)
                .where(Key.id.in_(ids), Key.estate_id.in_(visible_estate_ids()))
                .options(selectinload(Key.unit), selectinload(Key.building))
                .execution_options(populate_existing=True)
            )
        }
        basket.keys = [keys[i] for i in ids if i in keys]
    return basket


def _when(value) -> str:
    """A time in the reader's zone: the hour alone today, else with its date."""
    local = value.astimezone(get_timezone())
    today = utcnow().astimezone(get_timezone()).date()
    return local.strftime("%H:%M" if local.date() == today else "%Y-%m-%d %H:%M")


def held_since(key: Key):
    """When the key's holder took it: the latest lend, issue or resolution by device time."""
    return db.session.scalar(
        sa.select(KeyEvent.occurred_at)
        .where(KeyEvent.key_id == key.id, KeyEvent.action.in_(("lend", "issue", "settle")))
        .order_by(KeyEvent.occurred_at.desc(), KeyEvent.seq.desc())
        .limit(1)
    )


def not_lendable(key: Key) -> str | None:
    """Why the desk may not lend this key now (it is not in the cabinet), or None.

    Online the desk knows better than to record a second lend: the key never leaves the
    cabinet, so nothing is recorded. Phones' ops are stored whatever they say (sync/keys.py).
    """
    if key.status == "in":
        return None
    if key.status == "disputed":
        return _("%(key)s is disputed — a supervisor resolves it first.", key=key.label)
    since = held_since(key)
    values = {
        "key": key.label,
        "name": key.holder_name or "",
        "since": _when(since) if since else "",
    }
    if key.status == "issued":
        return _(
            "%(key)s is issued to its owner %(name)s since %(since)s — it is not lent.", **values
        )
    return _("%(key)s is out with %(name)s since %(since)s — return it first.", **values)


def lend_defaults(keys: list[Key], now) -> tuple[str, datetime] | None:
    """The purpose (a KEY_PURPOSES value) and due back a lend of these keys starts from: their
    key classes' (``sync.keys.LEND_DEFAULTS``), the earliest due back of a mixed basket."""
    found = []
    for key in keys:
        estate = db.session.get(Estate, key.estate_id)
        purpose, due = lend_default(key.key_class, now, estate.timezone)
        found.append((due, purpose))
    if not found:
        return None
    due, purpose = min(found)
    return purpose, due
