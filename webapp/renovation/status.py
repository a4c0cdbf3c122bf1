"""A unit's 裝修中 comes from its permits: ``Unit.status`` kept in step with them.

A permit is **active** from its start date (estate calendar) until it is closed; a unit with an
active permit is ``renovating``, and a unit without one is what it was before the work began
(``RenovationPermit.unit_status_before``: occupied or vacant). Every reader of the status — the
daily renovation patrol, the dashboard, the registry, the phones' pull — reads ``Unit.status``,
which only this module sets to or from ``renovating``: after every permit write (``refresh``
for its unit), and every hour for every estate (a permit that begins today needs no write:
``renovation.status``, webapp/renovation/jobs.py). No Flask here: callers pass the session.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.models import Estate, Unit
from webapp.models.audit import record
from webapp.models.renovation import RenovationPermit
from webapp.models.types import utcnow

RENOVATING = "renovating"


def estate_today(estate: Estate, now: datetime | None = None) -> date:
    """Today on the estate's calendar."""
    return (now or utcnow()).astimezone(ZoneInfo(estate.timezone or "UTC")).date()


def active_clause(today: date):
    """The SQL test of a permit active on ``today``: begun and not closed."""
    return sa.and_(RenovationPermit.closed_on.is_(None), RenovationPermit.starts_on <= today)


def refresh(
    session: Session,
    estate: Estate,
    unit_ids: Iterable[int] | None = None,
    *,
    now: datetime | None = None,
    actor=None,
) -> int:
    """Bring the estate's units (or these of them) in step with their permits; how many
    changed. Each change is audited (``unit.status``, by the actor or by the permits)."""
    today = estate_today(estate, now)
    active = sa.select(RenovationPermit.unit_id).where(active_clause(today)).scalar_subquery()
    wrong = sa.select(Unit).where(
        Unit.estate_id == estate.id,
        sa.or_(
            sa.and_(Unit.status != RENOVATING, Unit.id.in_(active)),
            sa.and_(Unit.status == RENOVATING, Unit.id.not_in(active)),
        ),
    )
    if unit_ids is not None:
        ids = list(unit_ids)
        if not ids:
            return 0
        wrong = wrong.where(Unit.id.in_(ids))
    changed = 0
    for unit in session.scalars(wrong.order_by(Unit.id)):
        permits = _permits(session, unit.id)
        if any(p.closed_on is None and p.starts_on <= today for p in permits):
            for p in permits:
                if p.closed_on is None and p.unit_status_before is None:
                    p.unit_status_before = unit.status
            after = RENOVATING
        else:
            after = _before(permits)
        _set(session, unit, after, actor)
        changed += 1
    session.flush()
    return changed


def _permits(session: Session, unit_id: int) -> list[RenovationPermit]:
    return list(
        session.scalars(
            sa.select(RenovationPermit)
            .where(RenovationPermit.unit_id == unit_id)
            .order_by(RenovationPermit.starts_on, RenovationPermit.id)
        )
    )


def _before(permits: list[RenovationPermit]) -> str:
    """What a unit returns to once its work is over: what it was before the latest permit."""
    for p in reversed(permits):
        if p.unit_status_before in ("occupied", "vacant"):
            return p.unit_status_before
    return "occupied"


def _set(session: Session, unit: Unit, status: str, actor) -> None:
    record(
        session,
        "unit.status",
        unit,
        actor=actor,
        before={"status": unit.status},
        after={"status": status},
    )
    unit.status = status


def refresh_all(session: Session, now: datetime | None = None) -> int:
    """Every active estate brought in step with its permits (the hourly job)."""
    changed = 0
    for estate in session.scalars(sa.select(Estate).where(Estate.active).order_by(Estate.id)):
        changed += refresh(session, estate, now=now)
    return changed
