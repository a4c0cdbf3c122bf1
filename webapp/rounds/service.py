"""Rounds against the database: default templates, windows opened from the registry, and
coverage per window (the rules themselves are in ``rules.py``).

Callers pass an estate they have already scoped; nothing here widens what a user sees.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.models import Building, Estate, LabelCode, Sign, Unit, shown_names
from webapp.models.display import sign_label, unit_label
from webapp.models.rounds import ChecklistVersion, RoundTemplate, RoundWindow
from webapp.models.sync import Check
from webapp.rounds import defaults, rules


def ensure_defaults(session: Session, estate: Estate) -> list[RoundTemplate]:
    """Give an estate the default rounds (rounds.defaults) if it has none yet (caller commits)."""
    have = session.scalars(
        sa.select(RoundTemplate)
        .where(RoundTemplate.estate_id == estate.id)
        .order_by(RoundTemplate.id)
    ).all()
    if have:
        return list(have)
    made = [
        new_round(session, estate, kind, name, slots, defaults.ANCHOR, period_days=period)
        for kind, name, slots, period in defaults.ROUNDS
    ]
    session.flush()
    return made


def new_round(
    session: Session,
    estate: Estate,
    kind: str,
    name: str,
    slots: list[dict],
    anchor,
    *,
    period_days: int = 1,
    created_by_id: int | None = None,
) -> RoundTemplate:
    """A round of ``kind`` with version 1 of its default checklist (caller commits)."""
    template = RoundTemplate(
        estate_id=estate.id,
        kind=kind,
        name=name,
        slots=slots,
        period_days=period_days,
        anchor=anchor,
        items=[],
        checklist_version=1,
        active=True,
    )
    session.add(template)
    session.flush()
    session.add(
        ChecklistVersion(
            template_id=template.id,
            estate_id=estate.id,
            version=1,
            items=defaults.CHECKLISTS[kind],
            created_by_id=created_by_id,
        )
    )
    return template


def checklist(session: Session, template: RoundTemplate, version: int | None = None):
    """A version of a template's checklist (default: the current one)."""
    return session.scalar(
        sa.select(ChecklistVersion).where(
            ChecklistVersion.template_id == template.id,
            ChecklistVersion.version == (version or template.checklist_version),
        )
    )


def save_checklist(session: Session, template: RoundTemplate, items: list[dict], user_id=None):
    """Add a new checklist version; older versions stay for answers made on them."""
    version = (
        session.scalar(
            sa.select(sa.func.max(ChecklistVersion.version)).where(
                ChecklistVersion.template_id == template.id
            )
        )
        or 0
    ) + 1
    session.add(
        ChecklistVersion(
            template_id=template.id,
            estate_id=template.estate_id,
            version=version,
            items=items,
            created_by_id=user_id,
        )
    )
    template.checklist_version = version  # touches the template: phones pull it again
    session.flush()
    return version


@dataclass
class Point:
    """A checkpoint as the grid shows it."""

    item_type: str
    item_id: int
    code: str = ""
    label: str = ""
    building: str = ""
    building_sort: int = 1 << 30
    floor: int | None = None
    status: str = rules.PENDING
    # How the check that decided the status reached the item (scan / typed / manual) and why
    # it was not scanned (vocab.MANUAL_REASONS, None if not given); "" when no check decided.
    method: str = ""
    reason: str | None = None


def checkpoints_now(session: Session, template: RoundTemplate) -> list[list]:
    """The registry's checkpoints for a round as it stands now, in building and floor order."""
    order_b = sa.func.coalesce(Building.sort_key, 1 << 30)
    if template.kind == "signage":
        rows = session.execute(
            sa.select(Sign.id)
            .outerjoin(Building, Building.id == Sign.building_id)
            .where(Sign.estate_id == template.estate_id, Sign.active)
            .order_by(order_b, sa.func.coalesce(Sign.floor, -1), Sign.id)
        ).scalars()
        return [["sign", i] for i in rows]
    if template.kind in ("renovation", "vacant"):
        status = "renovating" if template.kind == "renovation" else "vacant"
        rows = session.execute(
            sa.select(Unit.id)
            .join(Building, Building.id == Unit.building_id)
            .where(Unit.estate_id == template.estate_id, Unit.active, Unit.status == status)
            .order_by(order_b, Unit.entrance, Unit.floor, Unit.room)
        ).scalars()
        return [["unit", i] for i in rows]
    return [list(x) for x in template.items]


@dataclass
class WindowCoverage:
    template: RoundTemplate
    start: datetime
    end: datetime
    points: list[Point] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for p in self.points if p.status == status)


def _windows(session, template, day, tz, now, cache) -> list[tuple[rules.Window, datetime, list]]:
    schedule = rules.Schedule.from_template(template)
    out = []
    for window in rules.windows_starting(schedule, day, tz):
        following = rules.next_start(schedule, window, tz)
        key = (template.id, window.start)
        if "opened" in cache:
            row = cache["opened"].get(key)
        else:
            row = session.scalar(
                sa.select(RoundWindow).where(
                    RoundWindow.template_id == template.id, RoundWindow.start == window.start
                )
            )
        if row is not None:
            points = row.checkpoints
        else:
            if template.id not in cache:
                cache[template.id] = checkpoints_now(session, template)
            points = cache[template.id]
            if window.start <= now:  # the window has opened: fix its checkpoints
                session.add(
                    RoundWindow(
                        template_id=template.id,
                        estate_id=template.estate_id,
                        start=window.start,
                        end=window.end,
                        checkpoints=points,
                    )
                )
        out.append((window, following, points))
    return out


