"""Pull: a snapshot of what the user's estates hold, then what changed since a cursor.

The cursor (sync/cursor.py) is opaque to the phone; what is sent of each changed object comes
from its type's loader (sync/loaders.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync import feed
from sync.cursor import CursorExpired, CursorState, Job, Position, decode_cursor, encode_cursor
from sync.loaders import LOADERS, STRING_IDS, register_loader
from webapp.models.sync import SyncChange

__all__ = ["LOADERS", "CursorExpired", "PullResult", "pull", "register_loader"]


@dataclass
class PullResult:
    changes: list[dict]
    cursor: str
    has_more: bool


def _after(pos: Position):
    return sa.tuple_(SyncChange.seq, SyncChange.type, SyncChange.obj_id) > sa.tuple_(
        sa.literal(pos.seq), sa.literal(pos.type), sa.literal(pos.obj_id)
    )


def _recent(now: datetime):
    """Skip feed rows of checks written before the retention window: their device time is
    older still, so the loader would leave them out anyway (pages stay full)."""
    return sa.or_(SyncChange.type != "check", SyncChange.changed_at >= now - feed.CHECK_RETENTION)


_ORDER = (SyncChange.seq, SyncChange.type, SyncChange.obj_id)
_COLS = (SyncChange.seq, SyncChange.type, SyncChange.obj_id, SyncChange.deleted)


def pull(
    session: Session,
    estate_ids: list[int],
    cursor: str | None,
    limit: int,
    now: datetime,
    secret: str,
) -> PullResult:
    """One page of changes for a user who sees ``estate_ids``."""
    current = sorted(set(estate_ids))
    top, horizon = feed.head(session)
    if cursor is None:
        if current and feed.ensure_tracked(session, current):
            top, horizon = feed.head(session)
        state = CursorState(estates=current, snap=top)
    else:
        state = decode_cursor(cursor, secret)
        oldest = max(state.pos.seq, state.snap)
        if oldest < horizon:
            raise CursorExpired
        _reconcile(state, current)

    rows: list[tuple] = []  # (seq, type, obj_id, deleted)
    while state.jobs and len(rows) < limit:
        job = state.jobs[0]
        query = sa.select(*_COLS).where(
            SyncChange.estate_id == job.estate_id, _after(job.pos), _recent(now)
        )
        if job.mode == "fill":
            query = query.where(SyncChange.seq <= job.upto, ~SyncChange.deleted)
        found = (
            session.connection().execute(query.order_by(*_ORDER).limit(limit - len(rows) + 1)).all()
        )
        take = found[: limit - len(rows)]
        for seq, kind, obj_id, deleted in take:
            rows.append((seq, kind, obj_id, True if job.mode == "tomb" else deleted))
        if take:
            job.pos = Position(*take[-1][:3])
        if len(found) <= len(take):
            state.jobs.pop(0)
        else:
            break

    has_more = bool(state.jobs)
    if len(rows) < limit and current:
        query = sa.select(*_COLS).where(
            SyncChange.estate_id.in_(current), _after(state.pos), _recent(now)
        )
        if state.snap:
            query = query.where(sa.or_(~SyncChange.deleted, SyncChange.seq > state.snap))
        found = (
            session.connection().execute(query.order_by(*_ORDER).limit(limit - len(rows) + 1)).all()
        )
        take = found[: limit - len(rows)]
        rows.extend(take)
        if take:
            state.pos = Position(*take[-1][:3])
        has_more = has_more or len(found) > len(take)
    elif len(rows) >= limit:
        has_more = True

    changes = _materialize(session, rows)
    return PullResult(changes=changes, cursor=encode_cursor(state, secret), has_more=has_more)


def _reconcile(state: CursorState, current: list[int]) -> None:
    """Queue tombstones for estates lost and a back-fill for estates gained since the cursor."""
    before, now_set = set(state.estates), set(current)
    lost, gained = before - now_set, now_set - before
    state.jobs = [
        j
        for j in state.jobs
        if not (j.mode == "fill" and j.estate_id in lost)
        and not (j.mode == "tomb" and j.estate_id in gained)
    ]
    for estate_id in sorted(lost):
        state.jobs.append(Job(estate_id, "tomb", Position(), 0))
    for estate_id in sorted(gained):
        state.jobs.append(Job(estate_id, "fill", Position(), state.pos.seq))
    state.estates = current


def _materialize(session: Session, rows: list[tuple]) -> list[dict]:
    wanted: dict[str, list] = {}
    for _seq, kind, obj_id, deleted in rows:
        if not deleted and kind in STRING_IDS:  # phone-made records: uuid ids
            wanted.setdefault(kind, []).append(obj_id)
        elif not deleted and obj_id.isdigit():
            wanted.setdefault(kind, []).append(int(obj_id))
    data: dict[tuple[str, str], dict | None] = {}
    for kind, ids in wanted.items():
        for obj_id, item in LOADERS[kind](session, ids).items():
            data[(kind, str(obj_id))] = item
    changes = []
    for seq, kind, obj_id, deleted in rows:
        item = None if deleted else data.get((kind, obj_id))
        if item is None and not deleted and kind == "check":
            continue  # past the retention window (checks are never deleted): nothing, no tomb
        changes.append(
            {
                "type": kind,
                "id": obj_id,
                "version": int(seq),
                "deleted": item is None,
                "data": item,
            }
        )
    return changes
