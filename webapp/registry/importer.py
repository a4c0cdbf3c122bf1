"""Bulk import of units, signs and keys from CSV or XLSX: read (``import_file``), check every
row, plan, apply.

Nothing is written until every row of the file is valid; then the whole file goes in one
transaction. Rows are matched on natural keys, so importing the same file again changes nothing:

- unit: building + entrance + room (棟 + 單元 + 房號);
- sign: category + location (類別 + 位置);
- key: owner key: its unit (棟 + 單元 + 房號) + kind (種類); public-area key: building + floor +
  name (棟 + 樓層 + 名稱); equipment-room key: equipment room + name (設備房 + 名稱).

Columns the registry does not know (an export's 標籤, 短碼, 啟用, 狀態 of keys...) are ignored,
so an export can be edited in Excel and imported back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp import vocab
from webapp.labels.codes import ensure_codes
from webapp.models import Building, Estate, Key, Sign, Unit
from webapp.models.audit import record
from webapp.models.display import key_label, sign_label, unit_label
from webapp.registry import naming
from webapp.registry.import_file import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    ImportRejected,
    Sheet,
    read_upload,
)
from webapp.scoping import scoped

# What the views read from here (the reading itself lives in import_file).
__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "PLANNERS",
    "ImportRejected",
    "Plan",
    "PlannedRow",
    "RowError",
    "Sheet",
    "apply",
    "plan_file",
    "read_upload",
]


@dataclass
class RowError:
    """One problem: the spreadsheet row, the column as headed in the file, and why."""

    row: int
    column: str
    message: str


@dataclass
class PlannedRow:
    """What importing one row will do: add, update (with the changes) or nothing."""

    row: int
    action: str  # "new", "update", "same"
    label: str
    changes: dict[str, tuple] = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    target: object | None = None


@dataclass
class Plan:
    """The whole file checked against the registry: every row's action, or every error."""

    kind: str
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    new_buildings: list[str] = field(default_factory=list)
    building_floors: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


# Checking ----------------------------------------------------------------------------------


class _Checker:
    """Collects a row's errors against the file's own column headers."""

    def __init__(self, plan: Plan, sheet: Sheet, kind: str):
        self.plan = plan
        self.sheet = sheet
        self.template = {c.key: c.header for c in COLUMNS[kind]}
        self.row = 0
        self.failed = False

    def start(self, row: int) -> None:
        self.row, self.failed = row, False

    def error(self, key: str, message) -> None:
        column = self.sheet.headers.get(key) or self.template[key]
        self.plan.errors.append(RowError(self.row, column, str(message)))
        self.failed = True

    def text(
        self, values: dict, key: str, max_len: int, required: bool = False, shape=naming.clean
    ) -> str:
        """A cell as it will be kept (``shape``: folded, a building's "3" made "3棟"), its
        length judged on that."""
        value = shape(values.get(key, ""))
        if required and not value:
            self.error(key, _l("Required; this cell is empty."))
        elif len(value) > max_len:
            self.error(key, _l("Too long: at most %(n)d characters.", n=max_len))
        return value

    def floor(self, values: dict, key: str = "floor", required: bool = False) -> int | None:
        raw = values.get(key, "")
        if not raw:
            if required:
                self.error(key, _l("Required; this cell is empty."))
            return None
        value = naming.floor(raw)
        if value is None or not -9 <= value <= 200:
            self.error(key, _l("“%(value)s” is not a floor number.", value=raw))
            return None
        return value

    def choice(self, values: dict, key: str, vocabulary: str, required: bool = False):
        raw = values.get(key, "")
        if not raw:
            if required:
                self.error(key, _l("Required; this cell is empty."))
            return None
        value = naming.vocab_value(vocabulary, raw)
        if value is None:
            names = "、".join(zh for zh, _en in vocab.VOCABULARIES[vocabulary].values())
            self.error(key, _l("“%(value)s” is not one of: %(names)s.", value=raw, names=names))
        return value

    def duplicate(self, seen: dict, natural_key, key: str) -> bool:
        if natural_key in seen:
            self.error(key, _l("Same item as row %(row)d.", row=seen[natural_key]))
            return True
        seen[natural_key] = self.row
        return False


# 裝修中 comes from the renovation permits (webapp/renovation/status.py), never from a file.
_RENOVATING_BY_PERMIT = _l(
    "Under renovation follows the unit's renovation permits: import the permits, or close one."
)


def _buildings(session: Session, estate: Estate) -> dict[str, Building]:
    return {
        b.name: b for b in session.scalars(scoped(Building).where(Building.estate_id == estate.id))
    }


def _unit_index(session: Session, estate: Estate) -> dict[tuple[str, str, str], Unit]:
    units = session.scalars(
        scoped(Unit).where(Unit.estate_id == estate.id).options(sa.orm.joinedload(Unit.building))
    )
    return {(u.building.name, u.entrance, u.room): u for u in units}


