"""The change feed behind pull: which synced object changed, in commit order.

Every transaction that changes an estate, building, unit, key, sign or label code takes ONE
sequence number at commit time from a counter row it locks (``UPDATE ... RETURNING`` holds
the row lock until commit), so sequence numbers are handed out in commit order on
PostgreSQL as on SQLite. ``sync_change`` keeps the latest change of each object; a reader
paging by ``(seq, type, obj_id)`` never misses a row, because a row that changes while it
pages moves ahead of the reader's position.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from webapp.models import Building, Estate, Key, LabelCode, Sign, Unit
from webapp.models.renovation import Acceptance, RectificationNotice, RenovationPermit
from webapp.models.rounds import RoundTemplate
from webapp.models.sync import Check, Finding, SyncChange, SyncCounter
from webapp.models.types import utcnow

PENDING = "sync_feed_pending"
CASCADE = "sync_feed_cascade"
SAVED = "sync_feed_savepoints"  # what was pending when each open savepoint began

TYPES: dict[type, str] = {
    Estate: "estate",
    Building: "building",
    Unit: "unit",
    Key: "key",
    Sign: "sign",
    RoundTemplate: "round",  # rounds and their checklists (webapp/rounds/pulled.py)
    RenovationPermit: "permit",  # a unit's open permits (webapp/renovation/pulled.py)
    RectificationNotice: "notice",  # numbered by the merge (sync/notices.py), which touches it
    Acceptance: "acceptance",  # completion acceptances (sync/acceptance.py touches them)
    Finding: "finding",  # merge inserts them around the ORM: it touches the feed itself
    Check: "check",  # pulled only within CHECK_RETENTION (older ones arrive as nothing)
}
MODELS = {name: model for model, name in TYPES.items()}
# Phones get the checks of the last 30 days (an item's recent history), never older ones.
CHECK_RETENTION = timedelta(days=30)


def _insert(session: Session, model):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def next_seq(session: Session) -> int:
    """Take the next feed sequence number, locking the counter row until commit."""
    stmt = _insert(session, SyncCounter).values(id=1, value=1, horizon=0)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SyncCounter.id], set_={"value": SyncCounter.value + 1}
    ).returning(SyncCounter.value)
    return int(session.execute(stmt).scalar_one())


def head(session: Session) -> tuple[int, int]:
    """The last sequence number handed out, and the horizon below which cursors expired."""
    row = session.execute(sa.select(SyncCounter.value, SyncCounter.horizon)).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def touch(session: Session, kind: str, obj_id, estate_id: int, deleted: bool = False) -> None:
    """Mark an object changed in this transaction (for writes the ORM events cannot see)."""
    session.info.setdefault(PENDING, {})[(kind, str(obj_id))] = (int(estate_id), deleted)


def _is_deleted(obj) -> bool:
    return getattr(obj, "active", True) is False


def _estate_of(obj) -> int | None:
    return obj.id if isinstance(obj, Estate) else getattr(obj, "estate_id", None)


def _after_flush(session: Session, _context) -> None:
    pending = session.info.setdefault(PENDING, {})
    cascade = session.info.setdefault(CASCADE, set())
    deleted_set = set(session.deleted)
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, LabelCode):
            pending.setdefault((obj.item_type, str(obj.item_id)), (obj.estate_id, False))
            continue
        kind = TYPES.get(type(obj))
        if kind is None:
            continue
        estate_id = _estate_of(obj)
        if estate_id is None:
            continue
        pending[(kind, str(obj.id))] = (estate_id, obj in deleted_set or _is_deleted(obj))
        # A building's or unit's name is part of the labels of what it holds.
        if kind in ("building", "unit") and obj not in session.new:
            cascade.add((kind, obj.id))


def _cascade(session: Session, pending: dict, cascade: set) -> None:
    buildings = [i for k, i in cascade if k == "building"]
    units = [i for k, i in cascade if k == "unit"]
    if buildings:
        for uid, eid in session.execute(
            sa.select(Unit.id, Unit.estate_id).where(Unit.building_id.in_(buildings))
        ):
            units.append(uid)
            pending.setdefault(("unit", str(uid)), (eid, False))
        for kid, eid in session.execute(
            sa.select(Key.id, Key.estate_id).where(Key.building_id.in_(buildings))
        ):
            pending.setdefault(("key", str(kid)), (eid, False))
    if units:
        for chunk in _chunks(units, 5000):
            for kid, eid in session.execute(
                sa.select(Key.id, Key.estate_id).where(Key.unit_id.in_(chunk))
            ):
                pending.setdefault(("key", str(kid)), (eid, False))


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _before_commit(session: Session) -> None:
    idle = not (session.new or session.dirty or session.deleted)
    if idle and not session.info.get(PENDING) and not session.info.get(CASCADE):
        return
    session.flush()
    pending = session.info.pop(PENDING, {})
    cascade = session.info.pop(CASCADE, set())
    if cascade:
        _cascade(session, pending, cascade)
    if pending:
        write(session, pending)


def write(session: Session, pending: dict, now: datetime | None = None) -> int:
    """Record the changes under one new sequence number; returns it."""
    seq = next_seq(session)
    now = now or utcnow()
    rows = [
        {
            "type": kind,
            "obj_id": obj_id,
            "estate_id": estate_id,
            "seq": seq,
            "deleted": deleted,
            "changed_at": now,
        }
        for (kind, obj_id), (estate_id, deleted) in pending.items()
    ]
    # One statement with bound parameters, run as an executemany: compiled once and cached
    # (a multi-VALUES statement of 2,000 rows was compiled afresh every push: ~40 % of it).
    stmt = _insert(session, SyncChange.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SyncChange.type, SyncChange.obj_id],
        set_={
            "estate_id": stmt.excluded.estate_id,
            "seq": stmt.excluded.seq,
            "deleted": stmt.excluded.deleted,
            "changed_at": stmt.excluded.changed_at,
        },
    )
    connection = session.connection()
    for chunk in _chunks(rows, 2000):
        connection.execute(stmt, chunk)
    return seq


def _after_transaction_create(session: Session, transaction) -> None:
    # begin_nested() flushes first, so this is everything the savepoint must give back.
    if transaction.nested:
        pending, cascade = session.info.get(PENDING, {}), session.info.get(CASCADE, set())
        session.info.setdefault(SAVED, {})[transaction] = (dict(pending), set(cascade))


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.nested:
        session.info.get(SAVED, {}).pop(transaction, None)


def _after_rollback(session: Session) -> None:
    """A savepoint rolled back forgets only what was flushed inside it (the merge rolls back
    one bad op and commits the rest of its batch); the whole transaction, everything."""
    savepoint = session.get_nested_transaction()
    saved = session.info.get(SAVED, {}).get(savepoint) if savepoint is not None else None
    if saved is not None:
        session.info[PENDING], session.info[CASCADE] = dict(saved[0]), set(saved[1])
        return
    session.info.pop(PENDING, None)
    session.info.pop(CASCADE, None)
    session.info.pop(SAVED, None)


def ensure_tracked(session: Session, estate_ids: list[int]) -> int:
    """Add feed rows for objects of these estates that were written around the ORM."""
    pending = {}
    for kind, model in MODELS.items():
        estate_col = model.id if model is Estate else model.estate_id
        missing = sa.select(model.id, estate_col).where(
            estate_col.in_(estate_ids),
            ~sa.exists().where(
                SyncChange.type == kind, SyncChange.obj_id == sa.cast(model.id, sa.String)
            ),
        )
        if model is Check:
            missing = missing.where(Check.occurred_at >= utcnow() - CHECK_RETENTION)
        if model is not Estate and hasattr(model, "active"):
            missing = missing.add_columns(model.active)
        for row in session.execute(missing):
            active = row[2] if len(row) > 2 else True
            pending[(kind, str(row[0]))] = (row[1], not active)
    if pending:
        write(session, pending)
    return len(pending)


def purge_tombstones(session: Session, older_than: datetime) -> int:
    """Forget deletions older than ``older_than``; cursors from before them then expire."""
    top = session.scalar(
        sa.select(sa.func.max(SyncChange.seq)).where(
            SyncChange.deleted, SyncChange.changed_at < older_than
        )
    )
    if top is None:
        return 0
    gone = session.execute(
        sa.delete(SyncChange).where(SyncChange.deleted, SyncChange.seq <= top)
    ).rowcount
    next_seq(session)  # makes sure the counter row exists, and orders this write
    # Every tombstone at or below ``top`` is gone, so later ones all sit above it.
    session.execute(sa.update(SyncCounter).where(SyncCounter.id == 1).values(horizon=top))
    return gone


_installed = False


def install() -> None:
    """Listen to every Session so registry writes feed the change log (idempotent)."""
    global _installed
    if _installed:
        return
    sa.event.listen(Session, "after_flush", _after_flush)
    sa.event.listen(Session, "before_commit", _before_commit)
    sa.event.listen(Session, "after_rollback", _after_rollback)
    sa.event.listen(Session, "after_transaction_create", _after_transaction_create)
    sa.event.listen(Session, "after_transaction_end", _after_transaction_end)
    _installed = True
