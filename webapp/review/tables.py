"""The dashboard's tables, each once: the rows the dashboard card shows (the first few), the
full paginated page (``/review/tables/<slug>``, printable) and the CSV/XLSX exports read the
same ordered query with the same parameters, so they agree row for row.

A table gives its column titles and turns each result into plain cells (text and numbers,
times in the reader's zone); the screen shows exactly those cells (escaped), and
``webapp.exports`` writes them to a file (its one writer makes formula-like text inert).
The findings tables (overdue, by severity, by department) are the
findings list's own filters and exports (``queries.Filters``); keys are the register's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from webapp import exports
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.models import Device, Estate, Unit, User, shown_names
from webapp.models.review import DEPARTMENTS, OPEN_STATUSES, SEVERITIES, FindingState
from webapp.models.sync import Check, Finding, QuarantinedOp
from webapp.models.types import utcnow
from webapp.review.forms import BoardArgs
from webapp.review.names import AGE_NAMES, DEPARTMENT_NAMES, SEVERITY_NAMES
from webapp.review.queries import item_labels
from webapp.rounds import rules, service
from webapp.scoping import people_of, visible_estate_ids

PAGE = 50
# The open findings' ages: (name, from days, to days).
AGE_BUCKETS = (("0-1", 0, 1), ("1-7", 1, 7), ("7-30", 7, 30), ("30+", 30, None))
STALE_HOURS = 24  # a phone that has not synced for a day is stale
SKEW_DAYS = 30  # phone clocks off: checks and findings received in the last 30 days


class Linked(str):
    """A cell's text that the table's page shows as a link (files get the text alone)."""

    href: str

    def __new__(cls, text: str, href: str) -> Linked:
        made = super().__new__(cls, text)
        made.href = href
        return made


@dataclass
class Params:
    """What a table is asked for: the user's estates (or one), the vacancy horizon, now."""

    user: object
    ids: list[int]
    estate: int | None = None
    days: int = 7
    now: datetime = field(default_factory=utcnow)

    @classmethod
    def from_args(cls, user, args, form=BoardArgs) -> Params:
        """The estate (another's is 404) and days the query string asks for (a 400 for what
        does not fit)."""
        wanted = strict_args(form, args)
        estate = wanted["estate"]
        ids = [estate] if estate is not None else visible_estate_ids(user)
        return cls(user=user, ids=list(ids), estate=estate, days=wanted["days"])

    def args(self, **override) -> dict:
        out = {"estate": self.estate, "days": self.days if self.days != 7 else None}
        out.update(override)
        return {k: v for k, v in out.items() if v is not None}

    @cached_property
    def estates(self) -> dict[int, Estate]:
        """The asked estates by id, in id order: read once for every table and count of this
        asking (the dashboard's cards each read their rows' estate names before)."""
        return {
            e.id: e
            for e in db.session.scalars(
                sa.select(Estate).where(Estate.id.in_(self.ids)).order_by(Estate.id)
            )
        }

    @property
    def names(self) -> dict[int, str]:
        """The asked estates' names by id."""
        return {estate_id: e.name for estate_id, e in self.estates.items()}


@dataclass(frozen=True)
class Table:
    slug: str
    title: object  # a lazy string
    stem: str  # the download's file name
    headers: tuple
    count: Callable[[Params], int]
    fetch: Callable[[Params, int, int | None, object], list[list]]  # params, offset, limit, tz
    uses_days: bool = False
    empty: object = _l("Nothing to show.")
    # (params) -> the title with the asked numbers in it (never a literal "N"), if it has any.
    titled: Callable[[Params], str] | None = None
    # (params, n, tz) -> (first n rows, total) in fewer reads than count + fetch, if it can.
    head: Callable[[Params, int, object], tuple[list[list], int]] | None = None

    def heading(self, p: Params) -> str:
        """The title as shown and exported for these parameters."""
        return self.titled(p) if self.titled is not None else str(self.title)

    def first(self, p: Params, n: int, tz) -> tuple[list[list], int]:
        """The first ``n`` rows and how many there are in all (the dashboard's card)."""
        if self.head is not None:
            return self.head(p, n, tz)
        return self.fetch(p, 0, n, tz), self.count(p)


