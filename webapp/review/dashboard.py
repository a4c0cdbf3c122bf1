"""The supervisor's dashboard: open findings by severity, age and department, the most
overdue, keys out, findings per day, category and building, checks and findings made on phones
whose clock was off, and the first rows of its tables.

Each read starts from the user's visible estates; docs/review.md explains the indexes the
counts lean on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort

from webapp.extensions import db
from webapp.models import Building, Estate, Unit
from webapp.models.review import OPEN_STATUSES, FindingEvent, FindingState
from webapp.models.sync import Check, Finding
from webapp.models.types import utcnow
from webapp.review import regional, tables
from webapp.review.overrun import OVERRUN
from webapp.review.queries import Row, rows_for
from webapp.review.stopwork import STOP_WORK
from webapp.scoping import visible_estate_ids

tables.TABLES.setdefault(OVERRUN.slug, OVERRUN)  # its page and exports, as the others'
tables.TABLES.setdefault(STOP_WORK.slug, STOP_WORK)
CARD_ROWS = 10  # rows a dashboard card shows; its "all" page and exports have the rest
SKEW_DAYS = tables.SKEW_DAYS  # the period phone clocks off are counted over (by receipt)


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
    overrun: Card
    stop_work: Card
    devices: Card
    keys: dict[str, int]
    keys_overdue: int
    quarantine: int
    by_category: list[tuple[str, int]]
    by_building: list[tuple[str, int]]
    per_day: list[tuple[date, int]]
    skewed: list[Skewed]
    estates: list[regional.EstateLine]  # one line per estate when several are shown


@dataclass
class Skewed:
    """An estate's checks and findings received in the last SKEW_DAYS from a phone whose
    clock was off (more than 5 minutes ahead of the server, or over 7 days behind)."""

    estate_id: int
    name: str
    checks: int
    findings: int


def _estates(ids: list[int], estates: dict[int, Estate] | None) -> dict[int, Estate]:
    """The estates of ``ids`` by id, in id order: those the caller read already, else read."""
    if estates is not None:
        return estates
    return tables.Params(user=None, ids=list(ids)).estates


def zone_of(estates: dict[int, Estate]) -> ZoneInfo:
    """The zone a set of estates' days are drawn in: theirs, or the first one's if they differ."""
    first = min(estates, default=None)
    return ZoneInfo(estates[first].timezone if first is not None else "UTC")


def per_day(
    ids: list[int], now: datetime, days: int = 30, estates: dict[int, Estate] | None = None
) -> list[tuple[date, int]]:
    """Findings reported per day for the last ``days`` calendar days, each finding counted on
    its own estate's calendar day (its zone's midnights, DST-safe), not on a UTC day.

    One grouped query per zone the estates are in (usually one): the day is a CASE over that
    zone's local midnights (as UTC instants), over the window's range of the ``occurred_at``
    index, so only the counts come back, not one row per finding."""
    estates = _estates(ids, estates)
    by_zone: dict[str, list[int]] = {}
    for eid, estate in estates.items():
        by_zone.setdefault(estate.timezone, []).append(eid)
    today = now.astimezone(zone_of(estates)).date()
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


def skewed(ids: list[int], now: datetime, estates: dict[int, Estate] | None = None) -> list[Skewed]:
    """Per estate (all of ``ids``, in order), how many checks and findings came from a phone
    whose clock was off, received in the last SKEW_DAYS. Checks are counted from their
    partial index ``ix_check_record_estate_skewed_received`` (the flagged ones only, by
    receipt time); findings, far fewer, from the estate's findings."""
    since = now - timedelta(days=SKEW_DAYS)
    checks = dict(
        db.session.execute(
            sa.select(Check.estate_id, sa.func.count())
            .where(Check.estate_id.in_(ids), Check.clock_skewed, Check.received_at >= since)
            .group_by(Check.estate_id)
        ).all()
    )
    findings = dict(
        db.session.execute(
            sa.select(Finding.estate_id, sa.func.count())
            .where(Finding.estate_id.in_(ids), Finding.clock_skewed, Finding.received_at >= since)
            .group_by(Finding.estate_id)
        ).all()
    )
    return [
        Skewed(estate_id, estate.name, checks.get(estate_id, 0), findings.get(estate_id, 0))
        for estate_id, estate in _estates(ids, estates).items()
    ]


