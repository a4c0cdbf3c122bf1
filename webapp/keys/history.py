"""Key events on a key's ``/q/`` page: lends, returns, issues and resolutions; the owner's
signature drawn at issue (a photo linked to the issue event) and the identity document checked
(its type and the last 4 of its number, masked); an issue links its receipt."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from sync.photos import shown_links
from webapp.i18n import term
from webapp.items.history import HistoryEntry
from webapp.models.sync import KeyEvent


def masked(last4: str | None) -> str:
    """The last 4 characters of an ID number as printed and shown: ``****1234``."""
    return f"****{last4}" if last4 else ""


def id_check(event: KeyEvent) -> str:
    """The identity document checked at an issue, in the reader's language: its type and its
    number masked (``香港身份證 ****1234``); empty when none was recorded."""
    if not event.id_type:
        return ""
    return f"{term('id_document', event.id_type)} {masked(event.id_last4)}"


def signatures(session: Session, event_ids: list[str]) -> dict[str, str]:
    """The drawn signature (a photo's sha256) of each of these issue events that has one."""
    return dict(shown_links(session, "key_event", event_ids))


def latest_signature(session: Session, key_id: int) -> tuple[KeyEvent, str] | None:
    """The newest issue event of a key and its signature, if it was signed."""
    event = session.scalar(
        sa.select(KeyEvent)
        .where(KeyEvent.key_id == key_id, KeyEvent.action == "issue")
        .order_by(KeyEvent.seq.desc())
        .limit(1)
    )
    if event is None:
        return None
    sha = signatures(session, [event.id]).get(event.id)
    return (event, sha) if sha else None


def key_events(session: Session, item_type: str, item) -> list[HistoryEntry]:
    """The key's custody events, as synced (a conflict or an unapproved lend says so)."""
    if item_type != "key":
        return []
    titles = {
        "lend": _("Lent to %(name)s"),
        "return": _("Returned to the cabinet"),
        "issue": _("Issued to owner %(name)s"),
        "settle": _("Dispute resolved"),
    }
    events = list(
        session.scalars(
            sa.select(KeyEvent).where(KeyEvent.key_id == item.id).order_by(KeyEvent.seq)
        )
    )
    signed = signatures(session, [e.id for e in events if e.action == "issue"])
    entries = []
    for e in events:
        title = titles.get(e.action, e.action) % {"name": e.borrower_name or ""}
        notes = [e.purpose or ""]
        if e.conflict or e.inconsistent:
            notes.append(_("conflict"))
        if e.unapproved:
            notes.append(_("not approved by engineering"))
        url = None
        if e.action == "issue":
            # An issue links its page: the signature, and the receipt 《業主鑰匙簽收單》.
            if e.id_type:
                notes.append(_("ID checked: %(document)s", document=id_check(e)))
            if e.id in signed:
                notes.append(_("signed by the owner"))
            url = url_for("owner_keys.issued", key_id=e.key_id, event_id=e.id)
        entries.append(
            HistoryEntry(e.occurred_at, "key", title, " · ".join(n for n in notes if n), url)
        )
    return entries
