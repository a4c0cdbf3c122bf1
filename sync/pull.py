"""Pull: a snapshot of what the user's estates hold, then what changed since a cursor.

The cursor is opaque to the phone: a signed record of where the reader stands in the feed
(``seq``, ``type``, ``obj_id``), the estates it was issued for, and unfinished side jobs
(tombstones for an estate the user lost, a back-fill for an estate the user gained).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync import feed
from sync.photos import shown_links
from webapp.models import Building, Estate, Key, LabelCode, Sign, Unit, User
from webapp.models.review import FindingState
from webapp.models.sync import Check, Finding, SyncChange
from webapp.models.types import utcnow
from webapp.rounds.pulled import load_rounds

CURSOR_VERSION = 1


class CursorExpired(Exception):
    """The cursor is unknown, tampered with, or older than the tombstones kept."""


@dataclass
class Position:
    seq: int = 0
    type: str = ""
    obj_id: str = ""

    def key(self):
        return [self.seq, self.type, self.obj_id]


@dataclass
class Job:
    """A side job: ``tomb`` (all of a lost estate as deleted) or ``fill`` (a gained estate)."""

    estate_id: int
    mode: str
    pos: Position
    upto: int


@dataclass
class CursorState:
    pos: Position = field(default_factory=Position)
    estates: list[int] = field(default_factory=list)
    snap: int = 0  # a snapshot skips tombstones at or below this seq
    jobs: list[Job] = field(default_factory=list)


@dataclass
class PullResult:
    changes: list[dict]
    cursor: str
    has_more: bool


def _sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()[:24]


def encode_cursor(state: CursorState, secret: str) -> str:
    """Serialize and sign a cursor."""
    doc = {
        "v": CURSOR_VERSION,
        "p": state.pos.key(),
        "e": state.estates,
        "n": state.snap,
        "j": [[j.estate_id, j.mode, j.pos.key(), j.upto] for j in state.jobs],
    }
    body = base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).rstrip(b"=")
    return body.decode() + "." + _sign(secret, body)


def decode_cursor(text: str, secret: str) -> CursorState:
    """Parse a cursor, refusing anything this server did not sign."""
    try:
        body, sig = text.rsplit(".", 1)
        if not hmac.compare_digest(_sign(secret, body.encode()), sig):
            raise CursorExpired
        doc = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if doc["v"] != CURSOR_VERSION:
            raise CursorExpired
        return CursorState(
            pos=Position(*doc["p"]),
            estates=[int(e) for e in doc["e"]],
            snap=int(doc["n"]),
            jobs=[Job(int(e), m, Position(*p), int(u)) for e, m, p, u in doc["j"]],
        )
    except CursorExpired:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise CursorExpired from exc


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


# Built once with an expanding parameter: a page's thousand ids are bound, not re-coerced.
_IDS = sa.bindparam("ids", expanding=True)
_CODES = sa.select(LabelCode.item_id, LabelCode.code, LabelCode.short_code).where(
    LabelCode.item_type == sa.bindparam("kind"), LabelCode.active, LabelCode.item_id.in_(_IDS)
)


def _codes(session: Session, kind: str, ids: list[int]) -> dict[int, tuple[str, str]]:
    rows = session.connection().execute(_CODES, {"kind": kind, "ids": list(ids)}).all()
    return {item_id: (code, short) for item_id, code, short in rows}


# Retired labels still name their item: the phone, offline, says "replaced" and opens it.
_RETIRED = (
    sa.select(LabelCode.item_id, LabelCode.code, LabelCode.short_code, LabelCode.retired_at)
    .where(
        LabelCode.item_type == sa.bindparam("kind"),
        sa.not_(LabelCode.active),
        LabelCode.item_id.in_(_IDS),
    )
    .order_by(LabelCode.id)
)


def _retired(session: Session, kind: str, ids: list[int]) -> dict[int, list[dict]]:
    rows = session.connection().execute(_RETIRED, {"kind": kind, "ids": list(ids)}).all()
    out: dict[int, list[dict]] = {}
    for item_id, code, short, at in rows:
        out.setdefault(item_id, []).append(
            {"code": code, "short_code": short, "retired_at": _iso(at)}
        )
    return out


def _load_estates(session, ids):
    out = {}
    for e in session.scalars(sa.select(Estate).where(Estate.id.in_(ids))):
        if e.active:
            out[e.id] = {"name": e.name, "timezone": e.timezone}
    return out


def _load_buildings(session, ids):
    out = {}
    for b in session.scalars(sa.select(Building).where(Building.id.in_(ids))):
        if b.active:
            out[b.id] = {
                "estate_id": b.estate_id,
                "name": b.name,
                "sort_key": b.sort_key,
                "floors": b.floors,
            }
    return out


def _item(obj, label: str, codes, retired) -> dict:
    code, short = codes.get(obj.id, (None, None))
    return {
        "estate_id": obj.estate_id,
        "code": code,
        "short_code": short,
        "label": label,
        "retired_codes": retired.get(obj.id, []),
    }


def _label(model, ns: SimpleNamespace, session, ident) -> str:
    """The registry's own label property, run on a plain row (no ORM load per object)."""
    try:
        return model.label.fget(ns)
    except AttributeError:  # the registry's label needs more than the row: load the object
        return session.get(model, ident).label