def _count(query: sa.Select) -> int:
    return int(
        db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
        or 0
    )


def _window(query: sa.Select, offset: int, limit: int | None) -> sa.Select:
    query = query.offset(offset) if offset else query
    return query.limit(limit) if limit is not None else query


# ---- units: vacant and not visited, under renovation ------------------------------------------


def last_check_of_unit():
    """The newest visit to the outer unit: a check that got in (a refusal or nobody home is
    no visit). Read newest first down ``ix_check_record_item_time`` to the first that got in:
    one step for almost every unit."""
    return (
        sa.select(Check.occurred_at)
        .where(
            Check.item_type == "unit",
            Check.item_id == Unit.id,
            Check.result != "no_access",
        )
        .order_by(Check.occurred_at.desc())
        .limit(1)
        .correlate(Unit)
        .scalar_subquery()
    )


def _units(p: Params, status: str, stale_only: bool) -> sa.Select:
    last = last_check_of_unit().label("last_check")
    inner = sa.select(Unit.id.label("unit_id"), last).where(
        Unit.estate_id.in_(p.ids), Unit.active, Unit.status == status
    )
    # Materialized: PostgreSQL would otherwise inline it and run the seek once for the filter's
    # IS NULL, once for its comparison and once for the sort (3 seeks a unit, not 1).
    sub = inner.cte("unit_last").prefix_with("MATERIALIZED", dialect="postgresql")
    query = sa.select(sub.c.unit_id, sub.c.last_check)
    if stale_only:
        since = p.now - timedelta(days=p.days)
        query = query.where(sa.or_(sub.c.last_check.is_(None), sub.c.last_check < since))
    return query.order_by(sub.c.last_check.asc().nulls_first(), sub.c.unit_id)


def _unit_head(p: Params, query: sa.Select, n: int, tz) -> tuple[list[list], int]:
    """One pass of the last-check seeks for both the card's rows and the total."""
    found = db.session.execute(query).all()
    return _unit_rows(p, found[:n], tz), len(found)


def _unit_rows(p: Params, found, tz) -> list[list]:
    units = {
        u.id: u
        for u in db.session.scalars(
            sa.select(Unit)
            .options(joinedload(Unit.building))
            .where(Unit.id.in_([r.unit_id for r in found]))
        )
    }
    estates = p.names
    out = []
    for unit_id, last in found:
        unit = units[unit_id]
        since = (p.now - last).days if last else None
        out.append(
            [
                estates.get(unit.estate_id, ""),
                unit.label,
                exports.when(last, tz, "%Y-%m-%d") or str(_l("never")),
                since if since is not None else "",
            ]
        )
    return out


def vacant_title(days: int) -> str:
    """The vacant-unit table's title with its horizon in days."""
    return ngettext(
        "Vacant units not visited in %(num)d day", "Vacant units not visited in %(num)d days", days
    )


UNIT_HEADERS = (_l("Estate"), _l("Unit"), _l("Last visit"), _l("Days since"))

VACANT = Table(
    slug="vacant",
    title=_l("Vacant units not visited"),
    titled=lambda p: vacant_title(p.days),
    stem="vacant-unvisited",
    headers=UNIT_HEADERS,
    count=lambda p: _count(_units(p, "vacant", True)),
    fetch=lambda p, o, n, tz: _unit_rows(
        p, db.session.execute(_window(_units(p, "vacant", True), o, n)).all(), tz
    ),
    head=lambda p, n, tz: _unit_head(p, _units(p, "vacant", True), n, tz),
    uses_days=True,
    empty=_l("Every vacant unit was visited."),
)
RENOVATING = Table(
    slug="renovating",
    title=_l("Units under renovation"),
    stem="renovating",
    headers=(_l("Estate"), _l("Unit"), _l("Last inspected"), _l("Days since")),
    count=lambda p: int(
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Unit.estate_id.in_(p.ids), Unit.active, Unit.status == "renovating"
            )
        )
        or 0
    ),
    fetch=lambda p, o, n, tz: _unit_rows(
        p, db.session.execute(_window(_units(p, "renovating", False), o, n)).all(), tz
    ),
    head=lambda p, n, tz: _unit_head(p, _units(p, "renovating", False), n, tz),
    empty=_l("No unit is under renovation."),
)