def _seen(
    session, estate_id: int, lo: datetime, hi: datetime, hows: bool = True
) -> dict[tuple, tuple]:
    """Each checkpoint's checks in a span, sorted by effective time: (times, results, hows),
    ``hows`` each check's (method, manual reason) — all scanned when not asked for."""
    cols = (Check.item_type, Check.item_id, Check.occurred_at, Check.result)
    how = (
        (Check.method, Check.manual_reason) if hows else (sa.literal("scan", sa.String), sa.null())
    )
    on_time = sa.select(*cols, *how).where(
        Check.estate_id == estate_id,
        Check.occurred_at >= lo,
        Check.occurred_at < hi,
        ~Check.clock_skewed,
    )
    flagged = sa.select(
        Check.item_type, Check.item_id, Check.received_at, Check.result, *how
    ).where(
        Check.estate_id == estate_id,
        Check.clock_skewed,
        Check.received_at >= lo,
        Check.received_at < hi,
    )
    found: dict[tuple, list[tuple]] = defaultdict(list)
    for query in (on_time, flagged):
        for item_type, item_id, at, result, method, reason in session.execute(query):
            found[(item_type, item_id)].append(
                (at, result, _SCANNED if method == "scan" and reason is None else (method, reason))
            )
    out = {}
    for key, checks in found.items():
        checks.sort(key=_first)
        out[key] = ([c[0] for c in checks], [c[1] for c in checks], [c[2] for c in checks])
    return out


_SCANNED = ("scan", None)  # shared: nearly every check is one


def _first(pair: tuple):
    return pair[0]


_NONE: tuple[list, list, list] = ([], [], [])


def _describe(session, estate_id: int, refs: set[tuple]) -> dict[tuple, Point]:
    out: dict[tuple, Point] = {}
    by_type: dict[str, list[int]] = defaultdict(list)
    for t, i in refs:
        by_type[t].append(i)
    names = {
        bid: (name, sort)
        for bid, name, sort in session.execute(
            sa.select(Building.id, Building.name, Building.sort_key).where(
                Building.estate_id == estate_id
            )
        ).all()
    }
    if by_type.get("sign"):
        for sid, cat, loc, bid, floor in session.execute(
            sa.select(Sign.id, Sign.category, Sign.location, Sign.building_id, Sign.floor).where(
                Sign.estate_id == estate_id
            )
        ).all():
            b = names.get(bid, ("", 1 << 30))
            out[("sign", sid)] = Point("sign", sid, "", sign_label(cat, loc), b[0], b[1], floor)
    if by_type.get("unit"):
        for uid, bid, entrance, floor, room in session.execute(
            sa.select(Unit.id, Unit.building_id, Unit.entrance, Unit.floor, Unit.room).where(
                Unit.estate_id == estate_id
            )
        ).all():
            b = names.get(bid, ("", 1 << 30))
            out[("unit", uid)] = Point(
                "unit", uid, "", unit_label(b[0], entrance, floor, room), b[0], b[1], floor
            )
    for t, i, code in session.execute(
        sa.select(LabelCode.item_type, LabelCode.item_id, LabelCode.code).where(
            LabelCode.estate_id == estate_id, LabelCode.active
        )
    ).all():
        if (t, i) in out:
            out[(t, i)].code = code
    return out


def describe(session: Session, estate_id: int, refs: set[tuple]) -> dict[tuple, Point]:
    """Checkpoints as the grid shows them: label, code, building and floor."""
    return _describe(session, estate_id, refs)


def coverage(
    session: Session, estate: Estate, day: date, now: datetime, *, labels: bool = True
) -> list[WindowCoverage]:
    """Every window of the estate's active rounds that starts on ``day`` (estate time)."""
    return coverage_days(session, estate, [day], now, labels=labels)[day]


