"""The review queries: the findings list with its filters, and the dashboard's counts.

Each starts from ``webapp.scoping`` so nothing of another estate is read; docs/review.md
explains the indexes they lean on (declared with the models).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm
from flask import abort

from webapp import edge
from webapp.extensions import db
from webapp.models import Building, Estate, Key, Unit
from webapp.models.review import (
    DEPARTMENTS,
    OPEN_STATUSES,
    SEVERITIES,
    STATUSES,
    FindingState,
)
from webapp.models.sync import Finding, KeyEvent
from webapp.models.types import utcnow
from webapp.scoping import scoped, visible_estate_ids

PAGE = 50

@dataclass
class Filters:
    """The findings list's filters, as read from the query string (bad values are ignored)."""

    estate: int | None = None
    status: str = "active"  # active (not closed) | all | one of STATUSES
    severity: str = ""
    department: str = ""  # "" | "none" | one of DEPARTMENTS
    category: str = ""
    overdue: bool = False
    q: str = ""
    page: int = 1
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, args) -> Filters:
        f = cls()
        estate = args.get("estate", type=edge.int32)
        if estate is not None:
            if estate not in visible_estate_ids():
                abort(404)
            f.estate = estate
        status = args.get("status", "active")
        f.status = status if status in ("active", "all", *STATUSES) else "active"
        severity = args.get("severity", "")
        f.severity = severity if severity in SEVERITIES else ""
        department = args.get("department", "")
        f.department = department if department in ("none", *DEPARTMENTS) else ""
        f.category = args.get("category", "").strip()[:64]
        f.overdue = args.get("overdue") in ("1", "on", "true")
        f.q = args.get("q", "").strip()[:100]
        f.page = max(1, args.get("page", 1, type=edge.int32) or 1)
        return f

    def args(self, **override) -> dict:
        """The filters as query arguments (for links, exports and the next page)."""
        out = {
            "estate": self.estate,
            "status": self.status if self.status != "active" else None,
            "severity": self.severity or None,
            "department": self.department or None,
            "category": self.category or None,
            "overdue": "1" if self.overdue else None,
            "q": self.q or None,
            "page": self.page if self.page > 1 else None,
        }
        out.update(override)
        return {k: v for k, v in out.items() if v is not None}


def findings_query(filters: Filters, user, now: datetime | None = None) -> sa.Select:
    """Findings of the user's estates matching the filters, newest first, with desk state."""
    now = now or utcnow()
    query = (
        scoped(Finding, user)
        .add_columns(FindingState.department, FindingState.due_at)
        .outerjoin(FindingState, FindingState.finding_id == Finding.id)
    )
    if user.role == "engineering":
        query = query.where(FindingState.department == "engineering")
    if filters.estate is not None:
        query = query.where(Finding.estate_id == filters.estate)
    if filters.status == "active":
        query = query.where(Finding.status.in_(OPEN_STATUSES))
    elif filters.status != "all":
        query = query.where(Finding.status == filters.status)
    if filters.severity:
        query = query.where(Finding.severity == filters.severity)
    if filters.department == "none":
        query = query.where(FindingState.department.is_(None))
    elif filters.department:
        query = query.where(FindingState.department == filters.department)
    if filters.category:
        query = query.where(Finding.category == filters.category)
    if filters.overdue:
        query = query.where(FindingState.due_at < now, Finding.status.in_(OPEN_STATUSES))
    if filters.q:
        query = query.where(_words(filters.q))
    return query.order_by(Finding.occurred_at.desc(), Finding.id.desc())


@dataclass
class Row:
    """One line of the findings list, as the screen and the exports show it."""

    finding: Finding
    department: str | None
    due_at: datetime | None
    place: str
    estate: str
    overdue: bool


def rows_for(results, now: datetime | None = None) -> list[Row]:
    """Attach each finding's place label and estate name (a few batched reads)."""
    now = now or utcnow()
    results = list(results)
    findings = [r[0] for r in results]
    labels = item_labels([(f.item_type, f.item_id) for f in findings if f.item_type])
    estates = dict(db.session.execute(sa.select(Estate.id, Estate.name)).all())
    out = []
    for finding, department, due_at in results:
        place = labels.get((finding.item_type, finding.item_id)) or finding.location or ""
        out.append(
            Row(
                finding=finding,
                department=department,
                due_at=due_at,
                place=place,
                estate=estates.get(finding.estate_id, ""),
                overdue=bool(due_at and due_at < now and finding.status in OPEN_STATUSES),
            )
        )
    return out


def item_labels(pairs) -> dict[tuple[str, int], str]:
    """Display labels of units, keys and signs, read in one query per kind."""
    from webapp.models import Sign

    wanted: dict[str, set[int]] = {}
    for kind, ident in pairs:
        wanted.setdefault(kind, set()).add(ident)
    out: dict[tuple[str, int], str] = {}
    models = {"unit": Unit, "key": Key, "sign": Sign}
    for kind, ids in wanted.items():
        model = models.get(kind)
        if model is None:
            continue
        for obj in db.session.scalars(sa.select(model).where(model.id.in_(ids))):
            out[(kind, obj.id)] = obj.label
    return out