def most_overdue(ids: list[int], now: datetime, n: int) -> list:
    """The ``n`` open findings longest past their due date, over all ``ids`` in one query.

    Each (estate, open status) range of ``ix_finding_state_open`` (estate, status, due, …) is in
    due order, so on PostgreSQL each gives its first ``n`` past due (a LATERAL join over the
    pairs) and only those are sorted: a few rows per estate, however many findings are overdue
    (sorting all 40 k overdue of a heavy backlog over 20 estates took 50 ms). SQLite, which has
    no LATERAL, reads the overdue range of each pair and sorts it. (One query per estate
    walking ``ix_finding_state_estate_due`` grew with the estates.)"""
    order = (FindingState.due_at, FindingState.finding_id)
    if db.session.get_bind().dialect.name != "postgresql":
        first = (
            sa.select(FindingState.finding_id, FindingState.department, FindingState.due_at)
            .where(
                FindingState.estate_id.in_(ids),
                FindingState.status.in_(OPEN_STATUSES),
                FindingState.due_at < now,
            )
            .order_by(*order)
            .limit(n)
            .subquery()
        )
    else:
        pairs = sa.values(
            sa.column("estate_id", sa.Integer), sa.column("status", sa.String), name="pair"
        ).data([(e, status) for e in ids for status in OPEN_STATUSES])
        each = (
            sa.select(FindingState.finding_id, FindingState.department, FindingState.due_at)
            .where(
                FindingState.estate_id == pairs.c.estate_id,
                FindingState.status == pairs.c.status,
                FindingState.due_at < now,
            )
            .order_by(*order)
            .limit(n)
            .lateral("each")
        )
        first = (
            sa.select(each.c.finding_id, each.c.department, each.c.due_at)
            .select_from(pairs)
            .join(each, sa.true())
            .order_by(each.c.due_at, each.c.finding_id)
            .limit(n)
            .subquery()
        )
    # The desk state's status is the finding's (the workflow writes both), checked again here.
    return db.session.execute(
        sa.select(Finding, first.c.department, first.c.due_at)
        .join(first, Finding.id == first.c.finding_id)
        .where(Finding.status.in_(OPEN_STATUSES))
        .order_by(first.c.due_at, Finding.id)
    ).all()


def _detached(results, now, names: dict[int, str]) -> list[Row]:
    """Rows whose findings are plain values, so a cached dashboard outlives its session."""
    out = rows_for(results, now, names)
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
    overdue = _detached(most_overdue(ids, now, 8), now, params.names)

    def card(table):
        rows, total = table.first(params, CARD_ROWS, tz)
        return Card(table, rows, total)

    # Keys per estate, summed for the cards: the regional table reads the same two answers.
    held = regional.keys_by_estate(ids)
    late = regional.keys_overdue_by_estate(ids, now)
    keys = {status: sum(h.get(status, 0) for h in held.values()) for status in ("out", "disputed")}
    keys_overdue = sum(late.values())
    lines = []
    if len(ids) > 1:
        lines = regional.estate_lines(
            ids, now, held, late, counts["estate_open"], counts["estate_overdue"], params.names
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
    # Then summed per building through the units' building ids, before any name is joined:
    # the buildings and estates are read for the buildings' rows, not for every unit's.
    per_building = (
        sa.select(Unit.building_id, sa.func.sum(per_unit.c.n).label("n"))
        .select_from(per_unit)
        .join(Unit, Unit.id == per_unit.c.unit_id)
        .group_by(Unit.building_id)
        .subquery()
    )
    # Over several estates a building is named with its estate ("1棟" is in every one).
    by_building = [
        (f"{estate_name} {name}" if len(ids) > 1 else name, int(n))
        for estate_name, name, n in s.execute(
            sa.select(Estate.name, Building.name, per_building.c.n)
            .select_from(per_building)
            .join(Building, Building.id == per_building.c.building_id)
            .join(Estate, Estate.id == Building.estate_id)
            .order_by(per_building.c.n.desc(), Building.name, Building.id)
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
        overrun=card(OVERRUN),
        stop_work=card(STOP_WORK),
        devices=card(tables.DEVICES),
        keys=keys,
        keys_overdue=keys_overdue,
        quarantine=tables.QUARANTINE.count(params),
        by_category=by_category,
        by_building=by_building,
        per_day=per_day(ids, now, estates=params.estates),
        skewed=skewed(ids, now, params.estates),
        estates=lines,
    )


def findings_flow(ids: list[int], lo: datetime, hi: datetime) -> dict[int, dict[str, int]]:
    """Per estate of ``ids``, the findings reported in [lo, hi) and those closed in it (a
    move to closed in the trail): two grouped reads, whatever the number of estates."""
    out = {estate_id: {"opened": 0, "closed": 0} for estate_id in ids}
    opened = db.session.execute(
        sa.select(Finding.estate_id, sa.func.count())
        .where(Finding.estate_id.in_(ids), Finding.occurred_at >= lo, Finding.occurred_at < hi)
        .group_by(Finding.estate_id)
    )
    closed = db.session.execute(
        sa.select(FindingEvent.estate_id, sa.func.count(sa.distinct(FindingEvent.finding_id)))
        .where(
            FindingEvent.estate_id.in_(ids),
            FindingEvent.kind == "transition",
            FindingEvent.to_status == "closed",
            FindingEvent.at >= lo,
            FindingEvent.at < hi,
        )
        .group_by(FindingEvent.estate_id)
    )
    for name, rows in (("opened", opened), ("closed", closed)):
        for estate_id, n in rows:
            out[estate_id][name] = int(n)
    return out
