"""The register: each key's current custody and its latest event, from the event log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from webapp.extensions import db
from webapp.forms import QueryFilters
from webapp.keys.forms import RegisterFilters
from webapp.models import Key
from webapp.models.sync import KeyEvent
from webapp.models.types import utcnow
from webapp.scoping import scoped

PAGE = 100


@dataclass
class Filters(QueryFilters):
    FORM: ClassVar = RegisterFilters

    estate: int | None = None
    status: str = ""  # in | out | issued | disputed | overdue | unapproved | ""
    key_class: str = ""
    q: str = ""
    page: int = 1


@dataclass
class Row:
    key: Key
    last: KeyEvent | None
    now: datetime = field(default_factory=utcnow)

    @property
    def overdue(self) -> bool:
        # Held (out, or disputed: the first borrower may still have it) past its due back.
        return (
            self.key.status in HELD
            and self.key.due_back is not None
            and self.key.due_back < self.now
        )

    @property
    def unapproved(self) -> bool:
        return self.key.status == "out" and self.last is not None and self.last.unapproved


HELD = ("out", "disputed")  # the statuses a key can be overdue in


def _overdue(now):
    return sa.and_(Key.status.in_(HELD), Key.due_back < now)


def _keys(user, estate: int | None = None) -> sa.Select:
    """Active keys of the user's estates (of one estate)."""
    query = scoped(Key, user).where(Key.active)
    if estate:
        query = query.where(Key.estate_id == estate)
    return query


def _where(query: sa.Select, filters: Filters, now) -> sa.Select:
    """The filters' conditions. Only a search or the unapproved filter reads the keys' newest
    events (joined by the id kept on the key); the rest, and the order, read the keys alone."""
    if filters.key_class:
        query = query.where(Key.key_class == filters.key_class)
    if filters.status == "overdue":
        query = query.where(_overdue(now))
    elif filters.status == "unapproved":
        last = aliased(KeyEvent)
        query = query.join(last, last.id == Key.last_event_id).where(
            Key.status == "out", last.unapproved
        )
    elif filters.status:
        query = query.where(Key.status == filters.status)
    if filters.q:
        last = aliased(KeyEvent)
        like = f"%{filters.q}%"
        query = query.outerjoin(last, last.id == Key.last_event_id).where(
            sa.or_(
                Key.holder_name.ilike(like),
                Key.name.ilike(like),
                Key.equipment_room.ilike(like),
                last.purpose.ilike(like),
            )
        )
    return query


def register_query(filters: Filters, user) -> sa.Select:
    """Keys of the user's estates, filtered: disputed and overdue first, then the latest
    movement."""
    now = utcnow()
    return _where(_keys(user, filters.estate), filters, now).order_by(
        (Key.status == "disputed").desc(),
        _overdue(now).desc(),
        Key.moved_at.desc().nulls_last(),
        Key.id,
    )


def _rows(keys: list[Key], now) -> list[Row]:
    """The keys with their newest events (one read by id for the lot)."""
    ids = [k.last_event_id for k in keys if k.last_event_id]
    events = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        events.update(
            (e.id, e) for e in db.session.scalars(sa.select(KeyEvent).where(KeyEvent.id.in_(chunk)))
        )
    return [Row(k, events.get(k.last_event_id), now) for k in keys]


def page_of(filters: Filters, user) -> tuple[list[Row], bool, int]:
    """A page of the register's keys; whether there is a next; how many keys match."""
    now = utcnow()
    counted = _where(_keys(user, filters.estate), filters, now)
    total = db.session.scalar(counted.with_only_columns(sa.func.count(Key.id)))
    keys = db.session.scalars(
        register_query(filters, user)
        .options(selectinload(Key.unit), selectinload(Key.building))
        .limit(PAGE + 1)
        .offset((filters.page - 1) * PAGE)
    ).all()
    return _rows(list(keys[:PAGE]), now), len(keys) > PAGE, total or 0


def all_rows(filters: Filters, user) -> list[Row]:
    """Every key the filters select (the exports)."""
    query = register_query(filters, user).options(
        selectinload(Key.unit), selectinload(Key.building)
    )
    return _rows(list(db.session.scalars(query)), utcnow())


def counts(user, estate: int | None = None, now: datetime | None = None) -> dict[str, int]:
    """How many keys are out, overdue, disputed, unapproved, issued: one pass over the keys,
    and the newest events of the keys that are out."""
    now = now or utcnow()
    conditions = {
        "out": Key.status == "out",
        "overdue": _overdue(now),
        "disputed": Key.status == "disputed",
        "issued": Key.status == "issued",
    }
    sums = [sa.func.sum(sa.case((c, 1), else_=0)).label(n) for n, c in conditions.items()]
    row = db.session.execute(_keys(user, estate).with_only_columns(*sums)).one()
    found = {name: int(getattr(row, name) or 0) for name in conditions}
    unapproved = _where(_keys(user, estate), Filters(status="unapproved"), now)
    found["unapproved"] = db.session.scalar(unapproved.with_only_columns(sa.func.count(Key.id)))
    return found


def most_overdue(user, estate: int | None, now: datetime, n: int) -> list[Row]:
    """The ``n`` keys longest past their due back (held and overdue, the register's overdue
    filter), with their newest events: the digests' list."""
    query = _where(_keys(user, estate), Filters(status="overdue"), now)
    keys = db.session.scalars(
        query.options(selectinload(Key.unit), selectinload(Key.building))
        .order_by(Key.due_back, Key.id)
        .limit(n)
    ).all()
    return _rows(list(keys), now)


def lends_between(user, estate: int | None, lo: datetime, hi: datetime) -> int:
    """How many lends of the user's keys (of one estate) happened in [lo, hi)."""
    return db.session.scalar(
        scoped(KeyEvent, user)
        .with_only_columns(sa.func.count(KeyEvent.id))
        .where(
            KeyEvent.action == "lend",
            KeyEvent.occurred_at >= lo,
            KeyEvent.occurred_at < hi,
            *((KeyEvent.estate_id == estate,) if estate else ()),
        )
    )


def history(key: Key) -> list[KeyEvent]:
    return list(
        db.session.scalars(
            sa.select(KeyEvent).where(KeyEvent.key_id == key.id).order_by(KeyEvent.seq.desc())
        )
    )
