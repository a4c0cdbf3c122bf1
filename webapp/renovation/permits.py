"""Permits written through the ORM session, each with its audit event, and the unit's status
brought in step after every write (``status.refresh``). Callers commit.

Also the few rules a permit's values follow, shared by the form and the import: working hours
as managers write them ("08:00-12:00, 14:00-18:00"), a unit named by its label.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.models import Building, Estate, Unit, User
from webapp.models.audit import record
from webapp.models.renovation import DepositEntry, RenovationPermit
from webapp.registry import naming
from webapp.renovation import status

# The permit's own fields: what the form and the import set, and what its audit names.
FIELDS = (
    "unit_id",
    "number",
    "owner_name",
    "owner_phone",
    "contractor",
    "contractor_phone",
    "starts_on",
    "ends_on",
    "hours",
    "scope",
    "deposit",
    "note",
)
MAX_DEPOSIT = 10_000_000

_SPAN = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–~～至到]\s*(\d{1,2}):(\d{2})$")


def parse_hours(text: str) -> str:
    """Working hours as stored: "08:00-12:00,14:00-18:00"; '' for none. ValueError when a
    part is not a span of two times of day with the start before the end."""
    cleaned = naming.clean(text)
    if not cleaned:
        return ""
    spans = []
    for part in re.split(r"[,，、;；\s]+(?=\d)", cleaned):
        match = _SPAN.match(part.strip())
        if not match:
            raise ValueError(part)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 * 60 + m2) <= (h1 * 60 + m1):
            raise ValueError(part)
        spans.append(f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}")
    if len(spans) > 6:
        raise ValueError(cleaned)
    return ",".join(spans)


def hours_list(hours: str) -> list[dict]:
    """Stored hours as spans for the phone: [{"start": "08:00", "end": "12:00"}, ...]."""
    out = []
    for span in filter(None, (hours or "").split(",")):
        start, _, end = span.partition("-")
        out.append({"start": start, "end": end})
    return out


def unit_by_label(session: Session, estate_id: int, text: str) -> Unit | None:
    """An active unit of the estate named as on its label (3棟-2單元-15樓-1502室); the floor
    may be left out (3棟-2單元-1502室)."""
    parts = [p for p in naming.clean(text).split("-") if p]
    if len(parts) not in (3, 4):
        return None
    building, entrance, room = parts[0], parts[1], parts[-1]
    return session.scalar(
        sa.select(Unit)
        .join(Building, Building.id == Unit.building_id)
        .where(
            Unit.estate_id == estate_id,
            Unit.active,
            Building.name == naming.building_name(building),
            Unit.entrance == naming.entrance(entrance),
            Unit.room == naming.room(room),
        )
    )


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def snapshot(permit: RenovationPermit) -> dict:
    """The audited fields of a permit, as plain values."""
    return {name: _plain(getattr(permit, name)) for name in FIELDS}


def create(
    session: Session, estate: Estate, values: dict, actor, now: datetime | None = None
) -> RenovationPermit:
    """Add a permit to a unit of the estate; the unit is 裝修中 once it has begun."""
    permit = RenovationPermit(estate_id=estate.id, **values)
    session.add(permit)
    session.flush()
    record(session, "permit.create", permit, actor=actor, after=snapshot(permit))
    status.refresh(session, estate, [permit.unit_id], now=now, actor=actor)
    return permit


def update(
    session: Session, permit: RenovationPermit, values: dict, actor, now: datetime | None = None
) -> bool:
    """Save new values onto a permit (audited: the fields that changed)."""
    before = snapshot(permit)
    old_unit = permit.unit_id
    for name, value in values.items():
        setattr(permit, name, value)
    after = snapshot(permit)
    changed = [k for k in before if before[k] != after[k]]
    if not changed:
        return False
    record(
        session,
        "permit.update",
        permit,
        actor=actor,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    session.flush()
    estate = session.get(Estate, permit.estate_id)
    status.refresh(session, estate, {old_unit, permit.unit_id}, now=now, actor=actor)
    return True


def close(
    session: Session,
    permit: RenovationPermit,
    reason: str,
    on: date,
    actor,
    *,
    unit_status: str | None = None,
    now: datetime | None = None,
) -> None:
    """Close a permit; the unit leaves 裝修中 when no other permit of it is active, for what
    it was before (or ``unit_status``, the status editor's choice)."""
    permit.closed_on, permit.close_reason = on, reason
    if unit_status is not None:
        permit.unit_status_before = unit_status
    record(
        session,
        "permit.close",
        permit,
        actor=actor,
        after={"closed_on": on.isoformat(), "close_reason": reason},
    )
    session.flush()
    estate = session.get(Estate, permit.estate_id)
    status.refresh(session, estate, [permit.unit_id], now=now, actor=actor)


def active_permits(session: Session, unit: Unit, today: date) -> list[RenovationPermit]:
    """The unit's permits active on ``today`` (begun, not closed), oldest first."""
    return list(
        session.scalars(
            sa.select(RenovationPermit)
            .where(RenovationPermit.unit_id == unit.id, status.active_clause(today))
            .order_by(RenovationPermit.starts_on, RenovationPermit.id)
        )
    )


def leave_renovation(session: Session, unit: Unit, unit_status: str, actor) -> None:
    """The registry's status menu took a unit out of 裝修中: its active permits close today
    (work ended), and it becomes ``unit_status``."""
    estate = session.get(Estate, unit.estate_id)
    today = status.estate_today(estate)
    for permit in active_permits(session, unit, today):
        close(session, permit, "ended", today, actor, unit_status=unit_status)


def add_entry(
    session: Session, permit: RenovationPermit, kind: str, amount: int, on: date, note: str, actor
) -> DepositEntry:
    """Add a line to the permit's deposit ledger (audited ``permit.deposit``)."""
    entry = DepositEntry(
        permit=permit,
        estate_id=permit.estate_id,
        kind=kind,
        amount=amount,
        on=on,
        note=note,
        user_id=getattr(actor, "id", None),
    )
    session.add(entry)
    record(
        session,
        "permit.deposit",
        permit,
        actor=actor,
        after={"deposit_kind": kind, "amount": amount, "on": on.isoformat(), "note": note},
    )
    return entry


def accept(
    session: Session,
    permit: RenovationPermit,
    on: date,
    user_id: int,
    now: datetime,
    acceptance_id: str,
) -> int:
    """A passed completion acceptance (sync/acceptance.py): refund what the office holds of
    the deposit (a ledger line naming the acceptance), close the permit as accepted and put
    the unit back to its status. The refund's amount (0 when nothing is held)."""
    actor = session.get(User, user_id)
    held = permit.deposit_held
    if held > 0:
        entry = add_entry(session, permit, "refunded", held, on, "竣工驗收合格退還", actor)
        entry.acceptance_id = acceptance_id
    close(session, permit, "accepted", on, actor, now=now)
    return held


def overrun(session: Session, estates: list[Estate], now: datetime | None = None):
    """Open permits past their end date with no acceptance, of these estates, oldest end
    first: a SELECT of (permit, unit)."""
    by_day = {}
    for estate in estates:
        by_day.setdefault(status.estate_today(estate, now), []).append(estate.id)
    if not by_day:
        return sa.select(RenovationPermit).where(sa.false())
    return (
        sa.select(RenovationPermit)
        .where(
            RenovationPermit.closed_on.is_(None),
            sa.or_(
                *[
                    sa.and_(RenovationPermit.estate_id.in_(ids), RenovationPermit.ends_on < day)
                    for day, ids in by_day.items()
                ]
            ),
        )
        .order_by(RenovationPermit.ends_on, RenovationPermit.id)
    )
