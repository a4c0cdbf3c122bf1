"""Coverage over many estates at once (``windows.coverage_of``): the same answers as each estate
counted alone and as the status rules applied check by check, in a fixed number of queries."""

from __future__ import annotations

import gc
import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.webapp.review.test_regional import _counted
from webapp.demo import DemoOptions, build_estate
from webapp.extensions import db
from webapp.models import Estate, Sign, Unit, User
from webapp.models.rounds import RoundTemplate, RoundWindow
from webapp.models.sync import Check
from webapp.rounds import rules, service

# 11:30 in Taipei, 23:30 the day before in New York, 15:30 in Auckland: each estate is at
# another point of its own day, so some of its windows are closed, some open, some not begun.
NOW = datetime(2025, 6, 3, 3, 30, tzinfo=UTC)
ZONES = ("Asia/Taipei", "America/New_York", "Pacific/Auckland")


def _items(estate_id: int) -> list[tuple[str, int]]:
    signs = db.session.scalars(sa.select(Sign.id).where(Sign.estate_id == estate_id)).all()
    units = db.session.scalars(
        sa.select(Unit.id).where(
            Unit.estate_id == estate_id, Unit.status.in_(("vacant", "renovating"))
        )
    ).all()
    return [("sign", i) for i in signs] + [("unit", i) for i in units]


def _check(rng, estate_id, item, at, patrol_id) -> dict:
    skewed = rng.random() < 0.1
    received = at + timedelta(minutes=rng.choice((0, 5, 90, 600)))
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "op_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "user_id": patrol_id,
        "occurred_at": at,
        "received_at": min(received, NOW),
        "clock_skewed": skewed,
        "estate_id": estate_id,
        "item_type": item[0],
        "item_id": item[1],
        "code": "X",
        "method": rng.choice(("scan", "scan", "scan", "typed", "manual")),
        "manual_reason": rng.choice((None, "label_damaged")),
        "result": rng.choice(("ok", "ok", "ok", "issue", "no_access")),
        "answers": {},
    }


@pytest.fixture
def estates(app, seed):
    """Three estates in three zones with the default rounds (the second's signage one window
    over the whole day, the third with a custom round across midnight), and random checks
    around 'today' in each; returns their ids."""
    with app.app_context():
        rng = random.Random(22)
        third = build_estate(db.session, 2, DemoOptions(units_per_estate=12), rng)
        ids = [*seed.estate_ids, third.id]
        for estate_id, zone in zip(ids, ZONES, strict=True):
            estate = db.session.get(Estate, estate_id)
            estate.timezone = zone
            service.ensure_defaults(db.session, estate)
        signage = db.session.scalar(
            sa.select(RoundTemplate).where(
                RoundTemplate.estate_id == ids[1], RoundTemplate.kind == "signage"
            )
        )
        signage.slots = [{"start": "00:00", "end": "00:00", "days": 1}]
        custom = service.new_round(
            db.session,
            db.session.get(Estate, ids[2]),
            "custom",
            "夜巡",
            [{"start": "22:00", "end": "02:00"}],
            signage.anchor,
        )
        custom.items = [list(x) for x in _items(ids[2])[:5]]
        patrol = db.session.scalar(sa.select(User.id).where(User.username == "patrol"))
        rows = []
        for estate_id in ids:
            for item in _items(estate_id):
                for _ in range(rng.randrange(4)):
                    at = NOW - timedelta(minutes=rng.randrange(60 * 60))
                    rows.append(_check(rng, estate_id, item, at, patrol))
        db.session.execute(sa.insert(Check), rows)
        db.session.commit()
        return ids


def _plan():
    out = []
    for estate in db.session.scalars(sa.select(Estate).order_by(Estate.id)):
        today = NOW.astimezone(ZoneInfo(estate.timezone)).date()
        out.append((estate, [today - timedelta(days=1), today, today + timedelta(days=1)]))
    return out


def _shown(found: dict) -> dict:
    """Everything a screen or report reads of the windows, comparable."""
    return {
        (estate_id, day, w.template.id, w.start, w.end): [
            (p.item_type, p.item_id, p.code, p.label, p.building, p.floor, p.status, p.method)
            + (p.reason,)
            for p in w.points
        ]
        for estate_id, days in found.items()
        for day, windows in days.items()
        for w in windows
    }


def _opened() -> set:
    return {
        (w.template_id, w.start, tuple(map(tuple, w.checkpoints)))
        for w in db.session.scalars(
            sa.select(RoundWindow).where(RoundWindow.start > NOW - timedelta(3))
        )
    }


