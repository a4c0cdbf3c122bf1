"""What the front desk reads: the items log by its filters, the units a desk types, what is still
open at the desk, and the findings dispatched to it. Every query is scoped to the reader's
estates (webapp/scoping.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import ClassVar

import sqlalchemy as sa
from flask_babel import get_timezone
from sqlalchemy.orm import selectinload

from webapp.desk.forms import HandoverFilters, ItemFilters
from webapp.extensions import db
from webapp.forms import QueryFilters
from webapp.models import Unit
from webapp.models.desk import OPEN_STATUSES, DeskHandover, DeskItem
from webapp.models.registry import Building
from webapp.models.review import FindingState
from webapp.models.sync import Finding
from webapp.scoping import scoped
from webapp.text import fold, trim

PAGE = 50
MAIL_KINDS = ("mail", "newspaper")  # the handover lists them apart (rule 8.6)
# Findings the desk follows: dispatched to customer service 客服部 (the front desk's department),
# still needing someone to act.
DESK_DEPARTMENT = "customer_service"
DESK_FINDING_STATUSES = ("open", "dispatched", "reopened")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=get_timezone())


@dataclass
class Filters(QueryFilters):
    FORM: ClassVar = ItemFilters

    estate: int | None = None
    status: str = ""  # open | a status | ""
    kind: str = ""
    q: str = ""
    start: date | None = None
    end: date | None = None
    page: int = 1


def items_query(filters: Filters, user=None) -> sa.Select:
    """Items of the reader's estates, filtered: those still at the desk first (the ones
    awaiting approval first of all), then the newest."""
    query = scoped(DeskItem, user).options(
        selectinload(DeskItem.unit).selectinload(Unit.building),
        selectinload(DeskItem.received_by),
        selectinload(DeskItem.decided_by),
        selectinload(DeskItem.closed_by),
    )
    if filters.estate:
        query = query.where(DeskItem.estate_id == filters.estate)
    if filters.status == "open":
        query = query.where(DeskItem.status.in_(OPEN_STATUSES))
    elif filters.status:
        query = query.where(DeskItem.status == filters.status)
    if filters.kind:
        query = query.where(DeskItem.kind == filters.kind)
    if filters.start:
        query = query.where(DeskItem.received_at >= _day_start(filters.start))
    if filters.end:
        query = query.where(DeskItem.received_at < _day_start(filters.end + timedelta(days=1)))
    if filters.q:
        like = f"%{filters.q}%"
        rooms = sa.select(Unit.id).where(Unit.room.ilike(like))
        query = query.where(
            sa.or_(
                DeskItem.resident_name.ilike(like),
                DeskItem.description.ilike(like),
                DeskItem.received_from.ilike(like),
                DeskItem.collector_name.ilike(like),
                DeskItem.unit_id.in_(rooms),
            )
        )
    return query.order_by(
        DeskItem.status.in_(OPEN_STATUSES).desc(),
        (DeskItem.status == "requested").desc(),
        DeskItem.received_at.desc(),
        DeskItem.id.desc(),
    )


def page_of(filters: Filters, user=None) -> tuple[list[DeskItem], bool, int]:
    """One page of the log, whether there is a next one, and how many items match."""
    query = items_query(filters, user)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.offset((filters.page - 1) * PAGE).limit(PAGE + 1)).all()
    return list(rows[:PAGE]), len(rows) > PAGE, total or 0


def counts(user=None, estate: int | None = None) -> dict[str, int]:
    """Items still at the desk by status (what the log's cards count)."""
    query = (
        scoped(DeskItem, user)
        .with_only_columns(DeskItem.status, sa.func.count())
        .where(DeskItem.status.in_(OPEN_STATUSES))
        .group_by(DeskItem.status)
    )
    if estate:
        query = query.where(DeskItem.estate_id == estate)
    found = dict(db.session.execute(query).all())
    return {s: found.get(s, 0) for s in OPEN_STATUSES}


def open_items(estate_id: int, user=None) -> list[DeskItem]:
    """Every item still at the desk of one estate (the reader's), oldest first."""
    return list(
        db.session.scalars(
            scoped(DeskItem, user)
            .where(DeskItem.estate_id == estate_id, DeskItem.status.in_(OPEN_STATUSES))
            .options(
                selectinload(DeskItem.unit).selectinload(Unit.building),
                selectinload(DeskItem.received_by),
            )
            .order_by(DeskItem.received_at, DeskItem.id)
        )
    )


def units_of(estate_id: int) -> list[Unit]:
    """The active units of one of the reader's estates, in address order (the form's list)."""
    return list(
        db.session.scalars(
            scoped(Unit)
            .where(Unit.estate_id == estate_id, Unit.active)
            .join(Building, Building.id == Unit.building_id)
            .options(selectinload(Unit.building))
            .order_by(Building.sort_key, Building.name, Unit.entrance, Unit.floor, Unit.room)
        )
    )


def find_unit(estate_id: int, text: str) -> Unit | None:
    """The unit of the estate a desk typed: its label as the list offers it (3棟-2單元-15樓-1502室),
    or a room number only one unit of the estate has (1502, 1502室); read as names are kept
    (``webapp.text.fold``: an IME's full-width １５０２ is 1502)."""
    text = fold(text)
    room = trim(text.rsplit("-", 1)[-1].removesuffix("室"))
    if not room:
        return None
    candidates = list(
        db.session.scalars(
            scoped(Unit)
            .where(Unit.estate_id == estate_id, Unit.active, Unit.room == room[:20])
            .options(selectinload(Unit.building))
        )
    )
    for unit in candidates:
        if unit.label == text:
            return unit
    return candidates[0] if len(candidates) == 1 and room == text.removesuffix("室") else None


def desk_findings(estate_id: int, user=None) -> list[Finding]:
    """Open findings of one estate dispatched to the desk's department, oldest first."""
    return list(
        db.session.scalars(
            scoped(Finding, user)
            .join(FindingState, FindingState.finding_id == Finding.id)
            .where(
                Finding.estate_id == estate_id,
                FindingState.department == DESK_DEPARTMENT,
                FindingState.status.in_(DESK_FINDING_STATUSES),
            )
            .order_by(Finding.occurred_at, Finding.id)
            .limit(100)
        )
    )


@dataclass
class LogFilters(QueryFilters):
    FORM: ClassVar = HandoverFilters

    estate: int | None = None
    start: date | None = None
    end: date | None = None
    page: int = 1


def handovers_query(filters: LogFilters, user=None) -> sa.Select:
    """Handovers of the reader's estates, newest first."""
    query = scoped(DeskHandover, user)
    if filters.estate:
        query = query.where(DeskHandover.estate_id == filters.estate)
    if filters.start:
        query = query.where(DeskHandover.created_at >= _day_start(filters.start))
    if filters.end:
        query = query.where(DeskHandover.created_at < _day_start(filters.end + timedelta(days=1)))
    return query.order_by(DeskHandover.created_at.desc(), DeskHandover.id.desc())
