"""Changes to registry items, each written through the ORM session with its audit event.

The sync engine follows registry changes through session events, so nothing here bypasses
the session; callers commit.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from webapp.labels.codes import ensure_codes
from webapp.models import Building, Key, Sign, Unit
from webapp.models.audit import record

FIELDS = {
    "building": ("name", "floors", "sort_key"),
    "unit": ("building_id", "entrance", "floor", "room", "status"),
    "sign": ("category", "location", "building_id", "floor", "description"),
    "key": (
        "key_class",
        "kind",
        "unit_id",
        "building_id",
        "floor",
        "equipment_room",
        "name",
        "copies",
    ),
}
MODELS = {"building": Building, "unit": Unit, "sign": Sign, "key": Key}


def snapshot(kind: str, obj) -> dict:
    """The audited fields of an item, as plain values."""
    return {name: getattr(obj, name) for name in FIELDS[kind]}


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in before if before[k] != after[k]]
    return {k: before[k] for k in keys}, {k: after[k] for k in keys}


def _apply_form(kind: str, obj, form) -> None:
    if kind == "building":
        obj.name = form.name.data
        obj.floors = form.floors.data
        obj.sort_key = form.sort_key.data or 0
    elif kind == "unit":
        obj.building_id = form.building_id.data
        obj.entrance = form.entrance.data
        obj.floor = form.floor.data
        obj.room = form.room.data
        obj.status = form.status.data
    elif kind == "sign":
        obj.category = form.category.data
        obj.location = form.location.data
        obj.building_id = form.building_id.data or None
        obj.floor = form.floor.data
        obj.description = form.description.data
    else:
        form.apply(obj)


def create(session: Session, kind: str, estate_id: int, form, actor):
    """Add a new item from a validated form, mint its QR code, and audit it."""
    obj = MODELS[kind](estate_id=estate_id)
    if kind == "key":
        obj.status = "in"
    _apply_form(kind, obj, form)
    session.add(obj)
    session.flush()
    if kind in ("unit", "sign", "key"):
        ensure_codes(session, kind, [obj])
    record(session, f"{kind}.create", obj, actor=actor, after=snapshot(kind, obj))
    _stretch_building(session, kind, obj)
    return obj


def update(session: Session, kind: str, obj, form, actor) -> bool:
    """Save a validated form onto an item; audit what changed (a unit's status on its own)."""
    before = snapshot(kind, obj)
    _apply_form(kind, obj, form)
    after = snapshot(kind, obj)
    old, new = _diff(before, after)
    if not new:
        return False
    status = None
    if kind == "unit" and "status" in new:
        status = (old.pop("status"), new.pop("status"))
    if new:
        record(session, f"{kind}.update", obj, actor=actor, before=old, after=new)
    if status:
        record(
            session,
            "unit.status",
            obj,
            actor=actor,
            before={"status": status[0]},
            after={"status": status[1]},
        )
    session.flush()
    _stretch_building(session, kind, obj)
    return True


RENOVATING = "renovating"
# A unit is under renovation exactly while a renovation permit of it is active: the renovation
# register (webapp/renovation, which the registry does not import) says at app start how a
# unit leaves it — ``leave(session, unit, status, actor)`` closes its active permits.
LEAVE_RENOVATION: dict[str, Callable] = {}


def set_status(session: Session, unit: Unit, status: str, actor) -> bool:
    """Change a unit's status (occupied, vacant) with who and when. A unit under renovation
    leaves it by its permits closing, for the status chosen."""
    if unit.status == status:
        return False
    if status == RENOVATING:
        raise ValueError("a unit is under renovation only by an active permit")
    if unit.status == RENOVATING:
        LEAVE_RENOVATION["leave"](session, unit, status, actor)
        return True
    record(
        session,
        "unit.status",
        unit,
        actor=actor,
        before={"status": unit.status},
        after={"status": status},
    )
    unit.status = status
    return True


def deactivation_blocker(session: Session, kind: str, obj) -> str | None:
    """Why an item may not be deactivated now, if it may not: a building with active units,
    or a key that is out of the cabinet (the key register must be able to close its loan)."""
    if kind == "building":
        active_units = session.scalar(
            sa.select(sa.func.count())
            .select_from(Unit)
            .where(Unit.building_id == obj.id, Unit.active)
        )
        if active_units:
            return _("Deactivate its %(n)d active units first.", n=active_units)
    if kind == "key" and obj.status in ("out", "disputed"):
        return _("This key is out of the cabinet; it can be deactivated once it is back.")
    return None


def set_active(session: Session, kind: str, obj, active: bool, actor) -> bool:
    """Deactivate or reactivate an item; nothing with history is ever deleted."""
    if obj.active == active:
        return False
    obj.active = active
    record(
        session,
        f"{kind}.{'reactivate' if active else 'deactivate'}",
        obj,
        actor=actor,
        before={"active": not active},
        after={"active": active},
    )
    return True


def _stretch_building(session: Session, kind: str, obj) -> None:
    # A unit above the building's known top floor means the building is taller than recorded.
    if kind == "unit":
        building = session.get(Building, obj.building_id)
        if building is not None and obj.floor > building.floors:
            building.floors = obj.floor