def count_query(filters: Filters, user) -> sa.Select:
    """How many findings the filters select. The desk-state join is 1:1 (its primary key is the
    finding's), so unless a filter reads it the count leaves it out and is answered from
    ``ix_finding_estate_status_time`` alone."""
    if user.role == "engineering" or filters.department or filters.overdue:
        query = findings_query(filters, user).order_by(None)
        return sa.select(sa.func.count()).select_from(query.subquery())
    query = scoped(Finding, user).with_only_columns(sa.func.count(Finding.id))
    if filters.estate is not None:
        query = query.where(Finding.estate_id == filters.estate)
    if filters.status == "active":
        query = query.where(Finding.status.in_(OPEN_STATUSES))
    elif filters.status != "all":
        query = query.where(Finding.status == filters.status)
    if filters.severity:
        query = query.where(Finding.severity == filters.severity)
    if filters.category:
        query = query.where(Finding.category == filters.category)
    if filters.q:
        query = query.where(_words(filters.q))
    return query


def _words(q: str):
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.or_(
        Finding.note.ilike(like, escape="\\"),
        Finding.location.ilike(like, escape="\\"),
        Finding.category.ilike(like, escape="\\"),
    )


def page_of(filters: Filters, user) -> tuple[list[Row], bool, int]:
    """One page of the list: its rows, whether there is a next page, and the total."""
    query = findings_query(filters, user)
    total = db.session.scalar(count_query(filters, user))
    results = db.session.execute(query.offset((filters.page - 1) * PAGE).limit(PAGE + 1)).all()
    return rows_for(results[:PAGE]), len(results) > PAGE, int(total or 0)


def categories(user) -> list[str]:
    return list(
        db.session.scalars(
            scoped(Finding, user)
            .with_only_columns(Finding.category)
            .distinct()
            .order_by(Finding.category)
        )
    )


# ---- the dashboard -------------------------------------------------------------------------

AGE_BUCKETS = (("0-1", 0, 1), ("1-7", 1, 7), ("7-30", 7, 30), ("30+", 30, None))
CARD_ROWS = 10  # rows a dashboard card shows; its "all" page and exports have the rest


@dataclass
class Card:
    """A dashboard card's table: its first rows (plain cells) and how many there are."""

    table: object
    rows: list[list]
    total: int


@dataclass
class Dashboard:
    estate_ids: list[int]
    by_severity: dict[str, int]
    by_age: dict[str, int]
    by_department: dict[str, int]
    open_total: int
    overdue: list[Row]
    overdue_total: int
    vacant_days: int
    vacant: Card
    renovating: Card
    devices: Card
    keys: dict[str, int]
    keys_overdue: int
    quarantine: int
    by_category: list[tuple[str, int]]
    by_building: list[tuple[str, int]]
    per_day: list[tuple[date, int]]


def zone_of(ids: list[int]) -> ZoneInfo:
    """The zone a set of estates' days are drawn in: theirs, or the first one's if they differ."""
    name = db.session.scalar(
        sa.select(Estate.timezone).where(Estate.id.in_(ids)).order_by(Estate.id).limit(1)
    )
    return ZoneInfo(name or "UTC")


def per_day(ids: list[int], now: datetime, days: int = 30) -> list[tuple[date, int]]:
    """Findings reported per day for the last ``days`` calendar days, each finding counted on
    its own estate's calendar day (its zone's midnights, DST-safe), not on a UTC day.

    One grouped query per zone the estates are in (usually one): the day is a CASE over that
    zone's local midnights (as UTC instants), over the window's range of the ``occurred_at``
    index, so only the counts come back, not one row per finding."""
    by_zone: dict[str, list[int]] = {}
    for eid, tz in db.session.execute(
        sa.select(Estate.id, Estate.timezone).where(Estate.id.in_(ids))
    ):
        by_zone.setdefault(tz, []).append(eid)
    today = now.astimezone(zone_of(ids)).date()
    dates = [today - timedelta(days=days - 1 - i) for i in range(days + 1)]  # + the end bound
    counts = [0] * days
    for tz, estate_ids in by_zone.items():
        bounds = [datetime.combine(d, dtime.min, ZoneInfo(tz)) for d in dates]
        day = sa.case(*[(Finding.occurred_at < bounds[i + 1], i) for i in range(days)], else_=-1)
        for index, n in db.session.execute(
            sa.select(day, sa.func.count())
            .where(
                Finding.estate_id.in_(estate_ids),
                Finding.occurred_at >= bounds[0],
                Finding.occurred_at < bounds[-1],
            )
            .group_by(day)
        ):
            if 0 <= index < days:
                counts[index] += n
    return list(zip(dates[:days], counts, strict=True))


