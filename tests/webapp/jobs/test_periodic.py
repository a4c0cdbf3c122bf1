"""A periodic job runs once per schedule slot however many consumers tick, on the SQLite queue
and on Redis, with a clock the test moves (never real minutes)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from webapp.extensions import db
from webapp.jobs.engine import latest_slot
from webapp.models.jobs import Job

TAIPEI = ZoneInfo("Asia/Taipei")


def _together(*calls) -> None:
    """Run the calls at the same moment on threads (two consumers' schedulers)."""
    gate = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call):
        gate.wait()
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_a_nightly_job_runs_once_per_night_with_two_consumers(app, engines, clock, test_kinds):
    """With two consumers ticking at the same moments and both working the queue, does the
    03:00 job run once at 03:00, not again at 03:00:40 or 03:01, and once the next night?"""
    one, two = engines(), engines()

    def minute(at: datetime) -> None:
        clock.now = at
        _together(one.tick, two.tick)
        _together(one.work, two.work)

    night = datetime(2026, 12, 7, 3, 0, 5, tzinfo=TAIPEI)
    minute(night)
    minute(night + timedelta(seconds=35))
    minute(night + timedelta(minutes=1))
    minute(night + timedelta(hours=12))
    assert [key for key, _attempt, _at in test_kinds] == ["test.nightly@2026-12-06T19:00Z"]
    minute(night + timedelta(days=1))
    assert [key for key, _attempt, _at in test_kinds] == [
        "test.nightly@2026-12-06T19:00Z",
        "test.nightly@2026-12-07T19:00Z",
    ]
    with app.app_context():
        rows = db.session.scalars(sa.select(Job.state).where(Job.kind == "test.nightly")).all()
    assert rows == ["done", "done"]


def test_a_night_missed_while_everything_was_down_runs_once_when_it_is_back(
    app, engines, clock, test_kinds
):
    """If no consumer ticked at 03:00, does the first tick after (within a day) run that
    night's job once — and a tick on a fresh install not replay older nights?"""
    eng = engines()
    clock.now = datetime(2026, 12, 7, 8, 15, tzinfo=TAIPEI)
    eng.tick()
    eng.work()
    eng.tick()
    eng.work()
    assert [key for key, _attempt, _at in test_kinds] == ["test.nightly@2026-12-06T19:00Z"]


def test_the_slot_is_the_latest_minute_the_schedule_accepts_in_estate_time():
    """Is 03:00 read in estate time (19:00 UTC the day before), and no slot found when the
    schedule has none within a day?"""
    from huey import crontab

    at = datetime(2026, 12, 7, 2, 59, tzinfo=TAIPEI)
    slot = latest_slot(crontab(minute="0", hour="3"), at, TAIPEI)
    assert slot.astimezone(TAIPEI) == datetime(2026, 12, 6, 3, 0, tzinfo=TAIPEI)
    assert latest_slot(crontab(minute="0", hour="3", month="2", day="30"), at, TAIPEI) is None
