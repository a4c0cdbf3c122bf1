"""Bulk import of units, signs and keys from CSV or XLSX: read, check every row, plan, apply.

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

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp import exports, vocab
from webapp.labels.codes import ensure_codes
from webapp.models import Building, Estate, Key, Sign, Unit
from webapp.models.audit import record
from webapp.registry import naming
from webapp.scoping import scoped
from webapp.values import unstorable_text

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 40
MAX_ERRORS_SHOWN = 300
KINDS = ("units", "signs", "keys")


@dataclass(frozen=True)
class Column:
    """One column of an import file: its template header, other accepted headers, whether it
    must be there, and a note for the instructions sheet."""

    key: str
    header: str
    aliases: tuple[str, ...]
    required: bool
    note: str


COLUMNS: dict[str, list[Column]] = {
    "units": [
        Column("building", "棟", ("building", "樓棟"), True, "例如 3 或 3棟；不存在的棟會新增"),
        Column("entrance", "單元", ("entrance",), True, "例如 2 或 2單元"),
        Column("floor", "樓層", ("floor",), True, "整數，例如 15；地下一層寫 -1 或 B1"),
        Column("room", "房號", ("room", "房"), True, "例如 1502 或 1502室"),
        Column("status", "狀態", ("status",), False, "已入住、空置、裝修中；留空：新房屋為已入住"),
    ],
    "signs": [
        Column("category", "類別", ("category",), True, "樓棟號、樓層、門牌號、進出入口、電梯…"),
        Column("location", "位置", ("location",), True, "標識所在位置，例如 3棟正門外牆"),
        Column("building", "棟", ("building",), False, "選填；須為已登記的棟"),
        Column("floor", "樓層", ("floor",), False, "選填；整數"),
        Column("description", "說明", ("description", "notes", "備註"), False, "選填"),
    ],
    "keys": [
        Column(
            "key_class",
            "類別",
            ("class", "key class"),
            True,
            "業主鑰匙、公共區域門窗鑰匙、設施設備房鑰匙",
        ),
        Column("building", "棟", ("building",), False, "業主鑰匙、公共區域鑰匙必填"),
        Column("entrance", "單元", ("entrance",), False, "業主鑰匙必填"),
        Column("room", "房號", ("room",), False, "業主鑰匙必填"),
        Column("floor", "樓層", ("floor",), False, "公共區域鑰匙必填"),
        Column(
            "kind",
            "種類",
            ("kind",),
            False,
            "業主鑰匙必填：防盜鐵門、單元門、室內門、電子對講門、信報箱",
        ),
        Column(
            "equipment_room",
            "設備房",
            ("equipment room",),
            False,
            "設施設備房鑰匙必填，例如 配電房",
        ),
        Column("name", "名稱", ("name",), False, "選填，例如 天台門"),
        Column("copies", "份數", ("copies",), False, "選填，1 至 99，預設 1"),
    ],
}


class ImportRejected(Exception):
    """The file as a whole cannot be read (wrong type, empty, wrong headers, too large)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Sheet:
    """The rows of an upload, keyed by column, with their spreadsheet row numbers."""

    headers: dict[str, str]  # column key -> the header as written in the file
    rows: list[tuple[int, dict[str, str]]]
    ignored: list[str] = field(default_factory=list)


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


# Reading -----------------------------------------------------------------------------------


