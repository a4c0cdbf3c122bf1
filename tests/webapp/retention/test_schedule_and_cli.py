"""The retention purge as the worker runs it (daily, 04:45 estate time) and by hand
(``flask retention purge [--dry-run]``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.webapp.retention.conftest import browser_session, delivery, event, ids
from webapp.extensions import db
from webapp.jobs import engine
from webapp.models import UserSession
from webapp.models.alerts import AlertDelivery
from webapp.models.jobs import AlertEvent, Job
from webapp.models.types import utcnow

TAIPEI = ZoneInfo("Asia/Taipei")
DAY = timedelta(days=1)


def _rows(app, seed, now):
    """An old read alert, a young one, a long-expired session; the ids of what should go."""
    estate, boss = seed.estate_ids[0], seed.user_ids["supervisor"]
    with app.app_context():
        old = event(at=now - 200 * DAY, estate_id=estate)
        old_delivery = delivery(old, boss, at=now - 200 * DAY, estate_id=estate, read=True)
        young = event(at=now - DAY, estate_id=estate)
        young_delivery = delivery(young, boss, at=now - DAY, estate_id=estate, read=True)
        stale = browser_session(boss, created=now - 41 * DAY, expires=now - 40 * DAY)
        db.session.commit()
    return (old, old_delivery, stale), (young, young_delivery)


def test_the_worker_purges_daily_at_a_quarter_to_five(app, seed, monkeypatch):
    """Is ``retention.purge`` a schedule of its own, due at 04:45 estate time (not 04:44 nor
    05:45), run once by the worker however often it ticks, deleting what is past its period
    and saying how much in its result?"""
    schedule = engine.SCHEDULES["retention.purge"]
    monkeypatch.setattr(engine, "SCHEDULES", {"retention.purge": schedule})
    at = datetime.now(TAIPEI).replace(hour=4, minute=45, second=10, microsecond=0) + DAY
    assert schedule.when(at) and not schedule.when(at - timedelta(minutes=1))
    assert not schedule.when(at + timedelta(hours=1))
    (old, old_delivery, stale), (young, young_delivery) = _rows(app, seed, at)
    eng = engine.get(app)
    for minute in (at, at + timedelta(minutes=1)):
        eng.clock = lambda minute=minute: minute
        eng.tick()
        eng.work()
    with app.app_context():
        runs = db.session.scalars(sa.select(Job).where(Job.kind == "retention.purge")).all()
        assert [(j.state, j.key) for j in runs] == [
            ("done", f"retention.purge@{at.astimezone(ZoneInfo('UTC')):%Y-%m-%dT%H:%MZ}")
        ]
        assert runs[0].result["alert_delivery"] == 1 and runs[0].result["user_session"] == 1
        assert old not in ids(AlertEvent) and young in ids(AlertEvent)
        assert ids(AlertDelivery) >= {young_delivery} and old_delivery not in ids(AlertDelivery)
        assert stale not in ids(UserSession)


def test_the_command_reports_with_dry_run_then_purges(app, seed):
    """Does ``--dry-run`` print what would go, per kind with its period, and delete nothing;
    and the command without it delete exactly that and say so?"""
    app.config.update(ALERT_RETENTION_DAYS=180, SESSION_RETENTION_DAYS=30)
    (old, old_delivery, stale), (young, young_delivery) = _rows(app, seed, utcnow())
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run" in dry.output
    assert "alert deliveries" in dry.output and "180 days" in dry.output
    found = {
        line.split(":")[0].strip(): int(line.split(":")[1].split()[0])
        for line in dry.output.splitlines()
        if line.startswith("  ")
    }
    assert found["alert deliveries"] == 1 and found["alert events"] == 1
    assert found["sessions"] == 1 and found["digests"] == 0
    with app.app_context():
        assert old_delivery in ids(AlertDelivery) and stale in ids(UserSession)

    real = runner.invoke(args=["retention", "purge"])
    assert real.exit_code == 0, real.output
    assert "Deleted" in real.output
    with app.app_context():
        assert old_delivery not in ids(AlertDelivery) and old not in ids(AlertEvent)
        assert young_delivery in ids(AlertDelivery) and stale not in ids(UserSession)