def most_overdue(ids: list[int], now: datetime, n: int) -> list:
    """The ``n`` open findings longest past their due date. One query per estate walks
    ``ix_finding_state_estate_due`` in due order and stops at the ``n``-th open one (closed
    findings with old due dates are skipped on the way), then the estates' heads are merged."""
    found = []
    for estate_id in ids:
        found += db.session.execute(
            sa.select(Finding, FindingState.department, FindingState.due_at)
            .select_from(FindingState)
            .join(Finding, Finding.id == FindingState.finding_id)
            .where(
                FindingState.estate_id == estate_id,
                FindingState.due_at < now,
                Finding.status.in_(OPEN_STATUSES),
            )
            .order_by(FindingState.due_at, Finding.id)
            .limit(n)
        ).all()
    found.sort(key=lambda r: (r[2], r[0].id))
    return found[:n]


def _detached(results, now) -> list[Row]:
    """Rows whose findings are plain values, so a cached dashboard outlives its session."""
    out = rows_for(results, now)
    for row in out:
        f = row.finding
        row.finding = SimpleNamespace(
            id=f.id, category=f.category, severity=f.severity, status=f.status, note=f.note
        )
    return out


def dashboard(
    user, estate: int | None = None, vacant_days: int = 7, now=None, tz=None
) -> Dashboard:
    """Everything the supervisor's dashboard shows, for one estate or all the user's."""
    from webapp.review import tables

    now = now or utcnow()
    ids = visible_estate_ids(user)
    if estate is not None:
        if estate not in ids:
            abort(404)
        ids = [estate]
    params = tables.Params(user=user, ids=list(ids), estate=estate, days=vacant_days, now=now)
    tz = tz or UTC
    s = db.session

    counts = tables.open_counts(params)
    by_severity, by_age, by_department = counts["severity"], counts["age"], counts["department"]
    open_total = sum(by_severity.values())

    overdue_total = counts["overdue"]["overdue"]
    overdue = _detached(most_overdue(ids, now, 8), now)

    def card(table):
        rows, total = table.first(params, CARD_ROWS, tz)
        return Card(table, rows, total)

    keys = {"out": 0, "disputed": 0}
    for status, n in s.execute(
        sa.select(Key.status, sa.func.count())
        .where(Key.estate_id.in_(ids), Key.active, Key.status.in_(("out", "disputed")))
        .group_by(Key.status)
    ):
        keys[status] = n
    lend = sa.orm.aliased(KeyEvent)
    latest_lend = (
        sa.select(sa.func.max(lend.occurred_at))
        .where(lend.key_id == Key.id, lend.action == "lend")
        .correlate(Key)
        .scalar_subquery()
    )
    keys_overdue = (
        s.scalar(
            sa.select(sa.func.count())
            .select_from(Key)
            .join(KeyEvent, sa.and_(KeyEvent.key_id == Key.id, KeyEvent.occurred_at == latest_lend))
            .where(
                Key.estate_id.in_(ids),
                Key.active,
                Key.status == "out",
                KeyEvent.action == "lend",
                KeyEvent.due_back < now,
            )
        )
        or 0
    )

    window = now - timedelta(days=30)
    recent = (Finding.estate_id.in_(ids), Finding.occurred_at >= window)
    by_category = [
        (c, n)
        for c, n in s.execute(
            sa.select(Finding.category, sa.func.count())
            .where(*recent)
            .group_by(Finding.category)
            .order_by(sa.func.count().desc(), Finding.category)
            .limit(8)
        )
    ]
    # Findings of the window grouped by unit first (a range of ix_finding_estate_status_time /
    # occurred_at), then their units and buildings by primary key: the window's rows only.
    per_unit = (
        sa.select(Finding.item_id.label("unit_id"), sa.func.count().label("n"))
        # coalesce(): not a reason to walk ix_finding_item (every finding is a unit's).
        .where(*recent, sa.func.coalesce(Finding.item_type, "") == "unit")
        .group_by(Finding.item_id)
        .subquery()
    )
    total = sa.func.sum(per_unit.c.n)
    by_building = [
        (name, int(n))
        for name, n in s.execute(
            sa.select(Building.name, total)
            .select_from(per_unit)
            .join(Unit, Unit.id == per_unit.c.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .group_by(Building.id, Building.name)
            .order_by(total.desc(), Building.name)
            .limit(8)
        )
    ]

    return Dashboard(
        estate_ids=ids,
        by_severity=by_severity,
        by_age=by_age,
        by_department=by_department,
        open_total=open_total,
        overdue=overdue,
        overdue_total=overdue_total,
        vacant_days=vacant_days,
        vacant=card(tables.VACANT),
        renovating=card(tables.RENOVATING),
        devices=card(tables.DEVICES),
        keys=keys,
        keys_overdue=keys_overdue,
        quarantine=tables.QUARANTINE.count(params),
        by_category=by_category,
        by_building=by_building,
        per_day=per_day(ids, now),
    )