# ---- phones -----------------------------------------------------------------------------------


def _devices(p: Params) -> sa.Select:
    people = people_of(p.ids)
    return (
        sa.select(Device, User)
        .join(User, User.id == Device.user_id)
        .where(
            Device.user_id.in_(people),
            Device.revoked_at.is_(None),
            sa.or_(
                Device.pending_count > 0,
                Device.last_sync_at.is_(None),
                Device.last_sync_at < p.now - timedelta(hours=STALE_HOURS),
            ),
        )
        .order_by(Device.pending_count.desc(), Device.last_sync_at.asc().nulls_first(), Device.id)
    )


def _device_rows(p: Params, o, n, tz) -> list[list]:
    return [
        [
            device.name,
            user.name,
            device.pending_count,
            exports.when(device.last_sync_at, tz) or str(_l("never synced")),
            exports.when(device.last_seen_at, tz),
        ]
        for device, user in db.session.execute(_window(_devices(p), o, n)).all()
    ]


DEVICES = Table(
    slug="devices",
    title=_l("Phones with pending or stale data"),
    stem="phones-pending",
    headers=(_l("Phone"), _l("Person"), _l("Waiting to sync"), _l("Last sync"), _l("Last seen")),
    count=lambda p: _count(_devices(p)),
    fetch=_device_rows,
    empty=_l("Every phone is up to date."),
)


# ---- quarantine -------------------------------------------------------------------------------


def _quarantine(p: Params) -> sa.Select:
    people = people_of(p.ids)
    return (
        sa.select(QuarantinedOp, User.display_name)
        .join(User, User.id == QuarantinedOp.user_id)
        .where(
            QuarantinedOp.reviewed_at.is_(None),
            sa.or_(
                QuarantinedOp.estate_id.in_(p.ids),
                sa.and_(QuarantinedOp.estate_id.is_(None), QuarantinedOp.user_id.in_(people)),
            ),
        )
        .order_by(QuarantinedOp.received_at.desc(), QuarantinedOp.id.desc())
    )


def _quarantine_rows(p: Params, o, n, tz) -> list[list]:
    estates = p.names
    return [
        [
            exports.when(op.received_at, tz),
            estates.get(op.estate_id, "") if op.estate_id else "",
            name or "",
            op.type or "",
            op.error,
            op.message,
        ]
        for op, name in db.session.execute(_window(_quarantine(p), o, n)).all()
    ]


QUARANTINE = Table(
    slug="quarantine",
    title=_l("Quarantined records"),
    stem="quarantine",
    headers=(_l("Received"), _l("Estate"), _l("Person"), _l("Type"), _l("Error"), _l("Message")),
    count=lambda p: _count(_quarantine(p)),
    fetch=_quarantine_rows,
    empty=_l("Nothing is waiting in quarantine."),
)


# ---- open findings by severity, age and department --------------------------------------------


