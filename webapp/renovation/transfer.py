"""Permits to and from spreadsheets, by the registry's import rules (webapp/registry/importer.py:
every row checked, nothing written while any row is wrong, the same file twice changes nothing).

A row is matched on its 許可證號 within the estate. Its unit is named by 棟 + 單元 + 房號. The
deposit's 已收押金 and 已退押金 are totals of the permit's ledger: a larger total adds a line
for the difference, a smaller one is an error (a ledger never loses a line).
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp import vocab
from webapp.models import Building, Estate, Unit
from webapp.models.audit import record
from webapp.models.display import unit_label
from webapp.models.renovation import RenovationPermit
from webapp.registry import naming
from webapp.registry.import_file import read_upload
from webapp.registry.importer import Plan, PlannedRow, _Checker
from webapp.renovation import permits, status
from webapp.scoping import scoped

KIND = "permits"
TEXTS = {
    "owner_name": 120,
    "owner_phone": 40,
    "contractor": 120,
    "contractor_phone": 40,
    "scope": 2000,
    "note": 500,
}
_DAY = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?$")


def parse_day(text: str) -> date | None:
    """A day written 2026-03-01, 2026/3/1 or as Excel's date cell reads (…00:00:00)."""
    match = _DAY.match(naming.clean(text))
    if not match:
        return None
    try:
        day = date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2999 else None


def _amount(check: _Checker, values: dict, key: str) -> int | None:
    raw = naming.clean(values.get(key, "")).replace(",", "")
    if not raw:
        return None
    if raw.endswith(".0"):
        raw = raw[:-2]
    if not re.fullmatch(r"\d{1,8}", raw) or int(raw) > permits.MAX_DEPOSIT:
        check.error(key, _l("“%(value)s” is not a whole amount.", value=values[key]))
        return None
    return int(raw)


def _day(check: _Checker, values: dict, key: str) -> date | None:
    raw = values.get(key, "")
    if not raw:
        check.error(key, _l("Required; this cell is empty."))
        return None
    day = parse_day(raw)
    if day is None:
        check.error(key, _l("“%(value)s” is not a date such as 2026-03-01.", value=raw))
    return day


def _units(session: Session, estate: Estate) -> dict[tuple[str, str, str], Unit]:
    rows = session.execute(
        sa.select(Unit, Building.name)
        .join(Building, Building.id == Unit.building_id)
        .where(Unit.estate_id == estate.id)
    )
    return {(name, u.entrance, u.room): u for u, name in rows}


def plan_permits(session: Session, estate: Estate, sheet) -> Plan:
    """Check a permits file against the estate: every error, or what each row will do."""
    plan = Plan(kind=KIND, ignored=sheet.ignored)
    check = _Checker(plan, sheet, KIND)
    units = _units(session, estate)
    existing = {
        p.number: p
        for p in session.scalars(
            scoped(RenovationPermit).where(RenovationPermit.estate_id == estate.id)
        )
    }
    seen: dict = {}
    for number, values in sheet.rows:
        check.start(number)
        building = check.text(values, "building", 40, required=True, shape=naming.building_name)
        entrance = check.text(values, "entrance", 20, required=True, shape=naming.entrance)
        room = check.text(values, "room", 20, required=True, shape=naming.room)
        permit_no = check.text(values, "number", 40, required=True)
        texts = {k: check.text(values, k, n) for k, n in TEXTS.items()}
        starts_on, ends_on = _day(check, values, "starts_on"), _day(check, values, "ends_on")
        try:
            hours = permits.parse_hours(values.get("hours", ""))
        except ValueError:
            message = _l("“%(value)s” is not hours such as 08:00-12:00.", value=values["hours"])
            check.error("hours", message)
            hours = ""
        deposit = _amount(check, values, "deposit")
        received, refunded = _amount(check, values, "received"), _amount(check, values, "refunded")
        unit = units.get((building, entrance, room))
        if not check.failed and (unit is None or not unit.active):
            wanted = f"{building}-{entrance}單元-{room}室"
            check.error("room", _l("No unit %(label)s in the registry.", label=wanted))
        if starts_on and ends_on and ends_on < starts_on:
            check.error("ends_on", _l("The end date is before the start date."))
        if check.failed or check.duplicate(seen, permit_no, "number"):
            continue
        wanted_values = {
            "unit_id": unit.id,
            "number": permit_no,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "hours": hours,
            **texts,
        }
        if deposit is not None:
            wanted_values["deposit"] = deposit
        label = f"{permit_no} · {unit_label(building, unit.entrance, unit.floor, unit.room)}"
        money = {"received": received, "refunded": refunded}
        permit = existing.get(permit_no)
        if permit is None:
            plan.rows.append(PlannedRow(number, "new", label, values=wanted_values | money))
            continue
        if permit.unit_id != unit.id:
            check.error("number", _l("This permit number belongs to another unit."))
            continue
        if permit.closed_on is not None:
            check.error("number", _l("This permit is closed; it can no longer be changed."))
            continue
        changes = {
            k: (getattr(permit, k), v)
            for k, v in wanted_values.items()
            if k != "unit_id" and _shown_column(k, sheet) and getattr(permit, k) != v
        }
        for kind, total in money.items():
            if total is None:
                continue
            held = permit.deposit_total(kind)
            if total < held:
                message = _l("The ledger already holds %(n)d; a total never shrinks.", n=held)
                check.error(kind, message)
            elif total > held:
                changes[kind] = (held, total)
        if check.failed:
            continue
        action = "update" if changes else "same"
        plan.rows.append(PlannedRow(number, action, label, changes, wanted_values, permit))
    return plan