@pytest.mark.parametrize("labels", [True, False])
def test_many_estates_count_as_each_alone(app, estates, labels):
    """Does one computation over three estates in three zones give, window by window and
    checkpoint by checkpoint, what each estate counted alone gives — and open the same windows
    with the same checkpoints?"""
    with app.app_context():
        plan = [(e, days) for e, days in _plan() if e.id in estates]
        together = _shown(service.coverage_of(db.session, plan, NOW, labels=labels))
        opened_together = _opened()
        db.session.rollback()
        alone = _shown(
            {
                e.id: service.coverage_days(db.session, e, days, NOW, labels=labels)
                for e, days in plan
            }
        )
        opened_alone = _opened()
        db.session.rollback()
    assert together == alone
    assert opened_together == opened_alone and opened_together
    statuses = {point[6] for points in together.values() for point in points}
    assert statuses == set(rules.STATUSES), statuses  # the data reaches every status


def test_each_checkpoint_has_the_status_its_checks_give(app, estates):
    """Is every checkpoint's status over the three estates the one ``rules.status`` gives from
    all of that item's checks (effective times: receipt time for a flagged clock)?"""
    with app.app_context():
        plan = [(e, days) for e, days in _plan() if e.id in estates]
        found = service.coverage_of(db.session, plan, NOW, labels=False)
        checks: dict[tuple, list[rules.Seen]] = {}
        for estate_id, t, i, occurred, received, skewed, result in db.session.execute(
            sa.select(
                Check.estate_id,
                Check.item_type,
                Check.item_id,
                Check.occurred_at,
                Check.received_at,
                Check.clock_skewed,
                Check.result,
            ).where(Check.estate_id.in_(estates))
        ):
            at = rules.effective_time(occurred, received, skewed)
            checks.setdefault((estate_id, t, i), []).append(rules.Seen(at, result))
        kinds = set()
        for estate, _days in plan:
            for windows in found[estate.id].values():
                for w in windows:
                    schedule = rules.Schedule.from_template(w.template)
                    window = rules.Window(w.start, w.end)
                    following = rules.next_start(schedule, window, estate.timezone)
                    kinds.add((w.end - w.start) == timedelta(days=1))
                    for p in w.points:
                        seen = checks.get((estate.id, p.item_type, p.item_id), [])
                        assert p.status == rules.status(window, following, seen, NOW), (
                            estate.timezone,
                            w.template.name,
                            w.start,
                            p,
                        )
        db.session.rollback()
    assert kinds == {True, False}  # whole-day windows and shorter ones were both checked


def test_the_reads_do_not_grow_with_the_estates(app, estates):
    """Does today's coverage read the database as many times for three estates as for two
    (rounds, opened windows, the registry for windows not begun, the checks — grouped), with
    labels and without, on the first read of the day (opening windows) and after? (The first
    two already need every kind of read: signs and units, windows open and not begun.)"""
    with app.app_context():
        counts = {}
        for name, chosen in (("two", estates[:2]), ("every", estates)):
            picked = [db.session.get(Estate, e) for e in chosen]
            assert all(e.timezone for e in picked)  # loaded before counting
            for labels in (False, True):
                for read in ("first", "again"):
                    with _counted(app) as seen:
                        service.coverage_today(db.session, picked, NOW, labels=labels)
                    counts[(name, labels, read)] = len(seen)
            db.session.rollback()
    for labels in (False, True):
        for read in ("first", "again"):
            assert counts[("two", labels, read)] == counts[("every", labels, read)], counts


def test_the_collector_is_held_off_while_counting_and_restored(app, estates, monkeypatch):
    """Is Python's cyclic collector off while the points are decided (a full collection of the
    process per call cost a regional coverage two thirds of its CPU), and on again after —
    also when the count fails?"""
    decide = rules.decide_sorted
    enabled: list[bool] = []

    def watched(*args):
        enabled.append(gc.isenabled())
        return decide(*args)

    monkeypatch.setattr(rules, "decide_sorted", watched)
    with app.app_context():
        plan = [(e, days) for e, days in _plan() if e.id in estates]
        service.coverage_of(db.session, plan, NOW, labels=False)
        assert enabled and not any(enabled)
        assert gc.isenabled()
        monkeypatch.setattr(rules, "decide_sorted", lambda *a: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            service.coverage_of(db.session, plan, NOW, labels=False)
        assert gc.isenabled()
        db.session.rollback()
