"""An item's history, gathered from whatever areas record things about it.

Areas (checks and findings, key loans) contribute a provider, installed by ``create_app``
through :func:`install`; the item page shows what they return, newest first, under
"History". The labels area itself contributes the item's label codes: when each was
printed and when it was replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from webapp.labels import codes
from webapp.models import LabelCode


@dataclass(frozen=True)
class HistoryEntry:
    """One line of an item's history."""

    at: datetime
    kind: str  # what area recorded it: "label", "check", "finding", "key"...
    title: str
    detail: str = ""
    url: str | None = None


Provider = Callable[[Session, str, object], list[HistoryEntry]]
PROVIDERS: list[Provider] = []


def install(*providers: Provider) -> None:
    """Add functions (session, item_type, item) -> entries, in order, each once."""
    for fn in providers:
        if fn not in PROVIDERS:
            PROVIDERS.append(fn)


def history_for(session: Session, item_type: str, item, limit: int = 100) -> list[HistoryEntry]:
    """Everything recorded about an item, newest first."""
    entries: list[HistoryEntry] = []
    for fn in PROVIDERS:
        entries.extend(fn(session, item_type, item))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def label_codes(session: Session, item_type: str, item) -> list[HistoryEntry]:
    """The item's label codes: each issued, and each retired with its reason."""
    rows = session.scalars(
        sa.select(LabelCode)
        .where(LabelCode.item_type == item_type, LabelCode.item_id == item.id)
        .order_by(LabelCode.created_at)
    )
    entries = []
    for code in rows:
        short = f"{code.short_code[:4]}-{code.short_code[4:]}"
        entries.append(
            HistoryEntry(code.created_at, "label", _("Label code %(code)s issued", code=short))
        )
        if code.retired_at is not None:
            entries.append(
                HistoryEntry(
                    code.retired_at,
                    "label",
                    _("Label code %(code)s retired", code=short),
                    codes.reason_shown(code.retired_reason),
                )
            )
    return entries