_BUILDING_NAMES = sa.select(Building.id, Building.name).where(Building.id.in_(_IDS))


def _building_names(session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    conn = session.connection()
    return dict(conn.execute(_BUILDING_NAMES, {"ids": list(ids)}).all())


def _rows(session, statement, ids) -> list[SimpleNamespace]:
    """Plain rows through the session's connection (no ORM loading machinery)."""
    result = session.connection().execute(statement, {"ids": list(ids)})
    keys = list(result.keys())
    return [SimpleNamespace(**dict(zip(keys, r, strict=True))) for r in result.all()]


_UNIT_COLS = [
    Unit.__table__.c[n]
    for n in ("id", "estate_id", "building_id", "entrance", "floor", "room", "status", "active")
]
_KEY_COLS = [
    Key.__table__.c[n]
    for n in (
        "id",
        "estate_id",
        "key_class",
        "kind",
        "unit_id",
        "building_id",
        "floor",
        "equipment_room",
        "name",
        "status",
        "holder_name",
        "holder_type",
        "active",
    )
]
_SIGN_COLS = [
    Sign.__table__.c[n]
    for n in (
        "id",
        "estate_id",
        "category",
        "location",
        "building_id",
        "floor",
        "description",
        "active",
    )
]
_UNITS = sa.select(*_UNIT_COLS).where(Unit.id.in_(_IDS))
_KEYS = sa.select(*_KEY_COLS).where(Key.id.in_(_IDS))
_SIGNS = sa.select(*_SIGN_COLS).where(Sign.id.in_(_IDS))


def _unit_rows(session, ids) -> dict[int, SimpleNamespace]:
    rows = _rows(session, _UNITS, ids)
    names = _building_names(session, [r.building_id for r in rows])
    for r in rows:
        r.building = SimpleNamespace(id=r.building_id, name=names.get(r.building_id, ""))
    return {r.id: r for r in rows}


def _load_units(session, ids):
    codes = _codes(session, "unit", ids)
    retired = _retired(session, "unit", ids)
    out = {}
    for u in _unit_rows(session, ids).values():
        if u.active:
            out[u.id] = _item(u, _label(Unit, u, session, u.id), codes, retired) | {
                "building_id": u.building_id,
                "entrance": u.entrance,
                "floor": u.floor,
                "room": u.room,
                "status": u.status,
            }
    return out


def _load_keys(session, ids):
    codes = _codes(session, "key", ids)
    retired = _retired(session, "key", ids)
    rows = _rows(session, _KEYS, ids)
    units = _unit_rows(session, list({r.unit_id for r in rows if r.unit_id is not None}))
    for u in units.values():
        u.label = _label(Unit, u, session, u.id)
    names = _building_names(session, [r.building_id for r in rows])
    out = {}
    for k in rows:
        if not k.active:
            continue
        k.unit = units.get(k.unit_id)
        k.building = SimpleNamespace(id=k.building_id, name=names.get(k.building_id, ""))
        holder = None if k.holder_name is None else {"name": k.holder_name, "type": k.holder_type}
        out[k.id] = _item(k, _label(Key, k, session, k.id), codes, retired) | {
            "key_class": k.key_class,
            "kind": k.kind,
            "unit_id": k.unit_id,
            "status": k.status,
            "holder": holder,
        }
    return out


def _load_signs(session, ids):
    codes = _codes(session, "sign", ids)
    retired = _retired(session, "sign", ids)
    rows = _rows(session, _SIGNS, ids)
    names = _building_names(session, [r.building_id for r in rows])
    out = {}
    for s in rows:
        if s.active:
            s.building = SimpleNamespace(id=s.building_id, name=names.get(s.building_id, ""))
            out[s.id] = _item(s, _label(Sign, s, session, s.id), codes, retired) | {
                "category": s.category,
                "location": s.location,
                "building_id": s.building_id,  # rounds: building and floor order
                "floor": s.floor,
            }
    return out


# Phone-made records (findings, checks) are known by the uuid the phone gave them.
STRING_IDS = frozenset({"finding", "check"})


def _photos(session, record_type: str, ids) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for record_id, sha in shown_links(session, record_type, list(ids)):
        out.setdefault(record_id, []).append(sha)
    return out


def _active_codes(session, items) -> dict[tuple[str, int], str]:
    """The active label code of each ``(item_type, item_id)``."""
    out = {}
    by_kind: dict[str, list[int]] = {}
    for kind, item_id in items:
        if kind and item_id is not None:
            by_kind.setdefault(kind, []).append(item_id)
    for kind, ids in by_kind.items():
        for item_id, (code, _short) in _codes(session, kind, ids).items():
            out[(kind, item_id)] = code
    return out


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _names(session, user_ids) -> dict[int, str]:
    """Who recorded: the display name (the username when there is none)."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(
        sa.select(User.id, User.display_name, User.username).where(User.id.in_(ids))
    )
    return {uid: name or username for uid, name, username in rows}


def _load_findings(session, ids):
    """Findings with their workflow status, department and due date (webapp/review)."""
    rows = list(session.scalars(sa.select(Finding).where(Finding.id.in_(list(ids)))))
    states = {
        s.finding_id: s
        for s in session.scalars(
            sa.select(FindingState).where(FindingState.finding_id.in_([r.id for r in rows]))
        )
    }
    photos = _photos(session, "finding", ids)
    codes = _active_codes(session, [(r.item_type, r.item_id) for r in rows])
    names = _names(session, [r.user_id for r in rows])
    out = {}
    for f in rows:
        state = states.get(f.id)
        out[f.id] = {
            "estate_id": f.estate_id,
            "op_id": f.op_id,
            "by": names.get(f.user_id, ""),
            "status": f.status,
            "department": state.department if state else None,
            "due_at": _iso(state.due_at) if state else None,
            "severity": f.severity,
            "category": f.category,
            "note": f.note,
            "code": codes.get((f.item_type, f.item_id)),
            "item_type": f.item_type,
            "item_id": f.item_id,
            "location": f.location,
            "occurred_at": _iso(f.occurred_at),
            "photos": photos.get(f.id, []),
        }
    return out


def _load_checks(session, ids):
    """Checks of the last ``feed.CHECK_RETENTION`` (by device time); older ones are left out."""
    since = utcnow() - feed.CHECK_RETENTION
    rows = list(
        session.scalars(sa.select(Check).where(Check.id.in_(list(ids)), Check.occurred_at >= since))
    )
    photos = _photos(session, "check", [r.id for r in rows]) if rows else {}
    names = _names(session, [r.user_id for r in rows])
    return {
        c.id: {
            "estate_id": c.estate_id,
            "op_id": c.op_id,
            "by": names.get(c.user_id, ""),
            "code": c.code,
            "item_type": c.item_type,
            "item_id": c.item_id,
            "result": c.result,
            "note": c.note,
            "method": c.method,
            "occurred_at": _iso(c.occurred_at),
            "round_id": c.round_id,
            "answers": c.answers or {},  # rounds: the next visit's checklist starts from these
            "photos": photos.get(c.id, []),
        }
        for c in rows
    }


LOADERS = {
    "estate": _load_estates,
    "building": _load_buildings,
    "unit": _load_units,
    "key": _load_keys,
    "sign": _load_signs,
    "round": load_rounds,
    "finding": _load_findings,
    "check": _load_checks,
}
