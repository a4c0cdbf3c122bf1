"""Key events on a key's ``/q/`` page: lends, returns, issues and resolutions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.items.history import HistoryEntry, provider
from webapp.models.sync import KeyEvent


@provider
def key_events(session: Session, item_type: str, item) -> list[HistoryEntry]:
    """The key's custody events, as synced (a conflict or an unapproved lend says so)."""
    if item_type != "key":
        return []
    from flask_babel import gettext as _

    titles = {
        "lend": _("Lent to %(name)s"),
        "return": _("Returned to the cabinet"),
        "issue": _("Issued to owner %(name)s"),
        "settle": _("Dispute resolved"),
    }
    entries = []
    for e in session.scalars(
        sa.select(KeyEvent).where(KeyEvent.key_id == item.id).order_by(KeyEvent.seq)
    ):
        title = titles.get(e.action, e.action) % {"name": e.borrower_name or ""}
        notes = [e.purpose or ""]
        if e.conflict or e.inconsistent:
            notes.append(_("conflict"))
        if e.unapproved:
            notes.append(_("not approved by engineering"))
        entries.append(HistoryEntry(e.occurred_at, "key", title, " · ".join(n for n in notes if n)))
    return entries
