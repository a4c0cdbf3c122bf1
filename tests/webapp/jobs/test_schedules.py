"""The app's scheduled jobs, run through the engine at the times their schedules name: the
weekly purge forgets old tombstones, and old finished jobs go with their files."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.webapp.cli.test_sync_commands import _deactivate_two_units, _tombstones
from webapp.extensions import db
from webapp.jobs import engine
from webapp.models.jobs import AlertEvent, Job

TAIPEI = ZoneInfo("Asia/Taipei")


@pytest.fixture
def only(monkeypatch):
    """Keep only these schedules (the others would run too, and are tested on their own)."""

    def keep(*names):
        monkeypatch.setattr(engine, "SCHEDULES", {n: engine.SCHEDULES[n] for n in names})

    return keep


def _night(app, eng, at: datetime) -> None:
    eng.clock = lambda: at
    eng.tick()
    eng.work()


def _alerts(app):
    with app.app_context():
        return [
            (a.kind, a.estate_id, a.detail["key_id"], a.detail["event_id"])
            for a in db.session.scalars(sa.select(AlertEvent).order_by(AlertEvent.id))
        ]


def test_the_weekly_purge_forgets_tombstones_past_the_retention(app, seed, only):
    """On Sunday at 04:00, does the purge drop a deletion older than TOMBSTONE_RETENTION_DAYS
    and keep a younger one — and not run on a Saturday?"""
    only("sync.purge_tombstones")
    app.config["TOMBSTONE_RETENTION_DAYS"] = 30
    now = datetime.now(TAIPEI)
    sunday = now.replace(hour=4, minute=0, second=30) + timedelta(days=(6 - now.weekday()) % 7)
    if sunday < now:
        sunday += timedelta(days=7)
    ahead = math.ceil((sunday - now) / timedelta(days=1))
    # Seen from that Sunday: one deletion 30 days and some hours old, one 28 days and some.
    old, young = _deactivate_two_units(app, seed, ages_days=(31 - ahead, 29 - ahead))
    eng = engine.get(app)
    _night(app, eng, sunday - timedelta(days=1))  # Saturday: the last Sunday is long past
    assert {str(old), str(young)} <= _tombstones(app)
    _night(app, eng, sunday)
    left = _tombstones(app)
    assert str(old) not in left and str(young) in left


def test_finished_jobs_go_after_their_kind_keeps_them_with_their_files(app, seed, only):
    """Does the daily purge delete a label sheet older than a day with its files, keep one of
    today, and keep a job with a key (a schedule's slot) for two days whatever its kind says?"""
    only("jobs.purge")
    eng = engine.get(app)
    now = datetime(2026, 12, 7, 4, 30, 10, tzinfo=TAIPEI)
    with app.app_context():
        for job_id, key, age in (("a" * 32, None, 36), ("b" * 32, None, 1), ("c" * 32, "x", 36)):
            db.session.add(
                Job(id=job_id, kind="labels.sheet", key=key, state="done", params={},
                    finished_at=now - timedelta(hours=age))
            )  # fmt: skip
            eng.blobs.put(f"jobs/{job_id}/labels.pdf", b"%PDF")
        db.session.commit()
    _night(app, eng, now)
    with app.app_context():
        left = set(db.session.scalars(sa.select(Job.id).where(Job.kind == "labels.sheet")))
        purge = db.session.scalar(sa.select(Job).where(Job.kind == "jobs.purge"))
        assert (purge.state, purge.result) == ("done", {"purged": 1})
    assert left == {"b" * 32, "c" * 32}
    assert eng.blobs.get(f"jobs/{'a' * 32}/labels.pdf") is None
    assert eng.blobs.get(f"jobs/{'b' * 32}/labels.pdf") == b"%PDF"