def open_counts(p: Params) -> dict[str, dict[str, int]]:
    """Open findings counted by severity, age bucket and department, and how many are overdue;
    also per estate, open and overdue (``estate_open``, ``estate_overdue``: the regional table's
    columns, from the same passes).

    Two grouped index-only passes, no join: severity and age from the findings
    (``ix_finding_estate_status_time`` carries severity), department and due date from the desk
    states (``ix_finding_state_open``, whose copy of the status the workflow keeps). An open
    finding the desk never touched has no state: it is counted under "no department"."""
    by_severity = dict.fromkeys(SEVERITIES, 0)
    by_age = {name: 0 for name, _lo, _hi in AGE_BUCKETS}
    by_department = {"none": 0, **dict.fromkeys(DEPARTMENTS, 0)}
    estate_open: dict[int, int] = {}
    estate_overdue: dict[int, int] = {}
    # One pass with a sum per bucket bound (cheaper than grouping by a CASE of the buckets).
    bounds = [(name, p.now - timedelta(days=lo)) for name, lo, _hi in AGE_BUCKETS]
    newer = [sa.func.sum(sa.case((Finding.occurred_at > at, 1), else_=0)) for _n, at in bounds[1:]]
    for estate_id, severity, n, *within in db.session.execute(
        sa.select(Finding.estate_id, Finding.severity, sa.func.count(), *newer)
        .where(Finding.estate_id.in_(p.ids), Finding.status.in_(OPEN_STATUSES))
        .group_by(Finding.estate_id, Finding.severity)
    ):
        by_severity[severity] = by_severity.get(severity, 0) + n
        estate_open[estate_id] = estate_open.get(estate_id, 0) + n
        # Seen within 1, 7, 30 days and ever: each bucket is the step between two of them.
        upto = [*(int(w or 0) for w in within), n]
        for i, (name, _at) in enumerate(bounds):
            by_age[name] += upto[i] - (upto[i - 1] if i else 0)
    late = sa.case((FindingState.due_at < p.now, 1), else_=0)
    overdue = placed = 0
    for estate_id, department, is_late, n in db.session.execute(
        sa.select(FindingState.estate_id, FindingState.department, late, sa.func.count())
        .where(FindingState.estate_id.in_(p.ids), FindingState.status.in_(OPEN_STATUSES))
        # The late flag first: grouped by the department first, SQLite's planner takes
        # ix_finding_state_estate_department (not covering) for its order.
        .group_by(late, FindingState.department, FindingState.estate_id)
    ):
        if department:
            by_department[department] = by_department.get(department, 0) + n
            placed += n
        if is_late:
            overdue += n
            estate_overdue[estate_id] = estate_overdue.get(estate_id, 0) + n
    by_department["none"] = sum(by_severity.values()) - placed
    return {
        "severity": by_severity,
        "age": by_age,
        "department": by_department,
        "overdue": {"overdue": overdue},
        "estate_open": estate_open,
        "estate_overdue": estate_overdue,
    }


def _open_rows(p: Params, o, n, tz) -> list[list]:
    counts = open_counts(p)
    groups = (
        (_l("Severity"), "severity", SEVERITY_NAMES),
        (_l("Age"), "age", AGE_NAMES),
        (_l("Department"), "department", DEPARTMENT_NAMES),
    )
    rows = [
        [str(title), str(names.get(key, key)), value]
        for title, group, names in groups
        for key, value in counts[group].items()
    ]
    return rows[o : o + n if n is not None else None]


OPEN = Table(
    slug="open",
    title=_l("Open findings by severity, age and department"),
    stem="open-findings-summary",
    headers=(_l("Grouped by"), _l("Group"), _l("Open findings")),
    count=lambda p: len(SEVERITIES) + 4 + len(DEPARTMENTS) + 1,
    fetch=_open_rows,
)


# ---- missed checkpoints (today's round windows, from the rounds area) -------------------------


def _missed(p: Params, tz) -> list[list]:
    out = []
    estates = db.session.scalars(
        sa.select(Estate).where(Estate.id.in_(p.ids), Estate.active).order_by(Estate.id)
    ).all()
    found = service.coverage_today(db.session, estates, p.now)
    for estate in estates:
        for window in found[estate.id]:
            span = f"{window.start:%H:%M}–{window.end:%H:%M}"
            for point in window.points:
                if point.status != rules.MISSED:
                    continue
                out.append(
                    [
                        estate.name,
                        window.template.name,
                        span,
                        point.label,
                        point.building,
                        point.code,
                    ]
                )
    return out


def coverage_today(ids, now) -> list[dict]:
    """Per estate, the windows that start today (estate time) with their status counts:
    the signage check's morning and afternoon, the renovation patrol, and so on."""
    out = []
    estates = db.session.scalars(
        sa.select(Estate).where(Estate.id.in_(ids), Estate.active).order_by(Estate.id)
    ).all()
    found = service.coverage_today(db.session, estates, now, labels=False)  # grouped reads
    for estate in estates:
        tz = ZoneInfo(estate.timezone)
        today = now.astimezone(tz).date()
        windows = []
        for window in found[estate.id]:
            tally = Counter(p.status for p in window.points)
            counts = {status: tally[status] for status in rules.STATUSES}
            windows.append(
                {
                    "round": window.template.name,
                    "kind": window.template.kind,
                    "start": window.start.astimezone(tz),
                    "end": window.end.astimezone(tz),
                    "open": window.start <= now < window.end,
                    "expected": len(window.points),
                    **counts,
                }
            )
        out.append({"estate": estate, "day": today, "windows": windows})
    return out


