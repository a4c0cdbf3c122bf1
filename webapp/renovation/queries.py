"""Reads of the renovation register, estate-scoped: the permits list, a unit's permits."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from webapp.models import Building, Unit
from webapp.models.renovation import RectificationNotice, RenovationPermit
from webapp.renovation.status import active_clause
from webapp.scoping import scoped


def state_clause(state: str, today: date):
    """The SQL test of a permit's state on ``today`` (RenovationPermit.state in SQL)."""
    p = RenovationPermit
    if state == "closed":
        return p.closed_on.is_not(None)
    if state == "upcoming":
        return sa.and_(p.closed_on.is_(None), p.starts_on > today)
    if state == "overrun":
        return sa.and_(p.closed_on.is_(None), p.ends_on < today)
    if state == "active":
        return sa.and_(active_clause(today), sa.or_(p.ends_on.is_(None), p.ends_on >= today))
    return sa.true()


def permits(estate_id: int, filters, today: date) -> sa.Select:
    """The estate's permits by the list's filters: open ones first, by end date."""
    query = (
        scoped(RenovationPermit)
        .join(Unit, Unit.id == RenovationPermit.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(RenovationPermit.estate_id == estate_id, state_clause(filters.state, today))
        .options(sa.orm.contains_eager(RenovationPermit.unit).contains_eager(Unit.building))
    )
    for word in filters.q.replace("-", " ").split()[:6]:
        like = f"%{word}%"
        query = query.where(
            sa.or_(
                RenovationPermit.number.ilike(like),
                RenovationPermit.owner_name.ilike(like),
                RenovationPermit.contractor.ilike(like),
                Building.name == word,
                Unit.room.ilike(f"{word.removesuffix('室')}%"),
            )
        )
    return query.order_by(
        RenovationPermit.closed_on.is_not(None),
        RenovationPermit.ends_on,
        RenovationPermit.id,
    )


def unit_permits(unit_id: int) -> sa.Select:
    """A unit's permits, newest first."""
    return (
        scoped(RenovationPermit)
        .where(RenovationPermit.unit_id == unit_id)
        .order_by(RenovationPermit.starts_on.desc(), RenovationPermit.id.desc())
    )


def notices(estate_id: int) -> sa.Select:
    """The estate's rectification notices, newest number first."""
    return (
        scoped(RectificationNotice)
        .where(RectificationNotice.estate_id == estate_id)
        .options(sa.orm.joinedload(RectificationNotice.unit).joinedload(Unit.building))
        .order_by(RectificationNotice.year.desc(), RectificationNotice.seq.desc())
    )
