"""Record an alert event once: the same key again is the same event.

Every area that has something people should hear of records it here (a leaf: it imports no
area, so the areas it serves and the alerts and digests that read them form no cycle); the
alerts (webapp/alerts) fan it out.

A new event's key is noted in ``session.info`` (``RECORDED_EVENTS``): when the transaction
commits, webapp/alerts/fanout.py submits its fan-out. Pushes record theirs through
sync/alerts.py (sync imports no area), which notes them the same way."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp import vocab
from webapp.models.jobs import RECORDED_EVENTS, AlertEvent


def record(
    session: Session,
    kind: str,
    key: str,
    *,
    occurred_at: datetime,
    estate_id: int | None = None,
    detail: dict | None = None,
) -> tuple[AlertEvent, bool]:
    """Add the event unless its key is already recorded: (the event, whether it is new).

    The key names the event itself (``key_chain_broken:<key id>:<event id>``), so finding the
    same thing again (the next night's check) records nothing new and alerts nobody twice."""
    if kind not in vocab.ALERT_KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    found = session.scalar(sa.select(AlertEvent).where(AlertEvent.key == key))
    if found is not None:
        return found, False
    event = AlertEvent(
        kind=kind, key=key, estate_id=estate_id, detail=detail or {}, occurred_at=occurred_at
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        return session.scalar(sa.select(AlertEvent).where(AlertEvent.key == key)), False
    session.info.setdefault(RECORDED_EVENTS, set()).add(key)
    return event, True
