"""Coverage: each window's checkpoints against the checks, for one estate or many at once.

``coverage_of`` is the one computation: for any number of estates, each with its own days (an
estate's calendar, in its own zone), it reads the rounds, the opened windows, the registry
for windows not yet fixed and the checks a fixed number of times, grouped by estate, round and
window — so a regional supervisor's twenty estates cost the queries of one
(``tests/webapp/rounds/test_many_estates.py``). ``coverage_days`` and ``coverage`` are it for
one estate. The rules themselves are in ``rules.py``.

Callers pass estates they have already scoped; nothing here widens what a user sees.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.models import Building, Estate, LabelCode, Sign, Unit
from webapp.models.display import sign_label, unit_label
from webapp.models.rounds import RoundTemplate, RoundWindow
from webapp.models.sync import Check
from webapp.rounds import rules

_UNIT_ROUNDS = {"renovation": "renovating", "vacant": "vacant"}  # round kind -> unit status


@dataclass(slots=True)
class Point:
    """A checkpoint as the grid shows it (slots: a regional coverage makes ~20,000 of them,
    and fewer objects are fewer of the garbage collector's full passes)."""

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


@dataclass
class WindowCoverage:
    template: RoundTemplate
    start: datetime
    end: datetime
    points: list[Point] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for p in self.points if p.status == status)