def _shown_column(key: str, sheet) -> bool:
    # A column the file leaves out keeps the permit's value (as the registry's import does).
    return key in ("number", "starts_on", "ends_on") or key in sheet.headers


def plan_file(session: Session, estate: Estate, kind: str, filename: str, data: bytes) -> Plan:
    """Read and check a whole permits file (raises ImportRejected for an unusable file)."""
    return plan_permits(session, estate, read_upload(kind, filename, data))


def apply(session: Session, estate: Estate, plan: Plan, actor, filename: str) -> dict[str, int]:
    """Write a valid plan: permits added or updated (audited), ledger lines for the deposit
    totals that grew, the units' statuses brought in step; the caller commits."""
    if not plan.ok:
        raise ValueError("a plan with errors cannot be applied")
    today = status.estate_today(estate)
    touched: set[int] = set()
    for row in plan.rows:
        if row.action == "same":
            continue
        values = dict(row.values)
        money = {k: values.pop(k, None) for k in ("received", "refunded")}
        if row.action == "new":
            permit = RenovationPermit(estate_id=estate.id, **values)
            session.add(permit)
            session.flush()
            record(session, "permit.create", permit, actor=actor, after=permits.snapshot(permit))
            grown = {k: (0, v) for k, v in money.items() if v}
        else:
            permit = row.target
            fields = {k: new for k, (_old, new) in row.changes.items() if k in permits.FIELDS}
            if fields:
                permits.update(session, permit, fields, actor)
            grown = {k: row.changes[k] for k in money if k in row.changes}
        for kind, (held, total) in grown.items():
            permits.add_entry(session, permit, kind, total - held, today, "匯入", actor)
        touched.add(permit.unit_id)
    session.flush()
    status.refresh(session, estate, touched, actor=actor)
    counts = {
        "created": plan.count("new"),
        "updated": plan.count("update"),
        "unchanged": plan.count("same"),
        "buildings": 0,
    }
    record(
        session,
        "registry.import",
        estate,
        actor=actor,
        estate_id=estate.id,
        after={"kind": KIND, "file": filename[:200], **counts},
    )
    return counts


# Export (the read-only columns after the import's: webapp/registry/exporter.py EXTRA) ---------


def export_row(permit: RenovationPermit, today: date) -> list:
    """One permit as an export line: the import's columns, then the read-only ones."""
    unit = permit.unit
    return [
        unit.building.name,
        unit.entrance,
        unit.room,
        permit.number,
        permit.owner_name,
        permit.owner_phone,
        permit.contractor,
        permit.contractor_phone,
        permit.starts_on.isoformat(),
        permit.ends_on.isoformat() if permit.ends_on else "",
        permit.hours.replace(",", ", "),
        permit.scope,
        permit.deposit,
        permit.deposit_total("received"),
        permit.deposit_total("refunded"),
        permit.note,
        unit.label,
        vocab.zh("permit_state", permit.state(today)),
        permit.closed_on.isoformat() if permit.closed_on else "",
        vocab.zh("permit_close_reason", permit.close_reason) if permit.close_reason else "",
        permit.deposit_held,
    ]