def file_type(filename: str) -> str | None:
    """'xlsx' or 'csv' from the file name, else None."""
    lowered = (filename or "").lower().strip()
    if lowered.endswith(".xlsx"):
        return "xlsx"
    if lowered.endswith(".csv"):
        return "csv"
    return None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = naming.clean(value)
    if unstorable_text(text):  # the edge guards forms; a file's cells are checked here
        raise ImportRejected(
            _l("A cell holds a NUL character, which no text may hold. Save the file again.")
        )
    # Exports guard cells against formula injection with a leading apostrophe.
    return exports.restore(text)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    if not data.startswith(b"PK"):
        raise ImportRejected(_l("This file is not an Excel workbook (.xlsx)."))
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportRejected(_l("This Excel file could not be read. Is it damaged?")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            rows.append([_cell(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                raise ImportRejected(
                    _l(
                        "The file has more than %(n)d rows. Split it into smaller files.",
                        n=MAX_ROWS,
                    )
                )
        return rows
    except ImportRejected:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise ImportRejected(_l("This Excel file could not be read. Is it damaged?")) from exc
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> list[list[str]]:
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        raise ImportRejected(_l("This file is not a CSV text file."))
    for encoding in ("utf-8-sig", "cp950"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRejected(_l("The CSV file must be saved as UTF-8 (or Big5)."))
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        rows = []
        for values in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            rows.append([_cell(v) for v in values[:MAX_COLUMNS]])
            if len(rows) > MAX_ROWS + 1:
                raise ImportRejected(
                    _l(
                        "The file has more than %(n)d rows. Split it into smaller files.",
                        n=MAX_ROWS,
                    )
                )
        return rows
    except csv.Error as exc:
        raise ImportRejected(_l("This CSV file is malformed (%(why)s).", why=str(exc))) from exc


def _header_key(text: str) -> str:
    return re.sub(r"[*＊\s]|（.*）|\(.*\)", "", text).lower()


def read_upload(kind: str, filename: str, data: bytes) -> Sheet:
    """Read an uploaded file into a Sheet, or raise ImportRejected saying what is wrong."""
    ftype = file_type(filename)
    if ftype is None:
        raise ImportRejected(_l("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    if not data:
        raise ImportRejected(_l("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImportRejected(
            _l(
                "The file is larger than %(mb)d MB. Split it into smaller files.",
                mb=MAX_BYTES >> 20,
            )
        )
    rows = _xlsx_rows(data) if ftype == "xlsx" else _csv_rows(data)
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        raise ImportRejected(_l("The file is empty."))

    known = {}
    for column in COLUMNS[kind]:
        for name in (column.header, *column.aliases):
            known[_header_key(name)] = column
    headers: dict[str, str] = {}
    positions: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(rows[0]):
        if not header:
            continue
        column = known.get(_header_key(header))
        if column is None:
            ignored.append(header)
            continue
        if column.key in headers:
            raise ImportRejected(
                _l("The column %(name)s appears twice in the header row.", name=header)
            )
        headers[column.key] = header
        positions[column.key] = index
    missing = [c.header for c in COLUMNS[kind] if c.required and c.key not in headers]
    if missing:
        raise ImportRejected(
            _l(
                "The header row must name the columns %(missing)s. Download the template to see "
                "the expected headers.",
                missing="、".join(missing),
            )
        )
    body = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(values):
            continue
        body.append(
            (
                number,
                {key: (values[i] if i < len(values) else "") for key, i in positions.items()},
            )
        )
    if not body:
        raise ImportRejected(_l("The file has a header row but no rows to import."))
    return Sheet(headers=headers, rows=body, ignored=ignored)


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

    def text(self, values: dict, key: str, max_len: int, required: bool = False) -> str:
        value = naming.clean(values.get(key, ""))
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


def _buildings(session: Session, estate: Estate) -> dict[str, Building]:
    return {
        b.name: b for b in session.scalars(scoped(Building).where(Building.estate_id == estate.id))
    }


def _unit_index(session: Session, estate: Estate) -> dict[tuple[str, str, str], Unit]:
    units = session.scalars(
        scoped(Unit).where(Unit.estate_id == estate.id).options(sa.orm.joinedload(Unit.building))
    )
    return {(u.building.name, u.entrance, u.room): u for u in units}


def _unit_label(building: str, entrance: str, floor, room: str) -> str:
    return f"{building}-{entrance}單元-{floor}樓-{room}室"


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
        building = naming.building_name(check.text(values, "building", 40, required=True))
        entrance = naming.entrance(check.text(values, "entrance", 20, required=True))
        floor = check.floor(values, required=True)
        room = naming.room(check.text(values, "room", 20, required=True))
        status = check.choice(values, "status", "unit_status")
        if building in buildings and not buildings[building].active:
            check.error("building", _l("Building %(name)s is deactivated.", name=building))
        if check.failed or check.duplicate(seen, (building, entrance, room), "room"):
            continue
        label = _unit_label(building, entrance, floor, room)
        values = {
            "building": building,
            "entrance": entrance,
            "floor": floor,
            "room": room,
            "status": status,
        }
        unit = existing.get((building, entrance, room))
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
        building_name = naming.building_name(check.text(values, "building", 40))
        building = buildings.get(building_name) if building_name else None
        if building_name and (building is None or not building.active):
            check.error("building", _l("No building named %(name)s.", name=building_name))
        floor = check.floor(values)
        description = check.text(values, "description", 200)
        if check.failed or check.duplicate(seen, (category, location), "location"):
            continue
        label = f"{vocab.zh('sign_category', category)}·{location}"
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
            building = naming.building_name(check.text(values, "building", 40, required=True))
            entrance = naming.entrance(check.text(values, "entrance", 20, required=True))
            room = naming.room(check.text(values, "room", 20, required=True))
            kind = check.choice(values, "kind", "owner_key_kind", required=True)
            unit = units.get((building, entrance, room))
            if not check.failed and (unit is None or not unit.active):
                wanted = f"{building}-{entrance}單元-{room}室"
                check.error("room", _l("No unit %(label)s in the registry.", label=wanted))
            if not check.failed:
                natural = ("owner", unit.id, kind)
                label = f"{unit.label} {vocab.zh('owner_key_kind', kind)}"
                new_values.update(kind=kind, unit_id=unit.id)
        elif key_class == "public_area":
            building_name = naming.building_name(check.text(values, "building", 40, required=True))
            floor = check.floor(values, required=True)
            building = buildings.get(building_name)
            if building_name and (building is None or not building.active):
                check.error("building", _l("No building named %(name)s.", name=building_name))
            if not check.failed:
                natural = ("public_area", building.id, floor, name)
                label = f"{building.name}-{floor}樓 {name}".rstrip()
                new_values.update(building_id=building.id, floor=floor)
        elif key_class == "equipment_room":
            room_name = check.text(values, "equipment_room", 120, required=True)
            if not check.failed:
                natural = ("equipment_room", room_name, name)
                label = f"{room_name} {name}".rstrip()
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
