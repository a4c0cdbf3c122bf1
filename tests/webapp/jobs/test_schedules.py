"""The app's scheduled jobs, run through the engine at the times their schedules name: the
nightly key-chain check records an alert event once per break, the weekly purge forgets old
tombstones, and old finished jobs go with their files."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.webapp.cli.test_sync_commands import _deactivate_two_units, _tombstones
from webapp.extensions import db
from webapp.jobs import engine
from webapp.models import Key
from webapp.models.jobs import AlertEvent, Job
from webapp.models.sync import KeyEvent

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
            for a in db.session.scalars(
                sa.select(AlertEvent)
                .where(AlertEvent.kind == "key_chain_broken")  # the demo's own are not ours
                .order_by(AlertEvent.id)
            )
        ]


def test_the_nightly_check_flags_a_tampered_chain_once(app, seed, only):
    """At 03:00, is an intact key register quiet; once an event is edited, does the next night
    record one alert event naming the key, the event and its estate — and the night after,
    finding the same break, record nothing more?"""
    only("keys.verify_chain")
    eng = engine.get(app)
    night = datetime(2026, 12, 7, 3, 0, 20, tzinfo=TAIPEI)
    _night(app, eng, night)
    assert _alerts(app) == []
    with app.app_context():
        victim = db.session.scalars(sa.select(KeyEvent).order_by(KeyEvent.id)).first()
        victim_id, key_id = victim.id, victim.key_id
        estate_id = db.session.get(Key, key_id).estate_id
        db.session.execute(
            sa.update(KeyEvent).where(KeyEvent.id == victim_id).values(purpose="改過")
        )
        db.session.commit()
    _night(app, eng, night + timedelta(days=1))
    assert _alerts(app) == [("key_chain_broken", estate_id, key_id, victim_id)]
    _night(app, eng, night + timedelta(days=2))
    assert len(_alerts(app)) == 1
    with app.app_context():
        runs = db.session.scalars(
            sa.select(Job).where(Job.kind == "keys.verify_chain").order_by(Job.created_at)
        ).all()
        assert [(j.state, j.result) for j in runs] == [
            ("done", {"broken": 0, "new_alerts": 0}),
            ("done", {"broken": 1, "new_alerts": 1}),
            ("done", {"broken": 1, "new_alerts": 0}),
        ]
        text = db.session.scalar(
            sa.select(AlertEvent.detail).where(AlertEvent.kind == "key_chain_broken")
        ).get("text")
    assert f"event {victim_id}" in text and "content does not match" in text


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
