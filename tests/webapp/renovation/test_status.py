"""A unit is 裝修中 exactly while one of its permits is active: the status comes from them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.webapp.renovation.conftest import add_permit, units_of
from webapp.extensions import db
from webapp.jobs import engine
from webapp.models import AuditEvent, Estate, Unit
from webapp.models.jobs import Job
from webapp.renovation import permits, status


def test_a_permit_makes_its_unit_renovating_from_its_start_until_it_closes(app, seed):
    """Is a vacant unit with a permit starting tomorrow still vacant today, 裝修中 from
    tomorrow (by the hourly refresh, no write needed), and vacant again once the permit
    closes, each change audited?"""
    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        unit = units_of(estate.id, "vacant")[0]
        today = status.estate_today(estate)
        permit = add_permit(estate.id, unit, "S-1", today + timedelta(days=1))
        db.session.commit()
        assert unit.status == "vacant", "a permit not yet begun leaves the unit as it was"
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        assert status.refresh_all(db.session, now=tomorrow) == 1
        assert unit.status == "renovating" and permit.unit_status_before == "vacant"
        assert status.refresh_all(db.session, now=tomorrow) == 0, "in step: nothing to do"
        permits.close(db.session, permit, "accepted", today + timedelta(days=1), None, now=tomorrow)
        assert unit.status == "vacant", "back to what it was before the work"
        db.session.commit()
        changes = [
            (e.before["status"], e.after["status"])
            for e in db.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action == "unit.status", AuditEvent.object_id == str(unit.id))
                .order_by(AuditEvent.id)
            )
        ]
        assert changes == [("vacant", "renovating"), ("renovating", "vacant")]


def test_a_unit_stays_renovating_while_any_of_its_permits_is_active(app, seed):
    """With two overlapping permits, does closing one leave the unit 裝修中, and closing both
    end it? Is an overrun permit (past its end, not accepted) still active?"""
    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        unit = units_of(estate.id, "occupied")[-1]
        today = status.estate_today(estate)
        first = add_permit(estate.id, unit, "S-2", today - timedelta(days=30), ends_on=today)
        second = add_permit(
            estate.id, unit, "S-3", today - timedelta(days=3), ends_on=today - timedelta(days=1)
        )
        assert unit.status == "renovating"
        assert second.state(today) == "overrun" and first.state(today) == "active"
        permits.close(db.session, first, "ended", today, None)
        assert unit.status == "renovating", "the overrun permit is still open"
        permits.close(db.session, second, "withdrawn", today, None)
        assert unit.status == "occupied"


def test_a_renovating_unit_without_an_active_permit_is_put_back(app, seed):
    """Is a unit set 裝修中 around the permits (an old row, a script) put back by the refresh,
    to what its last permit says it was, or occupied?"""
    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        unit = units_of(estate.id, "occupied")[0]
        unit.status = "renovating"
        db.session.flush()
        assert status.refresh(db.session, estate) == 1
        assert unit.status == "occupied"


def test_the_hourly_job_starts_a_permit_on_its_day(app, seed, monkeypatch):
    """Run by the job worker at 00:05 estate time on the permit's first day, does the hourly
    schedule (renovation.status) make its unit 裝修中, with nobody writing anything?"""
    monkeypatch.setattr(
        engine, "SCHEDULES", {"renovation.status": engine.SCHEDULES["renovation.status"]}
    )
    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        unit = units_of(estate.id, "occupied")[1]
        unit_id = unit.id
        start = status.estate_today(estate) + timedelta(days=1)
        add_permit(estate.id, unit, "S-4", start)
        db.session.commit()
    eng = engine.get(app)
    eng.clock = lambda: datetime.combine(start, time(0, 5, 20), ZoneInfo("Asia/Taipei"))
    eng.tick()
    eng.work()
    with app.app_context():
        assert db.session.get(Unit, unit_id).status == "renovating"
        job = db.session.scalar(sa.select(Job).where(Job.kind == "renovation.status"))
        assert job.state == "done" and job.result["changed"] >= 1
