"""The alert events a push finds, recorded in the op's own savepoint (docs/alerts.md).

A critical finding or a major violation, a second refusal at a vacant unit, a key that became
disputed, an op quarantined: each is one ``alert_event`` row, keyed by what it is about (the
finding's id, the key event's, the quarantined op's), so it is written once with the records
that made it and a replayed op writes nothing. The key is noted in ``session.info``; when the
push commits, webapp/alerts/fanout.py submits the fan-out. sync/ imports no area, so this
writes the row itself rather than through webapp/alert_events.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync import derived
from webapp import vocab
from webapp.models.jobs import RECORDED_EVENTS, AlertEvent

_INSERT = sa.insert(AlertEvent.__table__)
# The category of a finding raised from a renovation round's checklist (sync/derived.py's
# ROUND_CATEGORY); critical there is a major violation 重大違規.
RENOVATION_CATEGORY = derived.ROUND_CATEGORY["renovation"]


def row(
    session: Session, kind: str, key: str, estate_id: int | None, at: datetime, detail: dict
) -> tuple[Any, dict]:
    """The event's insert, for a ``Prepared``'s rows (written with the op, or not at all)."""
    if kind not in vocab.ALERT_KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    session.info.setdefault(RECORDED_EVENTS, set()).add(key)
    params = {
        "kind": kind,
        "key": key,
        "estate_id": estate_id,
        "detail": detail,
        "occurred_at": at,
        "dispatched_at": None,
    }
    return (_INSERT, params)


def record(
    session: Session, kind: str, key: str, estate_id: int | None, at: datetime, detail: dict
) -> None:
    """Write the event now, unless its key is already there (a handler's own savepoint)."""
    found = session.scalar(sa.select(AlertEvent.id).where(AlertEvent.key == key))
    if found is None:
        statement, params = row(session, kind, key, estate_id, at, detail)
        session.execute(statement, params)


def finding_kind(severity: str, category: str) -> str | None:
    """The alert a new finding is worth: a major violation, a critical finding, or none."""
    if severity != "critical":
        return None
    return "major_violation" if category == RENOVATION_CATEGORY else "critical_finding"