MISSED = Table(
    slug="missed",
    title=_l("Missed checkpoints today"),
    stem="missed-checkpoints",
    headers=(_l("Estate"), _l("Round"), _l("Window"), _l("Checkpoint"), _l("Building"), _l("Code")),
    count=lambda p: len(_missed(p, None)),
    fetch=lambda p, o, n, tz: _missed(p, tz)[o : o + n if n is not None else None],
    empty=_l("No checkpoint was missed today."),
)


# ---- phone clocks off ---------------------------------------------------------------------------


def _skew_parts(p: Params) -> tuple[sa.Select, sa.Select]:
    """The checks and the findings received in the last SKEW_DAYS from a phone whose clock was
    off, as like columns: the checks through their partial index (flagged, by receipt)."""
    since = p.now - timedelta(days=SKEW_DAYS)
    checks = sa.select(
        sa.literal("check", sa.String).label("kind"),
        Check.id,
        Check.estate_id,
        Check.item_type,
        Check.item_id,
        sa.cast(sa.null(), sa.String(200)).label("location"),
        Check.user_id,
        Check.occurred_at,
        Check.received_at,
    ).where(Check.estate_id.in_(p.ids), Check.clock_skewed, Check.received_at >= since)
    findings = sa.select(
        sa.literal("finding", sa.String).label("kind"),
        Finding.id,
        Finding.estate_id,
        Finding.item_type,
        Finding.item_id,
        Finding.location,
        Finding.user_id,
        Finding.occurred_at,
        Finding.received_at,
    ).where(Finding.estate_id.in_(p.ids), Finding.clock_skewed, Finding.received_at >= since)
    return checks, findings


def _skew_count(p: Params) -> int:
    return sum(_count(part) for part in _skew_parts(p))


def off_by(occurred: datetime, received: datetime) -> str:
    """How far the phone's clock was off when it sent a record: ahead or behind, in minutes,
    hours or days (the unit a person would say)."""
    seconds = abs((occurred - received).total_seconds())
    if seconds < 90 * 60:
        amount = _("%(n)d min", n=round(seconds / 60))
    elif seconds < 48 * 3600:
        amount = _("%(n)d h", n=round(seconds / 3600))
    else:
        amount = _("%(n)d days", n=round(seconds / 86400))
    return _("%(d)s ahead", d=amount) if occurred > received else _("%(d)s behind", d=amount)


def _skew_rows(p: Params, o, n, tz) -> list[list]:
    checks, findings = _skew_parts(p)
    both = sa.union_all(checks, findings).subquery()
    found = db.session.execute(
        _window(sa.select(both).order_by(both.c.received_at.desc(), both.c.id), o, n)
    ).all()
    labels = item_labels({(r.item_type, r.item_id) for r in found if r.item_type})
    people = shown_names(db.session, {r.user_id for r in found})
    estates = p.names
    out = []
    for r in found:
        what = labels.get((r.item_type, r.item_id)) or r.location or ""
        if r.kind == "check":
            kind, href = _("Check"), url_for("records.check", check_id=r.id)
        else:
            kind, href = _("Finding"), url_for("review.finding", finding_id=r.id)
        out.append(
            [
                estates.get(r.estate_id, ""),
                kind,
                Linked(what or r.id, href),
                people.get(r.user_id, ""),
                exports.when(r.occurred_at, tz),
                exports.when(r.received_at, tz),
                off_by(r.occurred_at, r.received_at),
            ]
        )
    return out


SKEWED = Table(
    slug="skewed",
    title=_l("Phone clocks off, last 30 days"),
    stem="clock-off",
    headers=(
        _l("Estate"),
        _l("Record"),
        _l("Item"),
        _l("Inspector"),
        _l("Phone's time"),
        _l("Received"),
        _l("Clock off by"),
    ),
    count=_skew_count,
    fetch=_skew_rows,
    empty=_l("No check or finding came from a phone whose clock was off."),
)


TABLES = {t.slug: t for t in (OPEN, MISSED, VACANT, RENOVATING, DEVICES, QUARANTINE, SKEWED)}
