"""Windows fixed as they open (the rounds' job), not when someone first looks: a renovation
accepted mid-window leaves its unit due in that day's patrol; two openers at once never fail."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.jobs import engine
from webapp.models import Estate, Unit
from webapp.models.jobs import Job
from webapp.models.rounds import RoundWindow
from webapp.rounds import windows
from webapp.rounds.service import coverage_days, new_round

SLOT = [{"start": "08:00", "end": "18:00"}]


@pytest.fixture
def patrol(app, seed):
    """A renovation patrol 08:00–18:00 on the first estate, one of its units under renovation;
    (estate id, unit id, round id, 10:00 today in the estate's zone)."""
    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        zone = ZoneInfo(estate.timezone)
        day = datetime.now(zone).date()
        template = new_round(db.session, estate, "renovation", "裝修巡檢", SLOT, day)
        unit = db.session.scalar(
            sa.select(Unit).where(Unit.estate_id == estate.id, Unit.status == "occupied")
        )
        unit.status = "renovating"
        db.session.commit()
        return estate.id, unit.id, template.id, datetime.combine(day, time(10), zone)


def _points(estate_id: int, template_id: int, at: datetime) -> list[int]:
    estate = db.session.get(Estate, estate_id)
    days = coverage_days(db.session, estate, [at.date()], at + timedelta(hours=1), labels=False)
    (window,) = [w for w in days[at.date()] if w.template.id == template_id]
    return [p.item_id for p in window.points if p.item_type == "unit"]


def test_the_job_fixes_a_window_as_it_opens_so_a_unit_accepted_later_stays_due(
    app, patrol, monkeypatch
):
    """The job runs at 10:00 (nobody has read the 08:00 window); at 14:00 the renovation is
    accepted and the unit is occupied again: is the unit still a checkpoint of the day's
    window when the report reads it at 19:00 — and is no second row made for the window?"""
    estate_id, unit_id, template_id, ten = patrol
    monkeypatch.setattr(engine, "SCHEDULES", {"rounds.open_windows": engine.SCHEDULES[
        "rounds.open_windows"]})  # fmt: skip
    eng = engine.get(app)
    eng.clock = lambda: ten + timedelta(seconds=20)
    eng.tick()
    eng.work()
    with app.app_context():
        job = db.session.scalar(sa.select(Job).where(Job.kind == "rounds.open_windows"))
        assert job.state == "done" and job.result["opened"] >= 1
        db.session.get(Unit, unit_id).status = "occupied"
        db.session.commit()
        assert unit_id in _points(estate_id, template_id, ten.replace(hour=19))
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(RoundWindow)
                .where(RoundWindow.template_id == template_id)
            )
            == 1
        )


def test_a_window_nobody_opened_counts_the_registry_as_first_read(app, patrol):
    """The contrast: without the job, the first read after the acceptance fixes the window
    without the unit (what the job is for)."""
    estate_id, unit_id, template_id, ten = patrol
    with app.app_context():
        db.session.get(Unit, unit_id).status = "occupied"
        db.session.commit()
        assert unit_id not in _points(estate_id, template_id, ten.replace(hour=19))


def test_the_job_reads_only_schedules_when_every_open_window_is_fixed(app, patrol):
    """A second run finds nothing to open; a window not yet begun (before 08:00) is not fixed."""
    _estate_id, _unit_id, template_id, ten = patrol
    ours = sa.select(RoundWindow).where(RoundWindow.template_id == template_id)
    with app.app_context():
        windows.open_windows(db.session, ten.replace(hour=7))
        assert db.session.scalar(ours) is None
        assert windows.open_windows(db.session, ten) >= 1
        db.session.commit()
        assert db.session.scalar(ours) is not None
        assert windows.open_windows(db.session, ten + timedelta(minutes=5)) == 0


def test_two_openers_at_once_leave_one_row_and_no_error(app, patrol):
    """The job and a dashboard open the same window at the same moment: the second insert is
    ignored, not an IntegrityError (a 500 on the dashboard)."""
    _estate_id, _unit_id, template_id, ten = patrol
    with app.app_context():
        template = db.session.get(windows.RoundTemplate, template_id)
        row = {
            "template_id": template_id,
            "estate_id": template.estate_id,
            "start": ten.replace(hour=8),
            "end": ten.replace(hour=18),
            "checkpoints": [["unit", 1]],
        }
        windows._insert_windows(db.session, [row])
        windows._insert_windows(db.session, [dict(row, checkpoints=[])])
        db.session.commit()
        stored = db.session.scalars(
            sa.select(RoundWindow).where(RoundWindow.template_id == template_id)
        ).all()
        assert [w.checkpoints for w in stored] == [[["unit", 1]]]
