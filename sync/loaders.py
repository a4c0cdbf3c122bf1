"""What a pull sends of each changed object: one loader per change type, a page at a time.

A loader takes the session and the ids of one type and returns ``{id: data}`` for the ones
still there; an id it leaves out is sent as deleted (a check past the retention window: as
nothing at all).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync import feed
from sync.photos import shown_links
from sync.sql import among
from webapp.models import Building, Estate, Key, LabelCode, Sign, Unit, shown_names
from webapp.models.display import key_label, sign_label, unit_label
from webapp.models.review import FindingState
from webapp.models.sync import Check, Finding
from webapp.models.types import utcnow

# Built once, a page's ids bound at execution as one list ("ids": sync/sql.py): a thousand
# ids cost no more SQL to write and parse than ten.
_CODES = sa.select(LabelCode.item_id, LabelCode.code, LabelCode.short_code).where(
    LabelCode.item_type == sa.bindparam("kind"), LabelCode.active, among(LabelCode.item_id, "ids")
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
        among(LabelCode.item_id, "ids"),
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


def _item(row, label: str, codes, retired) -> dict:
    code, short = codes.get(row.id, (None, None))
    return {
        "estate_id": row.estate_id,
        "code": code,
        "short_code": short,
        "label": label,
        "retired_codes": retired.get(row.id, []),
    }


_BUILDING_NAMES = sa.select(Building.id, Building.name).where(among(Building.id, "ids"))


def _building_names(session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    conn = session.connection()
    return dict(conn.execute(_BUILDING_NAMES, {"ids": list(ids)}).all())


def _rows(session, statement, ids) -> list:
    """Plain rows through the session's connection (no ORM loading machinery)."""
    return session.connection().execute(statement, {"ids": list(ids)}).all()


_UNITS = sa.select(
    *[
        Unit.__table__.c[n]
        for n in ("id", "estate_id", "building_id", "entrance", "floor", "room", "status", "active")
    ]
).where(among(Unit.id, "ids"))
_KEYS = sa.select(
    *[
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
).where(among(Key.id, "ids"))
_SIGNS = sa.select(
    *[
        Sign.__table__.c[n]
        for n in ("id", "estate_id", "category", "location", "building_id", "floor", "active")
    ]
).where(among(Sign.id, "ids"))


def _unit_labels(session, rows) -> dict[int, str]:
    names = _building_names(session, [r.building_id for r in rows])
    return {
        r.id: unit_label(names.get(r.building_id, ""), r.entrance, r.floor, r.room) for r in rows
    }


def _load_units(session, ids):
    codes = _codes(session, "unit", ids)
    retired = _retired(session, "unit", ids)
    rows = _rows(session, _UNITS, ids)
    labels = _unit_labels(session, rows)
    out = {}
    for u in rows:
        if u.active:
            out[u.id] = _item(u, labels[u.id], codes, retired) | {
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
    units = _unit_labels(
        session, _rows(session, _UNITS, list({r.unit_id for r in rows if r.unit_id is not None}))
    )
    names = _building_names(session, [r.building_id for r in rows])
    out = {}
    for k in rows:
        if not k.active:
            continue
        label = key_label(
            k.key_class,
            unit=units.get(k.unit_id, ""),
            kind=k.kind,
            building=names.get(k.building_id, ""),
            floor=k.floor,
            name=k.name,
            equipment_room=k.equipment_room,
        )
        holder = None if k.holder_name is None else {"name": k.holder_name, "type": k.holder_type}
        out[k.id] = _item(k, label, codes, retired) | {
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
    out = {}
    for s in _rows(session, _SIGNS, ids):
        if s.active:
            out[s.id] = _item(s, sign_label(s.category, s.location), codes, retired) | {
                "category": s.category,
                "location": s.location,
                "building_id": s.building_id,  # rounds: building and floor order
                "floor": s.floor,
            }
    return out


# Phone-made records (findings, checks) are known by the uuid the phone gave them.
STRING_IDS = frozenset({"finding", "check", "notice", "acceptance"})


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


_FINDING_COLUMNS = (
    "id",
    "estate_id",
    "op_id",
    "user_id",
    "status",
    "severity",
    "category",
    "note",
    "item_type",
    "item_id",
    "location",
    "occurred_at",
    "check_id",
)
# Plain rows (no ORM instances: a page is up to a thousand), each finding with its workflow
# state joined (department and due date, webapp/review; none until the desk sets them).
_FINDINGS = (
    sa.select(
        *[Finding.__table__.c[n] for n in _FINDING_COLUMNS],
        FindingState.department,
        FindingState.due_at,
    )
    .outerjoin(FindingState, FindingState.finding_id == Finding.id)
    .where(among(Finding.id, "ids"))
)


def _load_findings(session, ids):
    """Findings with their workflow status, department and due date (webapp/review)."""
    rows = _rows(session, _FINDINGS, ids)
    photos = _photos(session, "finding", ids)
    codes = _active_codes(session, [(r.item_type, r.item_id) for r in rows])
    names = shown_names(session, [r.user_id for r in rows])
    out = {}
    for f in rows:
        out[f.id] = {
            "estate_id": f.estate_id,
            "op_id": f.op_id,
            "by": names.get(f.user_id, ""),
            "status": f.status,
            "department": f.department,
            "due_at": _iso(f.due_at),
            "severity": f.severity,
            "category": f.category,
            "note": f.note,
            "code": codes.get((f.item_type, f.item_id)),
            "item_type": f.item_type,
            "item_id": f.item_id,
            "location": f.location,
            "occurred_at": _iso(f.occurred_at),
            "photos": photos.get(f.id, []),
            "check_id": f.check_id,  # the check that raised it (the phone links the two)
        }
    return out


_CHECK_COLUMNS = (
    "id",
    "estate_id",
    "op_id",
    "user_id",
    "code",
    "item_type",
    "item_id",
    "result",
    "note",
    "method",
    "manual_reason",
    "occurred_at",
    "round_id",
    "answers",
)
_CHECKS = sa.select(*[Check.__table__.c[n] for n in _CHECK_COLUMNS]).where(
    among(Check.id, "ids"), Check.occurred_at >= sa.bindparam("since")
)


def _load_checks(session, ids):
    """Checks of the last ``feed.CHECK_RETENTION`` (by device time); older ones are left out."""
    since = utcnow() - feed.CHECK_RETENTION
    rows = session.connection().execute(_CHECKS, {"ids": list(ids), "since": since}).all()
    photos = _photos(session, "check", [r.id for r in rows]) if rows else {}
    names = shown_names(session, [r.user_id for r in rows])
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
            "manual_reason": c.manual_reason,
            "occurred_at": _iso(c.occurred_at),
            "round_id": c.round_id,
            "answers": c.answers or {},  # rounds: the next visit's checklist starts from these
            "photos": photos.get(c.id, []),
        }
        for c in rows
    }


# What a pull sends for each change type, by type. An area that owns a type registers its
# loader at app start (the rounds: ``round``, from webapp/rounds init_app), so sync imports
# no area.
LOADERS = {
    "estate": _load_estates,
    "building": _load_buildings,
    "unit": _load_units,
    "key": _load_keys,
    "sign": _load_signs,
    "finding": _load_findings,
    "check": _load_checks,
}


def register_loader(kind: str, loader) -> None:
    """Let pull send the objects of change type ``kind``: ``loader(session, ids)`` returns
    ``{id: data}`` for the ids still there (any other id is sent as deleted)."""
    LOADERS[kind] = loader
