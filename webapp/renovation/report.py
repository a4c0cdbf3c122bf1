"""The Saturday report 每週裝修統計 (issue 20 item 5; DOMAIN.md rule 7, 3.13): a week's
renovation patrols due and done, violations by rule, notices, stop-works, acceptances,
deposits and the week's reported items 報事, for any number of estates.

**The week is the rulebook's**: the report goes to the supervisor on Saturday morning, so it
covers the seven days before that Saturday, Saturday to Friday, on each estate's own calendar
(its zone) — the same days the alerts' weekly digest reads. It is named by the ISO week its
Saturday falls in: 2026-W20 is Saturday 9 May to Friday 15 May 2026, due Saturday 16 May.

Each block is one function over all the estates at once with a fixed number of grouped reads
(never one per unit or per estate); ``report`` gathers them. The numbers are plain JSON (ints,
strings, lists), so the page, the PDF, the workbook and the digest say the same thing and a
digest can store them. Callers pass estates they have already scoped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync import derived
from webapp import vocab
from webapp.models import Building, Estate, Unit
from webapp.models.display import unit_label
from webapp.models.renovation import (
    Acceptance,
    DepositEntry,
    RectificationNotice,
    RenovationPermit,
    StopWork,
)
from webapp.models.rounds import ChecklistVersion, RoundTemplate
from webapp.models.sync import Check, Finding
from webapp.paper.records import day_bounds
from webapp.renovation.notices import WAITING, shown_status
from webapp.renovation.report_week import Week
from webapp.rounds import defaults, rules
from webapp.rounds.windows import coverage_of

KIND = "renovation"  # the round kind of the renovation patrol
VIOLATION_CATEGORY = derived.ROUND_CATEGORY[KIND]  # 裝修違規
LISTED = 50  # open notices and overrun permits named in the report; the rest are counted


def _spans(estates: Sequence[Estate], week: Week) -> dict[tuple[datetime, datetime], list[int]]:
    """The week's instants on each estate's calendar, in UTC; estates sharing them grouped."""
    spans: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
    for estate in estates:
        lo, hi = day_bounds(week.first, week.last, ZoneInfo(estate.timezone))
        spans[(lo.astimezone(UTC), hi.astimezone(UTC))].append(estate.id)
    return spans


def _in_week(model, spans) -> sa.ColumnElement[bool]:
    """A record made in its estate's week: by the phone's clock, or by the server's for a
    record whose phone clock was flagged (as the rounds' coverage reads checks)."""
    return sa.or_(
        *(
            sa.and_(
                model.estate_id.in_(ids),
                sa.or_(
                    sa.and_(~model.clock_skewed, model.occurred_at >= lo, model.occurred_at < hi),
                    sa.and_(model.clock_skewed, model.received_at >= lo, model.received_at < hi),
                ),
            )
            for (lo, hi), ids in sorted(spans.items())
        )
    )


def _made_by_end(spans) -> sa.ColumnElement[bool]:
    """A notice issued before its estate's week ended (by the phone's clock, or the server's
    for a flagged clock)."""
    n = RectificationNotice
    made = sa.case((n.clock_skewed, n.received_at), else_=n.occurred_at)
    return sa.or_(
        *(sa.and_(n.estate_id.in_(ids), made < hi) for (_lo, hi), ids in sorted(spans.items()))
    )


def _ids(estates: Sequence[Estate]) -> list[int]:
    return sorted(e.id for e in estates)


# ---- the blocks -------------------------------------------------------------------------------


def patrols(session: Session, estates: Sequence[Estate], week: Week, now: datetime) -> dict:
    """Renovation patrols due and done, per estate and per day: the renovation round's
    windows against the checks (``rounds.windows.coverage_of``, the rounds' own rules)."""
    found = coverage_of(
        session, [(e, week.days) for e in estates], now, labels=False, kinds=(KIND,)
    )
    out = {}
    for estate in estates:
        days = []
        for day in week.days:
            row = {"date": day.isoformat(), "due": 0} | {s: 0 for s in rules.STATUSES}
            for window in found[estate.id][day]:
                row["due"] += len(window.points)
                for status in rules.STATUSES:
                    row[status] += window.count(status)
            days.append(row)
        total = {key: sum(d[key] for d in days) for key in ("due", *rules.STATUSES)}
        out[estate.id] = {**total, "days": days}
    return out


def _rule_items(session: Session, estates: Sequence[Estate]) -> dict[str, dict[str, dict]]:
    """Each renovation round's checklist items by key (its versions merged, newest last),
    keyed by the round id as checks carry it; the default checklist under ``""``."""
    items: dict[str, dict[str, dict]] = {"": {i["key"]: i for i in defaults.CHECKLISTS[KIND]}}
    rows = session.execute(
        sa.select(ChecklistVersion.template_id, ChecklistVersion.items)
        .join(RoundTemplate, RoundTemplate.id == ChecklistVersion.template_id)
        .where(RoundTemplate.estate_id.in_(_ids(estates)), RoundTemplate.kind == KIND)
        .order_by(ChecklistVersion.template_id, ChecklistVersion.version)
    )
    for template_id, version_items in rows:
        merged = items.setdefault(str(template_id), dict(items[""]))
        merged.update({i["key"]: i for i in version_items or [] if isinstance(i, dict)})
    return items


def violations(session: Session, estates: Sequence[Estate], week: Week) -> dict:
    """Violations by rule: checks of the renovation patrol whose answer failed the rule's
    checklist item, and notices issued that name the rule; the three 重大違規 first. Also
    the week's findings of category 裝修違規."""
    spans = _spans(estates, week)
    items = _rule_items(session, estates)
    rounds = [k for k in items if k]
    failed: dict[int, Counter] = defaultdict(Counter)
    if rounds:
        for estate_id, round_id, answers in session.execute(
            sa.select(Check.estate_id, Check.round_id, Check.answers).where(
                _in_week(Check, spans), Check.round_id.in_(rounds)
            )
        ):
            if not isinstance(answers, dict):
                continue
            for key, item in items.get(round_id, items[""]).items():
                if derived.failed(item, answers.get(key)):
                    failed[estate_id][key if key in vocab.RENOVATION_RULES else "other"] += 1
    noticed: dict[int, Counter] = defaultdict(Counter)
    for estate_id, named in session.execute(
        sa.select(RectificationNotice.estate_id, RectificationNotice.rules).where(
            _in_week(RectificationNotice, spans)
        )
    ):
        for rule in set(named or []):
            noticed[estate_id][rule if rule in vocab.RENOVATION_RULES else "other"] += 1
    findings = dict(
        session.execute(
            sa.select(Finding.estate_id, sa.func.count())
            .where(_in_week(Finding, spans), Finding.category == VIOLATION_CATEGORY)
            .group_by(Finding.estate_id)
        ).all()
    )
    out = {}
    for estate in estates:
        rows = [
            {
                "rule": rule,
                "major": rule in vocab.RENOVATION_MAJOR,
                "failed": failed[estate.id][rule],
                "noticed": noticed[estate.id][rule],
            }
            for rule in vocab.RENOVATION_RULES
        ]
        major = [r for r in rows if r["major"]]
        out[estate.id] = {
            "rules": rows,
            "major_failed": sum(r["failed"] for r in major),
            "major_noticed": sum(r["noticed"] for r in major),
            "failed": sum(r["failed"] for r in rows),
            "findings": findings.get(estate.id, 0),
        }
    return out


def notices(session: Session, estates: Sequence[Estate], week: Week) -> dict:
    """Rectification notices: issued and delivered in the week, rectified (``rectified``),
    and overdue — of the notices issued by the week's end and still waiting, those whose
    deadline fell on or before its last day."""
    spans = _spans(estates, week)
    n = RectificationNotice
    issued = dict(
        session.execute(
            sa.select(n.estate_id, sa.func.count()).where(_in_week(n, spans)).group_by(n.estate_id)
        ).all()
    )
    delivered = _stamped(session, n.delivered_at, n.estate_id, spans)
    overdue = dict(
        session.execute(
            sa.select(n.estate_id, sa.func.count())
            .where(_made_by_end(spans), n.status.in_(WAITING), n.deadline <= week.last)
            .group_by(n.estate_id)
        ).all()
    )
    fixed = rectified(session, estates, week)
    return {
        e.id: {
            "issued": issued.get(e.id, 0),
            "delivered": delivered.get(e.id, 0),
            "rectified": fixed.get(e.id, 0),
            "overdue": overdue.get(e.id, 0),
        }
        for e in estates
    }


def _stamped(session: Session, column, estate_column, spans) -> dict[int, int]:
    """How many rows per estate have ``column`` (a server-set instant) in their estate's week."""
    return dict(
        session.execute(
            sa.select(estate_column, sa.func.count())
            .where(
                sa.or_(
                    *(
                        sa.and_(estate_column.in_(ids), column >= lo, column < hi)
                        for (lo, hi), ids in sorted(spans.items())
                    )
                )
            )
            .group_by(estate_column)
        ).all()
    )


def rectified(session: Session, estates: Sequence[Estate], week: Week) -> dict[int, int]:
    """Notices found put right at a re-inspection in the week (their ``rectified_at``)."""
    n = RectificationNotice
    return _stamped(session, n.rectified_at, n.estate_id, _spans(estates, week))


def stop_works(session: Session, estates: Sequence[Estate], week: Week) -> dict:
    """Stop-work notices issued (a failed re-inspection) and lifted (a later one found the
    work put right) in the week."""
    spans = _spans(estates, week)
    issued = _stamped(session, StopWork.issued_at, StopWork.estate_id, spans)
    lifted = _stamped(session, StopWork.lifted_at, StopWork.estate_id, spans)
    return {e.id: {"issued": issued.get(e.id, 0), "lifted": lifted.get(e.id, 0)} for e in estates}


def acceptances(session: Session, estates: Sequence[Estate], week: Week) -> dict:
    """Completion acceptances in the week: those recorded (by the phone's clock, or the
    server's for a flagged one), passed and failed, and as passed too a permit the office
    closed as accepted (竣工驗收) on a day of the week with no acceptance recorded for it."""
    a, p = Acceptance, RenovationPermit
    counted = session.execute(
        sa.select(a.estate_id, a.result, sa.func.count())
        .where(_in_week(a, _spans(estates, week)))
        .group_by(a.estate_id, a.result)
    ).all()
    recorded = sa.select(a.permit_id).where(a.permit_id.is_not(None), a.result == "passed")
    closed = dict(
        session.execute(
            sa.select(p.estate_id, sa.func.count())
            .where(
                p.estate_id.in_(_ids(estates)),
                p.close_reason == "accepted",
                p.closed_on >= week.first,
                p.closed_on <= week.last,
                p.id.not_in(recorded),
            )
            .group_by(p.estate_id)
        ).all()
    )
    out = {e.id: {"passed": closed.get(e.id, 0), "failed": 0} for e in estates}
    for estate_id, result, count in counted:
        if result in out[estate_id]:
            out[estate_id][result] += count
    return out


def deposits(session: Session, estates: Sequence[Estate], week: Week) -> dict:
    """Deposits received, deducted and refunded in the week (the ledger's dates), and what the
    office held at its end (every line up to its last day)."""
    d = DepositEntry
    in_week = d.on >= week.first
    sums: dict[int, dict[str, int]] = defaultdict(Counter)
    for estate_id, kind, this_week, amount in session.execute(
        sa.select(d.estate_id, d.kind, in_week, sa.func.sum(d.amount))
        .where(d.estate_id.in_(_ids(estates)), d.on <= week.last)
        .group_by(d.estate_id, d.kind, in_week)
    ):
        if this_week:
            sums[estate_id][kind] += int(amount)
        sums[estate_id]["held"] += int(amount) if kind == "received" else -int(amount)
    return {
        e.id: {k: sums[e.id][k] for k in ("received", "deducted", "refunded", "held")}
        for e in estates
    }


def reported(session: Session, estates: Sequence[Estate], week: Week) -> dict:
    """The week's reported items 報事 (findings, every category) by category, with how many of
    them are still open now; most reported first."""
    spans = _spans(estates, week)
    out: dict[int, list] = {e.id: [] for e in estates}
    for estate_id, category, count, still_open in session.execute(
        sa.select(
            Finding.estate_id,
            Finding.category,
            sa.func.count(),
            sa.func.sum(sa.case((Finding.status != "closed", 1), else_=0)),
        )
        .where(_in_week(Finding, spans))
        .group_by(Finding.estate_id, Finding.category)
        .order_by(Finding.estate_id, sa.func.count().desc(), Finding.category)
    ):
        out[estate_id].append(
            {"category": category, "reported": count, "open": int(still_open or 0)}
        )
    return {
        eid: {"categories": rows, "total": sum(r["reported"] for r in rows)}
        for eid, rows in out.items()
    }


def _listed(session: Session, model, where, order_by):
    """The first ``LISTED`` rows of ``model`` per estate matching ``where`` in ``order_by``:
    (row, how many matched in its estate, its unit's label), by estate. One read."""
    ranked = (
        sa.select(
            model.id,
            sa.func.row_number()
            .over(partition_by=model.estate_id, order_by=order_by)
            .label("rank"),
            sa.func.count().over(partition_by=model.estate_id).label("total"),
        )
        .where(where)
        .subquery()
    )
    for row, total, building, entrance, floor, room in session.execute(
        sa.select(model, ranked.c.total, Building.name, Unit.entrance, Unit.floor, Unit.room)
        .join(ranked, ranked.c.id == model.id)
        .join(Unit, Unit.id == model.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(ranked.c.rank <= LISTED)
        .order_by(model.estate_id, ranked.c.rank)
    ):
        yield row, total, unit_label(building, entrance, floor, room)


def open_notices(session: Session, estates: Sequence[Estate], week: Week) -> dict:
    """Notices issued by the week's end and still waiting to be put right, nearest deadline
    first (the first ``LISTED`` of each estate named, all counted), with the status each shows
    on the Saturday the report is due."""
    spans = _spans(estates, week)
    n = RectificationNotice
    made_by_end = _made_by_end(spans)
    out = {e.id: {"total": 0, "rows": []} for e in estates}
    for notice, total, unit in _listed(
        session,
        n,
        sa.and_(n.status.in_(WAITING), made_by_end),
        (n.deadline, n.year, n.seq),
    ):
        block = out[notice.estate_id]
        block["total"] = total
        block["rows"].append(
            {
                "id": notice.id,
                "number": notice.number,
                "unit": unit,
                "rules": list(notice.rules or []),
                "deadline": notice.deadline.isoformat(),
                "status": shown_status(notice, week.due),
            }
        )
    return out


def overrun(session: Session, estates: Sequence[Estate], week: Week) -> dict:
    """Permits overrun at the week's end: begun, past their approved end, not closed by its
    last day; oldest end first (the first ``LISTED`` named), with the days over on the
    Saturday the report is due."""
    p = RenovationPermit
    out = {e.id: {"total": 0, "rows": []} for e in estates}
    overran = sa.and_(
        p.estate_id.in_(_ids(estates)),
        p.starts_on <= week.last,
        p.ends_on <= week.last,
        sa.or_(p.closed_on.is_(None), p.closed_on > week.last),
    )
    for permit, total, unit in _listed(session, p, overran, (p.ends_on, p.id)):
        block = out[permit.estate_id]
        block["total"] = total
        block["rows"].append(
            {
                "id": permit.id,
                "number": permit.number,
                "unit": unit,
                "contractor": " ".join(filter(None, (permit.contractor, permit.contractor_phone))),
                "ends_on": permit.ends_on.isoformat(),
                "days_over": (week.due - permit.ends_on).days,
            }
        )
    return out


BLOCKS = (
    "patrols",
    "violations",
    "notices",
    "stop_works",
    "acceptances",
    "deposits",
    "reported",
    "open_notices",
    "overrun",
)


def report(session: Session, estates: Sequence[Estate], week: Week, now: datetime) -> list[dict]:
    """The week's report of each estate (in the order given): its name and zone, the week,
    and every block's numbers, as plain JSON."""
    estates = list(estates)
    if not estates:
        return []
    found = {
        "patrols": patrols(session, estates, week, now),
        "violations": violations(session, estates, week),
        "notices": notices(session, estates, week),
        "stop_works": stop_works(session, estates, week),
        "acceptances": acceptances(session, estates, week),
        "deposits": deposits(session, estates, week),
        "reported": reported(session, estates, week),
        "open_notices": open_notices(session, estates, week),
        "overrun": overrun(session, estates, week),
    }
    return [
        {
            "estate": {"id": e.id, "name": e.name, "tz": e.timezone},
            "week": week.as_json(),
            **{name: found[name][e.id] for name in BLOCKS},
        }
        for e in estates
    ]


def weekly_section(session: Session, estate_ids: Sequence[int], week: Week,
                   now: datetime) -> list[dict]:  # fmt: skip
    """The report of these estates (ids the caller has scoped) for a weekly digest to attach:
    ``report``'s JSON, estates by id."""
    estates = list(
        session.scalars(sa.select(Estate).where(Estate.id.in_(estate_ids)).order_by(Estate.id))
    )
    return report(session, estates, week, now)