def coverage_days(
    session: Session, estate: Estate, days: list[date], now: datetime, *, labels: bool = True
) -> dict[date, list[WindowCoverage]]:
    """Coverage of several days at once: one read of the checks for the whole span.

    ``labels=False`` leaves each checkpoint's label, code and building out (the registry reads
    that fill them) and how each cell's check was made: for callers that only count statuses,
    like the dashboard's card and the trend."""
    tz = estate.timezone
    templates = session.scalars(
        sa.select(RoundTemplate)
        .where(RoundTemplate.estate_id == estate.id, RoundTemplate.active)
        .order_by(RoundTemplate.id)
    ).all()
    cache: dict = {}
    if templates and days:
        # Only the opened windows these days need (each holds its checkpoints as JSON).
        starts = {
            w.start
            for day in days
            for template in templates
            for w in rules.windows_starting(rules.Schedule.from_template(template), day, tz)
        }
        cache["opened"] = {
            (w.template_id, w.start): w
            for w in session.scalars(
                sa.select(RoundWindow).where(
                    RoundWindow.estate_id == estate.id,
                    RoundWindow.start.in_(sorted(starts)),
                )
            )
        }
    planned: list[tuple[date, RoundTemplate, rules.Window, datetime, list]] = []
    for day in days:
        for template in templates:
            for window, following, points in _windows(session, template, day, tz, now, cache):
                planned.append((day, template, window, following, points))
    session.flush()
    result: dict[date, list[WindowCoverage]] = {d: [] for d in days}
    if not planned:
        return result
    lo = min(p[2].start for p in planned)
    hi = max(max(p[3], p[2].end) for p in planned)
    seen = _seen(session, estate.id, lo, hi, hows=labels)
    described = {}
    if labels:
        described = _describe(session, estate.id, {tuple(x) for p in planned for x in p[4]})
    zone = ZoneInfo(tz)
    now = now.astimezone(UTC)
    for day, template, estate_window, estate_following, points in planned:
        cov = WindowCoverage(
            template, estate_window.start.astimezone(zone), estate_window.end.astimezone(zone)
        )
        # The checks' times are UTC: comparing datetimes of one tzinfo skips the zone maths.
        window = rules.Window(
            estate_window.start.astimezone(UTC), estate_window.end.astimezone(UTC)
        )
        following = estate_following.astimezone(UTC)
        for t, i in points:
            base = described.get((t, i)) or Point(t, i)
            times, results, hows = seen.get((t, i), _NONE)
            decided, k = rules.decide_sorted(times, results, window, following, now)
            method, reason = hows[k] if k is not None else ("", None)
            cov.points.append(
                Point(
                    t,
                    i,
                    base.code,
                    base.label,
                    base.building,
                    base.building_sort,
                    base.floor,
                    decided,
                    method,
                    reason,
                )
            )
        result[day].append(cov)
    return result


def as_api(estate: Estate, day: date, windows: list[WindowCoverage]) -> dict:
    """The coverage report in the shape GET /api/reports/coverage answers (docs/rounds.md)."""
    return {
        "estate": estate.id,
        "date": day.isoformat(),
        "windows": [
            {
                "round": w.template.id,
                "name": w.template.name,
                "kind": w.template.kind,
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "expected": len(w.points),
                "done": w.count(rules.DONE),
                "late": w.count(rules.LATE),
                "missed": w.count(rules.MISSED),
                "no_access": w.count(rules.NO_ACCESS),
                "checkpoints": [
                    {"code": p.code, "label": p.label, "status": p.status} for p in w.points
                ],
            }
            for w in windows
        ],
    }


def trend(session: Session, estate: Estate, last: date, days: int, now: datetime) -> list[dict]:
    """Per day: expected and each status's count over all windows that start that day."""
    span = [last - timedelta(days=n) for n in range(days - 1, -1, -1)]
    by_day = coverage_days(session, estate, span, now, labels=False)
    out = []
    for day in span:
        row = {"date": day.isoformat(), "expected": 0} | {s: 0 for s in rules.STATUSES}
        for w in by_day[day]:
            row["expected"] += len(w.points)
            for s in rules.STATUSES:
                row[s] += w.count(s)
        out.append(row)
    return out


def fast_sequences(session: Session, estate: Estate, lo: datetime, hi: datetime) -> list[dict]:
    """Checks by one person in an implausibly fast run, for the supervisor (rules.too_fast)."""
    rows = session.execute(
        sa.select(Check.user_id, Check.item_type, Check.item_id, Check.occurred_at, Check.method)
        .where(Check.estate_id == estate.id, Check.occurred_at >= lo, Check.occurred_at < hi)
        .order_by(Check.user_id, Check.occurred_at)
    ).all()
    by_user: dict[int, list[rules.Scan]] = defaultdict(list)
    for user_id, t, i, at, method in rows:
        by_user[user_id].append(rules.Scan(f"{t}:{i}", at, method))
    found = []
    for user_id, scans in by_user.items():
        for a, b in rules.too_fast(scans):
            found.append(
                {"user_id": user_id, "a": a, "b": b, "seconds": (b.at - a.at).total_seconds()}
            )
    if not found:
        return []
    names = shown_names(session, {f["user_id"] for f in found})
    refs = {tuple(s.checkpoint.split(":")) for f in found for s in (f["a"], f["b"])}
    described = _describe(session, estate.id, {(t, int(i)) for t, i in refs})
    zone = ZoneInfo(estate.timezone)
    return [
        {
            "who": names.get(f["user_id"], ""),
            "at": f["a"].at.astimezone(zone),
            "seconds": int(f["seconds"]),
            "from": described.get(_ref(f["a"].checkpoint), Point("", 0)).label,
            "to": described.get(_ref(f["b"].checkpoint), Point("", 0)).label,
        }
        for f in found
    ]


def _ref(checkpoint: str) -> tuple:
    t, i = checkpoint.split(":")
    return (t, int(i))