def _insert_windows(session: Session, rows: list[dict]) -> None:
    """Store windows as they open, in one statement; a window another reader (a dashboard, the
    rounds' job on another instance) stored first keeps its row — the same checkpoints, read
    from the same registry a moment apart — instead of failing this reader's request."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the two databases the project runs on
        raise RuntimeError(f"no insert-or-ignore for {dialect}")
    statement = insert(RoundWindow).on_conflict_do_nothing(index_elements=["template_id", "start"])
    session.execute(statement, rows)


def open_windows(session: Session, now: datetime) -> int:
    """Fix the checkpoints of every round window open at ``now`` that nobody has read yet (the
    rounds' job, every few minutes): a window counts the units and signs its round covered as
    it opened, not as they stood when someone first looked — a permit closed at 14:00 leaves
    its unit due in the day's 08:00–18:00 renovation patrol, and its check done. Only the
    schedules are read unless a window is found unopened. Returns how many it opened."""
    templates = session.scalars(
        sa.select(RoundTemplate)
        .join(Estate, Estate.id == RoundTemplate.estate_id)
        .where(RoundTemplate.active, Estate.active)
        .order_by(RoundTemplate.id)
    ).all()
    zones = dict(session.execute(sa.select(Estate.id, Estate.timezone)).all())
    begun: list[tuple[RoundTemplate, rules.Window]] = []
    for template in templates:
        schedule = rules.Schedule.from_template(template)
        zone = zones[template.estate_id]
        longest = max((extra for _s, _e, extra in schedule.slots), default=0)
        today = now.astimezone(ZoneInfo(zone)).date()
        for back in range(longest + 2):
            for window in rules.windows_starting(schedule, today - timedelta(days=back), zone):
                if window.start <= now < window.end:
                    begun.append((template, window))
    if not begun:
        return 0
    opened = set(
        session.execute(
            sa.select(RoundWindow.template_id, RoundWindow.start).where(
                RoundWindow.template_id.in_(sorted({t.id for t, _w in begun})),
                RoundWindow.start.in_(sorted({w.start for _t, w in begun})),
            )
        ).all()
    )
    fresh = [(t, w) for t, w in begun if (t.id, w.start) not in opened]
    if not fresh:
        return 0
    registry = checkpoints_of(session, {t.id: t for t, _w in fresh}.values())
    _insert_windows(
        session,
        [
            {"template_id": t.id, "estate_id": t.estate_id, "start": w.start, "end": w.end,
             "checkpoints": registry[t.id]}
            for t, w in fresh
        ],
    )  # fmt: skip
    return len(fresh)


def checkpoints_now(session: Session, template: RoundTemplate) -> list[list]:
    """The registry's checkpoints for a round as it stands now, in building and floor order."""
    return checkpoints_of(session, [template])[template.id]


def checkpoints_of(session: Session, templates: Iterable[RoundTemplate]) -> dict[int, list[list]]:
    """``checkpoints_now`` of many rounds, of any estates: one read of the signs and one of
    the units, whatever the number of rounds."""
    templates = list(templates)
    order_b = sa.func.coalesce(Building.sort_key, 1 << 30)
    signs: dict[int, list[list]] = defaultdict(list)
    wanted = {t.estate_id for t in templates if t.kind == "signage"}
    if wanted:
        for estate_id, sign_id in session.execute(
            sa.select(Sign.estate_id, Sign.id)
            .outerjoin(Building, Building.id == Sign.building_id)
            .where(Sign.estate_id.in_(sorted(wanted)), Sign.active)
            .order_by(Sign.estate_id, order_b, sa.func.coalesce(Sign.floor, -1), Sign.id)
        ):
            signs[estate_id].append(["sign", sign_id])
    units: dict[tuple[int, str], list[list]] = defaultdict(list)
    wanted_units = {
        (t.estate_id, _UNIT_ROUNDS[t.kind]) for t in templates if t.kind in _UNIT_ROUNDS
    }
    if wanted_units:
        for estate_id, status, unit_id in session.execute(
            sa.select(Unit.estate_id, Unit.status, Unit.id)
            .join(Building, Building.id == Unit.building_id)
            .where(
                Unit.estate_id.in_(sorted({e for e, _s in wanted_units})),
                Unit.active,
                Unit.status.in_(sorted({s for _e, s in wanted_units})),
            )
            .order_by(
                Unit.estate_id, Unit.status, order_b, Unit.entrance, Unit.floor, Unit.room, Unit.id
            )
        ):
            units[(estate_id, status)].append(["unit", unit_id])
    out = {}
    for t in templates:
        if t.kind == "signage":
            out[t.id] = signs[t.estate_id]
        elif t.kind in _UNIT_ROUNDS:
            out[t.id] = units[(t.estate_id, _UNIT_ROUNDS[t.kind])]
        else:
            out[t.id] = [list(x) for x in t.items]
    return out


_SCANNED = ("scan", None)  # shared: nearly every check is one
_NONE: tuple[list, list, list] = ([], [], [])


def _first(pair: tuple):
    return pair[0]


def _within(column, spans: dict[tuple[datetime, datetime], list[int]]):
    """Each estate's checks in its own span (estates sharing a span share a clause)."""
    return sa.or_(
        *(
            sa.and_(Check.estate_id.in_(ids), column >= lo, column < hi)
            for (lo, hi), ids in sorted(spans.items())
        )
    )


def _seen(
    session, spans: dict[tuple[datetime, datetime], list[int]], hows: bool = True
) -> dict[tuple, tuple]:
    """Each checkpoint's checks in its estate's span, sorted by effective time, keyed by
    (estate, item type, item id): (times, results, hows), ``hows`` each check's (method,
    manual reason) — all scanned when not asked for. Two reads, whatever the estates."""
    how = (
        (Check.method, Check.manual_reason) if hows else (sa.literal("scan", sa.String), sa.null())
    )
    on_time = sa.select(
        Check.estate_id, Check.item_type, Check.item_id, Check.occurred_at, Check.result, *how
    ).where(~Check.clock_skewed, _within(Check.occurred_at, spans))
    flagged = sa.select(
        Check.estate_id, Check.item_type, Check.item_id, Check.received_at, Check.result, *how
    ).where(Check.clock_skewed, _within(Check.received_at, spans))
    found: dict[tuple, list[tuple]] = defaultdict(list)
    for query in (on_time, flagged):
        for estate_id, item_type, item_id, at, result, method, reason in session.execute(query):
            found[(estate_id, item_type, item_id)].append(
                (at, result, _SCANNED if method == "scan" and reason is None else (method, reason))
            )
    out = {}
    for key, checks in found.items():
        checks.sort(key=_first)
        out[key] = ([c[0] for c in checks], [c[1] for c in checks], [c[2] for c in checks])
    return out


def _describe(session, estate_ids: list[int], refs: set[tuple]) -> dict[tuple, Point]:
    """Checkpoints of ``estate_ids`` keyed (estate, item type, item id): four reads."""
    out: dict[tuple, Point] = {}
    types = {t for t, _i in refs}
    names = {
        bid: (name, sort)
        for bid, name, sort in session.execute(
            sa.select(Building.id, Building.name, Building.sort_key).where(
                Building.estate_id.in_(estate_ids)
            )
        ).all()
    }
    if "sign" in types:
        for eid, sid, cat, loc, bid, floor in session.execute(
            sa.select(
                Sign.estate_id, Sign.id, Sign.category, Sign.location, Sign.building_id, Sign.floor
            ).where(Sign.estate_id.in_(estate_ids))
        ).all():
            b = names.get(bid, ("", 1 << 30))
            out[(eid, "sign", sid)] = Point(
                "sign", sid, "", sign_label(cat, loc), b[0], b[1], floor
            )
    if "unit" in types:
        for eid, uid, bid, entrance, floor, room in session.execute(
            sa.select(
                Unit.estate_id, Unit.id, Unit.building_id, Unit.entrance, Unit.floor, Unit.room
            ).where(Unit.estate_id.in_(estate_ids))
        ).all():
            b = names.get(bid, ("", 1 << 30))
            out[(eid, "unit", uid)] = Point(
                "unit", uid, "", unit_label(b[0], entrance, floor, room), b[0], b[1], floor
            )
    for eid, t, i, code in session.execute(
        sa.select(
            LabelCode.estate_id, LabelCode.item_type, LabelCode.item_id, LabelCode.code
        ).where(LabelCode.estate_id.in_(estate_ids), LabelCode.active)
    ).all():
        if (eid, t, i) in out:
            out[(eid, t, i)].code = code
    return out


def describe(session: Session, estate_id: int, refs: set[tuple]) -> dict[tuple, Point]:
    """Checkpoints as the grid shows them: label, code, building and floor."""
    return {(t, i): p for (_e, t, i), p in _describe(session, [estate_id], refs).items()}


def coverage(
    session: Session, estate: Estate, day: date, now: datetime, *, labels: bool = True
) -> list[WindowCoverage]:
    """Every window of the estate's active rounds that starts on ``day`` (estate time)."""
    return coverage_days(session, estate, [day], now, labels=labels)[day]


def coverage_days(
    session: Session,
    estate: Estate,
    days: list[date],
    now: datetime,
    *,
    labels: bool = True,
    kinds: Collection[str] | None = None,
) -> dict[date, list[WindowCoverage]]:
    """Coverage of several days of one estate at once: one read of the checks for the span.

    ``labels=False`` leaves each checkpoint's label, code and building out (the registry reads
    that fill them) and how each cell's check was made: for callers that only count statuses,
    like the dashboard's card and the trend. ``kinds``: only rounds of these kinds."""
    return coverage_of(session, [(estate, days)], now, labels=labels, kinds=kinds)[estate.id]


def coverage_today(
    session: Session, estates: Sequence[Estate], now: datetime, *, labels: bool = True
) -> dict[int, list[WindowCoverage]]:
    """Each estate's windows that start today on its own calendar (its zone), all at once."""
    today = {e.id: now.astimezone(ZoneInfo(e.timezone)).date() for e in estates}
    found = coverage_of(session, [(e, [today[e.id]]) for e in estates], now, labels=labels)
    return {e.id: found[e.id][today[e.id]] for e in estates}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while coverage is counted. Twenty estates'
    checks, opened windows and points are ~60,000 objects alive at once (nothing in them is a
    cycle: reference counting frees them): each call pushed that many into the oldest
    generation and set off a full collection of the whole process — ~120 ms of a regional
    coverage's ~180 ms of CPU on 20 x 2,000 units; held off, ~55 ms (docs/load.md)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@_collector_paused()
def coverage_of(
    session: Session,
    plan: Sequence[tuple[Estate, Sequence[date]]],
    now: datetime,
    *,
    labels: bool = True,
    kinds: Collection[str] | None = None,
) -> dict[int, dict[date, list[WindowCoverage]]]:
    """Coverage of each (estate, its days) of ``plan``: per estate, per day, the windows of its
    active rounds that start that day (estate time). The reads are grouped — rounds, opened
    windows, the registry for windows not fixed yet, the checks in each estate's span (and with
    ``labels`` the names) — so their number does not grow with the estates or the days.

    A window that has begun keeps the checkpoints it opened with: the first read at or after
    its start stores them (``RoundWindow``; the caller commits); windows not yet begun use the
    registry as it is. ``kinds``: only the rounds of these kinds (the Saturday report reads
    the renovation patrol's alone)."""
    result = {estate.id: {d: [] for d in days} for estate, days in plan}
    if not result:
        return result
    templates: dict[int, list[RoundTemplate]] = defaultdict(list)
    query = sa.select(RoundTemplate).where(
        RoundTemplate.estate_id.in_(sorted(result)), RoundTemplate.active
    )
    if kinds is not None:
        query = query.where(RoundTemplate.kind.in_(sorted(kinds)))
    for template in session.scalars(query.order_by(RoundTemplate.id)):
        templates[template.estate_id].append(template)
    wanted = []  # (estate, day, template, window, the round's next window's start)
    for estate, days in plan:
        for day in days:
            for template in templates[estate.id]:
                schedule = rules.Schedule.from_template(template)
                for window in rules.windows_starting(schedule, day, estate.timezone):
                    following = rules.next_start(schedule, window, estate.timezone)
                    wanted.append((estate, day, template, window, following))
    if not wanted:
        return result
    # Only the opened windows these days need (each holds its checkpoints as JSON), by the
    # (round, start) key.
    opened = {
        (template_id, start): checkpoints
        for template_id, start, checkpoints in session.execute(
            sa.select(RoundWindow.template_id, RoundWindow.start, RoundWindow.checkpoints).where(
                RoundWindow.template_id.in_(sorted({w[2].id for w in wanted})),
                RoundWindow.start.in_(sorted({w[3].start for w in wanted})),
            )
        )
    }
    registry = checkpoints_of(
        session, {w[2].id: w[2] for w in wanted if (w[2].id, w[3].start) not in opened}.values()
    )
    planned, opening = [], []
    for estate, day, template, window, following in wanted:
        points = opened.get((template.id, window.start))
        if points is None:
            points = registry[template.id]
            if window.start <= now:  # the window has opened: fix its checkpoints
                opening.append(
                    {
                        "template_id": template.id,
                        "estate_id": template.estate_id,
                        "start": window.start,
                        "end": window.end,
                        "checkpoints": points,
                    }
                )
        planned.append((estate, day, template, window, following, points))
    if opening:  # one statement for every window opening now
        _insert_windows(session, opening)
    # Each estate's span: its first window's start to its last window's close or the
    # following window's start (a late check counts up to it), in UTC.
    bounds: dict[int, tuple[datetime, datetime]] = {}
    for estate, _day, _template, window, following, _points in planned:
        lo, hi = bounds.get(estate.id, (window.start, max(following, window.end)))
        bounds[estate.id] = (min(lo, window.start), max(hi, following, window.end))
    spans: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
    for estate_id, (lo, hi) in bounds.items():
        spans[(lo.astimezone(UTC), hi.astimezone(UTC))].append(estate_id)
    seen = _seen(session, spans, hows=labels)
    described = {}
    if labels:
        refs = {tuple(x) for p in planned for x in p[5]}
        described = _describe(session, sorted(result), refs)
    now = now.astimezone(UTC)
    for estate, day, template, estate_window, estate_following, points in planned:
        zone = ZoneInfo(estate.timezone)
        cov = WindowCoverage(
            template, estate_window.start.astimezone(zone), estate_window.end.astimezone(zone)
        )
        # The checks' times are UTC: comparing datetimes of one tzinfo skips the zone maths.
        window = rules.Window(
            estate_window.start.astimezone(UTC), estate_window.end.astimezone(UTC)
        )
        following = estate_following.astimezone(UTC)
        for t, i in points:
            times, results, hows = seen.get((estate.id, t, i), _NONE)
            decided, k = rules.decide_sorted(times, results, window, following, now)
            method, reason = hows[k] if k is not None else ("", None)
            base = described.get((estate.id, t, i))
            if base is None:
                cov.points.append(Point(t, i, status=decided, method=method, reason=reason))
                continue
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
        result[estate.id][day].append(cov)
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