def plan_units(session: Session, estate: Estate, sheet: Sheet) -> Plan:
    """Check a units file against the estate: every error, or what each row will do."""
    plan = Plan(kind="units", ignored=sheet.ignored)
    check = _Checker(plan, sheet, "units")
    buildings = _buildings(session, estate)
    existing = _unit_index(session, estate)
    seen: dict = {}
    new_buildings: dict[str, int] = {}
    for number, values in sheet.rows:
        check.start(number)
        building = check.text(values, "building", 40, required=True, shape=naming.building_name)
        entrance = check.text(values, "entrance", 20, required=True, shape=naming.entrance)
        floor = check.floor(values, required=True)
        room = check.text(values, "room", 20, required=True, shape=naming.room)
        status = check.choice(values, "status", "unit_status")
        if building in buildings and not buildings[building].active:
            check.error("building", _l("Building %(name)s is deactivated.", name=building))
        if check.failed or check.duplicate(seen, (building, entrance, room), "room"):
            continue
        label = unit_label(building, entrance, floor, room)
        values = {
            "building": building,
            "entrance": entrance,
            "floor": floor,
            "room": room,
            "status": status,
        }
        unit = existing.get((building, entrance, room))
        renovating = unit is not None and unit.status == "renovating"
        if status and (status == "renovating") != renovating:
            check.error("status", _RENOVATING_BY_PERMIT)
            continue
        if unit is None:
            if building not in buildings:
                new_buildings[building] = max(new_buildings.get(building, 1), floor)
            plan.rows.append(PlannedRow(number, "new", label, values=values))
            continue
        if not unit.active:
            check.error("room", _l("This unit is deactivated; reactivate it in the registry."))
            continue
        changes = {}
        if unit.floor != floor:
            changes["floor"] = (unit.floor, floor)
        if status and unit.status != status:
            changes["status"] = (unit.status, status)
        action = "update" if changes else "same"
        plan.rows.append(PlannedRow(number, action, label, changes, values, unit))
    plan.new_buildings = sorted(new_buildings)
    plan.building_floors = new_buildings
    return plan


def plan_signs(session: Session, estate: Estate, sheet: Sheet) -> Plan:
    """Check a signs file against the estate."""
    plan = Plan(kind="signs", ignored=sheet.ignored)
    check = _Checker(plan, sheet, "signs")
    buildings = _buildings(session, estate)
    existing = {
        (s.category, s.location): s
        for s in session.scalars(scoped(Sign).where(Sign.estate_id == estate.id))
    }
    seen: dict = {}
    for number, values in sheet.rows:
        check.start(number)
        category = check.choice(values, "category", "sign_category", required=True)
        location = check.text(values, "location", 200, required=True)
        building_name = check.text(values, "building", 40, shape=naming.building_name)
        building = buildings.get(building_name) if building_name else None
        if building_name and (building is None or not building.active):
            check.error("building", _l("No building named %(name)s.", name=building_name))
        floor = check.floor(values)
        description = check.text(values, "description", 200)
        if check.failed or check.duplicate(seen, (category, location), "location"):
            continue
        label = sign_label(category, location)
        wanted = {
            "building_id": building.id if building else None,
            "floor": floor,
            "description": description,
        }
        columns = {"building_id": "building", "floor": "floor", "description": "description"}
        sign = existing.get((category, location))
        values = {"category": category, "location": location, **wanted}
        if sign is None:
            plan.rows.append(PlannedRow(number, "new", label, values=values))
            continue
        if not sign.active:
            check.error("location", _l("This sign is deactivated; reactivate it in the registry."))
            continue
        changes = {
            attr: (getattr(sign, attr), value)
            for attr, value in wanted.items()
            if columns[attr] in sheet.headers and getattr(sign, attr) != value
        }
        plan.rows.append(
            PlannedRow(number, "update" if changes else "same", label, changes, values, sign)
        )
    return plan


def _key_natural(key: Key) -> tuple:
    if key.key_class == "owner":
        return ("owner", key.unit_id, key.kind)
    if key.key_class == "public_area":
        return ("public_area", key.building_id, key.floor, key.name or "")
    return ("equipment_room", key.equipment_room, key.name or "")


