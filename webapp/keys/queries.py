"""The register: each key's current custody and its latest event, from the event log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from webapp.extensions import db
from webapp.keys.forms import RegisterFilters
from webapp.models import Key
from webapp.models.sync import KeyEvent
from webapp.models.types import utcnow
from webapp.scoping import scoped, visible_estate_ids

PAGE = 100


@dataclass
class Filters:
    estate: int | None = None
    status: str = ""  # in | out | issued | disputed | overdue | unapproved | ""
    key_class: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> Filters:
        """Read the filters from the query string, dropping what does not fit."""
        filters = cls(**RegisterFilters(args).data)
        filters.page = max(filters.page or 1, 1)
        return filters

    def args(self, **changes) -> dict:
        values = {
            "estate": self.estate or "",
            "status": self.status,
            "key_class": self.key_class,
            "q": self.q,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}


@dataclass
class Row:
    key: Key
    last: KeyEvent | None
    now: datetime = field(default_factory=utcnow)

    @property
    def overdue(self) -> bool:
        return (
            self.key.status == "out"
            and self.last is not None
            and self.last.action == "lend"
            and self.last.due_back is not None
            and self.last.due_back < self.now
        )

    @property
    def unapproved(self) -> bool:
        return self.key.status == "out" and self.last is not None and self.last.unapproved


def _joined(user, estate: int | None = None):
    """Active keys of the user's estates joined with their latest event (one grouped pass)."""
    latest = (
        sa.select(KeyEvent.key_id, sa.func.max(KeyEvent.seq).label("seq"))
        .where(KeyEvent.estate_id.in_(visible_estate_ids(user)))
        .group_by(KeyEvent.key_id)
    )
    if estate:
        latest = latest.where(KeyEvent.estate_id == estate)
    latest = latest.subquery()
    last = aliased(KeyEvent)
    query = (
        scoped(Key, user)
        .where(Key.active)
        .outerjoin(latest, latest.c.key_id == Key.id)
        .outerjoin(last, sa.and_(last.key_id == latest.c.key_id, last.seq == latest.c.seq))
    )
    if estate:
        query = query.where(Key.estate_id == estate)
    return query, last


def register_query(filters: Filters, user) -> sa.Select:
    """Keys of the user's estates with their latest event, filtered."""
    query, last = _joined(user, filters.estate)
    query = query.add_columns(last).options(selectinload(Key.unit), selectinload(Key.building))
    if filters.key_class:
        query = query.where(Key.key_class == filters.key_class)
    if filters.status == "overdue":
        query = query.where(Key.status == "out", last.action == "lend", last.due_back < utcnow())
    elif filters.status == "unapproved":
        query = query.where(Key.status == "out", last.unapproved)
    elif filters.status:
        query = query.where(Key.status == filters.status)
    if filters.q:
        like = f"%{filters.q}%"
        query = query.where(
            sa.or_(
                Key.holder_name.ilike(like),
                Key.name.ilike(like),
                Key.equipment_room.ilike(like),
                last.purpose.ilike(like),
            )
        )
    # Overdue and disputed first, then the latest movement.
    return query.order_by(
        (Key.status == "disputed").desc(),
        sa.and_(Key.status == "out", last.due_back < utcnow()).desc(),
        last.occurred_at.desc().nulls_last(),
        Key.id,
    )


def page_of(filters: Filters, user) -> tuple[list[Row], bool, int]:
    query = register_query(filters, user)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    results = db.session.execute(query.limit(PAGE + 1).offset((filters.page - 1) * PAGE)).all()
    now = utcnow()
    rows = [Row(key, last, now) for key, last in results[:PAGE]]
    return rows, len(results) > PAGE, total or 0


def all_rows(filters: Filters, user) -> list[Row]:
    now = utcnow()
    return [Row(k, e, now) for k, e in db.session.execute(register_query(filters, user)).all()]


def counts(user, estate: int | None = None) -> dict[str, int]:
    """How many keys are out, overdue, disputed, unapproved, issued: one query, one pass."""
    query, last = _joined(user, estate)
    now = utcnow()
    out = Key.status == "out"
    conditions = {
        "out": out,
        "overdue": sa.and_(out, last.action == "lend", last.due_back < now),
        "disputed": Key.status == "disputed",
        "unapproved": sa.and_(out, last.unapproved),
        "issued": Key.status == "issued",
    }
    sums = [sa.func.sum(sa.case((c, 1), else_=0)).label(n) for n, c in conditions.items()]
    row = db.session.execute(query.with_only_columns(*sums, maintain_column_froms=True)).one()
    return {name: int(getattr(row, name) or 0) for name in conditions}


def recent_events(user, estate: int | None = None, limit: int = 12) -> list[tuple[KeyEvent, Key]]:
    """The register's latest movements (lends, returns, issues, resolutions), newest first."""
    query = (
        sa.select(KeyEvent)
        .where(KeyEvent.estate_id.in_(visible_estate_ids(user)))
        .order_by(KeyEvent.occurred_at.desc(), KeyEvent.seq.desc())
        .limit(limit)
    )
    if estate:
        query = query.where(KeyEvent.estate_id == estate)
    events = list(db.session.scalars(query))
    keys = {
        k.id: k
        for k in db.session.scalars(
            sa.select(Key)
            .where(Key.id.in_({e.key_id for e in events}))
            .options(selectinload(Key.unit), selectinload(Key.building))
        )
    }
    return [(e, keys[e.key_id]) for e in events if e.key_id in keys]


def history(key: Key) -> list[KeyEvent]:
    return list(
        db.session.scalars(
            sa.select(KeyEvent).where(KeyEvent.key_id == key.id).order_by(KeyEvent.seq.desc())
        )
    )