def plan_keys(session: Session, estate: Estate, sheet: Sheet) -> Plan:
    """Check a keys file against the estate."""
    plan = Plan(kind="keys", ignored=sheet.ignored)
    check = _Checker(plan, sheet, "keys")
    buildings = _buildings(session, estate)
    units = _unit_index(session, estate)
    existing = {
        _key_natural(k): k for k in session.scalars(scoped(Key).where(Key.estate_id == estate.id))
    }
    seen: dict = {}
    for number, values in sheet.rows:
        check.start(number)
        key_class = check.choice(values, "key_class", "key_class", required=True)
        name = check.text(values, "name", 120)
        copies = None
        if values.get("copies"):
            raw = values["copies"]
            copies = int(raw) if re.fullmatch(r"\d{1,2}", raw) and int(raw) >= 1 else None
            if copies is None:
                check.error("copies", _l("“%(value)s” is not a number from 1 to 99.", value=raw))
        new_values: dict = {"key_class": key_class, "name": name}
        natural = label = None
        if key_class == "owner":
            building = check.text(values, "building", 40, required=True, shape=naming.building_name)
            entrance = check.text(values, "entrance", 20, required=True, shape=naming.entrance)
            room = check.text(values, "room", 20, required=True, shape=naming.room)
            kind = check.choice(values, "kind", "owner_key_kind", required=True)
            unit = units.get((building, entrance, room))
            if not check.failed and (unit is None or not unit.active):
                wanted = f"{building}-{entrance}單元-{room}室"
                check.error("room", _l("No unit %(label)s in the registry.", label=wanted))
            if not check.failed:
                natural = ("owner", unit.id, kind)
                label = key_label("owner", unit=unit.label, kind=kind)
                new_values.update(kind=kind, unit_id=unit.id)
        elif key_class == "public_area":
            building_name = check.text(
                values, "building", 40, required=True, shape=naming.building_name
            )
            floor = check.floor(values, required=True)
            building = buildings.get(building_name)
            if building_name and (building is None or not building.active):
                check.error("building", _l("No building named %(name)s.", name=building_name))
            if not check.failed:
                natural = ("public_area", building.id, floor, name)
                label = key_label("public_area", building=building.name, floor=floor, name=name)
                new_values.update(building_id=building.id, floor=floor)
        elif key_class == "equipment_room":
            room_name = check.text(values, "equipment_room", 120, required=True)
            if not check.failed:
                natural = ("equipment_room", room_name, name)
                label = key_label("equipment_room", equipment_room=room_name, name=name)
                new_values.update(equipment_room=room_name)
        if check.failed or check.duplicate(seen, natural, "key_class"):
            continue
        key = existing.get(natural)
        if key is None:
            new_values["copies"] = copies or 1
            plan.rows.append(PlannedRow(number, "new", label, values=new_values))
            continue
        if not key.active:
            check.error("key_class", _l("This key is deactivated; reactivate it in the registry."))
            continue
        changes = {}
        if copies is not None and key.copies != copies:
            changes["copies"] = (key.copies, copies)
        new_values["copies"] = copies or key.copies
        plan.rows.append(
            PlannedRow(number, "update" if changes else "same", label, changes, new_values, key)
        )
    return plan


PLANNERS = {"units": plan_units, "signs": plan_signs, "keys": plan_keys}


def plan_file(session: Session, estate: Estate, kind: str, filename: str, data: bytes) -> Plan:
    """Read and check a whole file (raises ImportRejected when the file itself is unusable)."""
    sheet = read_upload(kind, filename, data)
    return PLANNERS[kind](session, estate, sheet)


# Applying ----------------------------------------------------------------------------------


def _sort_key_for(name: str, taken: int) -> int:
    match = re.match(r"(\d+)", name)
    return int(match.group(1)) if match else taken


def apply(session: Session, estate: Estate, plan: Plan, actor, filename: str) -> dict[str, int]:
    """Write a valid plan through the ORM session (the caller commits once, or rolls back)."""
    if not plan.ok:
        raise ValueError("a plan with errors cannot be applied")
    created: list = []
    item_type = plan.kind[:-1]
    if plan.kind == "units":
        buildings = _buildings(session, estate)
        floors = plan.building_floors
        next_sort = max((b.sort_key for b in buildings.values()), default=0) + 1
        for name in plan.new_buildings:
            building = Building(
                estate_id=estate.id,
                name=name,
                floors=max(1, floors.get(name, 1)),
                sort_key=_sort_key_for(name, next_sort),
            )
            next_sort += 1
            session.add(building)
            buildings[name] = building
        session.flush()
        for row in plan.rows:
            v = row.values
            building = buildings[v["building"]]
            if v["floor"] > building.floors:
                building.floors = v["floor"]
            if row.action == "new":
                unit = Unit(
                    estate_id=estate.id,
                    building=building,
                    entrance=v["entrance"],
                    floor=v["floor"],
                    room=v["room"],
                    status=v["status"] or "occupied",
                )
                session.add(unit)
                created.append(unit)
            elif row.action == "update":
                unit = row.target
                for attr, (_old, new) in row.changes.items():
                    setattr(unit, attr, new)
                if "status" in row.changes:
                    old, new = row.changes["status"]
                    record(
                        session,
                        "unit.status",
                        unit,
                        actor=actor,
                        before={"status": old},
                        after={"status": new},
                    )
    else:
        model = Sign if plan.kind == "signs" else Key
        for row in plan.rows:
            if row.action == "new":
                item = model(estate_id=estate.id, **row.values)
                session.add(item)
                created.append(item)
            elif row.action == "update":
                for attr, (_old, new) in row.changes.items():
                    setattr(row.target, attr, new)
    session.flush()
    ensure_codes(session, item_type, created)
    counts = {
        "created": len(created),
        "updated": plan.count("update"),
        "unchanged": plan.count("same"),
        "buildings": len(plan.new_buildings),
    }
    record(
        session,
        "registry.import",
        estate,
        actor=actor,
        estate_id=estate.id,
        after={"kind": plan.kind, "file": filename[:200], **counts},
    )
    return counts
