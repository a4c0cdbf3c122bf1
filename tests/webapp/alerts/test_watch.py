"""The alerts found by time (alerts.watch every five minutes): a window closed with missed
checkpoints, a key overdue, a finding past its due date, a device holding unsynced records —
each once, to the right people of the right estate, within their quiet hours and thresholds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from tests.webapp.alerts.conftest import choose, deliveries, events_of, read
from webapp.extensions import db
from webapp.jobs import engine
from webapp.models import Device, Estate, Key, Unit, User
from webapp.models.alerts import AlertDelivery
from webapp.models.jobs import AlertEvent, Job
from webapp.models.review import FindingState
from webapp.models.rounds import RoundTemplate
from webapp.models.sync import Finding
from webapp.rounds.service import new_round

TAIPEI = "Asia/Taipei"


def _watch(app, clock, jobs) -> dict:
    """One run of the watch job at the clock's time, then every job it led to."""
    with app.app_context():
        job_id = engine.get(app).submit(db.session, "alerts.watch").id
        db.session.commit()
    jobs()
    with app.app_context():
        return db.session.get(Job, job_id).result


def test_a_window_that_closed_with_missed_checkpoints_alerts_its_supervisor_once(
    app, people, seed, inbox, clock, jobs
):
    """A round of three units, its 08:00–09:00 window closed with none checked: is it one
    alert to estate 1's supervisor (the count, a link to that day's grid), and the next run
    nothing new — and nothing to estate 2's?"""
    with app.app_context():
        db.session.execute(sa.update(RoundTemplate).values(active=False))
        estate = db.session.get(Estate, seed.estate_ids[0])
        units = db.session.scalars(
            sa.select(Unit.id).where(Unit.estate_id == estate.id).order_by(Unit.id).limit(3)
        ).all()
        template = new_round(
            db.session, estate, "custom", "早班巡查", [{"start": "08:00", "end": "09:00"}],
            date(2030, 3, 4), period_days=7,
        )  # fmt: skip
        template.items = [["unit", u] for u in units]
        db.session.commit()
    clock.set(datetime(2030, 3, 4, 1, 10, tzinfo=UTC))  # 09:10 in Taipei
    assert _watch(app, clock, jobs)["windows"] == 1
    assert _watch(app, clock, jobs)["windows"] == 0
    assert deliveries(app) == [("window_missed", "supervisor", "bell", "sent")]
    [event] = events_of(app, "window_missed")
    assert (event.detail["missed"], event.detail["expected"]) == (3, 3)
    with app.test_request_context():
        from webapp.alerts import messages

        with app.app_context():
            text = messages.render(db.session, db.session.get(type(event), event.id))
    assert text.path == f"/rounds/coverage?estate={seed.estate_ids[0]}&date=2030-03-04"
    assert "3" in text.title


def _lent_key(app, estate_id: int, due: datetime) -> int:
    with app.app_context():
        key = db.session.scalar(
            sa.select(Key).where(Key.estate_id == estate_id, Key.status == "in").order_by(Key.id)
        )
        key.status, key.holder_name, key.due_back = "out", "陳師傅", due
        key.last_event_id = "lend-1"
        db.session.commit()
        return key.id


def test_a_key_overdue_alerts_the_supervisor_and_the_desk_once(
    app, people, seed, inbox, clock, jobs
):
    """A key due back an hour ago: one alert to estate 1's supervisor and front desk (bell;
    email only for those who chose it), none to estate 2's supervisor; no second one."""
    now = clock.set(datetime(2030, 3, 4, 6, 0, tzinfo=UTC))
    _lent_key(app, seed.estate_ids[0], now - timedelta(hours=1))
    choose(app, people["desk"], choices={"key_overdue": ["bell", "email"]})
    _watch(app, clock, jobs)
    clock.advance(minutes=5)
    _watch(app, clock, jobs)
    assert deliveries(app, kind="key_overdue") == [
        ("key_overdue", "desk", "bell", "sent"),
        ("key_overdue", "desk", "email", "sent"),
        ("key_overdue", "supervisor", "bell", "sent"),
    ]
    [mail] = inbox.messages
    assert read(mail)["Subject"].startswith("鑰匙逾期未還：")


def test_quiet_hours_hold_email_but_not_an_urgent_one(app, people, seed, inbox, clock, jobs):
    """Quiet 22:00–07:00 (Taipei): is an overdue key at 23:00 on the bell at once and emailed
    at 07:00, not a minute before?"""
    choose(
        app, people["supervisor"], quiet_start="22:00", quiet_end="07:00",
        choices={"key_overdue": ["bell", "email"]},
    )  # fmt: skip
    now = clock.set(datetime(2030, 3, 4, 15, 0, tzinfo=UTC))  # 23:00 Taipei
    _lent_key(app, seed.estate_ids[0], now - timedelta(minutes=30))
    _watch(app, clock, jobs)
    assert deliveries(app, kind="key_overdue") == [
        ("key_overdue", "desk", "bell", "sent"),
        ("key_overdue", "supervisor", "bell", "sent"),
        ("key_overdue", "supervisor", "email", "waiting"),
    ]
    assert inbox.messages == []
    clock.set(datetime(2030, 3, 4, 22, 59, tzinfo=UTC))  # 06:59
    jobs()
    assert inbox.messages == []
    clock.set(datetime(2030, 3, 4, 23, 0, tzinfo=UTC))  # 07:00
    jobs()
    assert [m.rcpt_tos for m in inbox.messages] == [["supervisor@example.test"]]


def test_a_finding_past_due_alerts_its_department_and_the_supervisor(
    app, people, seed, clock, jobs
):
    """A finding dispatched to engineering, due yesterday: the supervisor and the engineer
    hear of it, once per due date; a finding already fixed is no alert."""
    now = clock.set(datetime(2030, 3, 4, 6, 0, tzinfo=UTC))
    with app.app_context():
        found = db.session.scalars(
            sa.select(Finding).where(Finding.estate_id == seed.estate_ids[0]).limit(2)
        ).all()
        for finding, status in zip(found, ("dispatched", "fixed"), strict=True):
            state = db.session.get(FindingState, finding.id) or FindingState(
                finding_id=finding.id, estate_id=finding.estate_id
            )
            state.status = finding.status = status
            state.department, state.due_at = "engineering", now - timedelta(hours=3)
            db.session.add(state)
        db.session.commit()
    _watch(app, clock, jobs)
    _watch(app, clock, jobs)
    assert deliveries(app, kind="finding_overdue") == [
        ("finding_overdue", "engineer", "bell", "sent"),
        ("finding_overdue", "supervisor", "bell", "sent"),
    ]


def test_a_device_holding_unsynced_records_alerts_at_each_persons_threshold(
    app, people, seed, clock, jobs
):
    """The patroller's phone holds 5 records since its sync 5 hours ago: the supervisor
    (default 4 h) and the phone's user hear of it now, a supervisor who chose 8 h at 8 h —
    unless the phone syncs before."""
    now = clock.set(datetime(2030, 3, 4, 6, 0, tzinfo=UTC))
    with app.app_context():
        patrol = db.session.get(User, people["patrol"])
        device, _token = Device.issue(patrol, "巡查手機")
        device.pending_count, device.last_sync_at = 5, now - timedelta(hours=5)
        db.session.add(device)
        other = User(username="supervisor1b", role="supervisor", display_name="李主管")
        other.set_password("x" * 12)
        other.estates = [db.session.get(Estate, seed.estate_ids[0])]
        db.session.add(other)
        db.session.commit()
        later_id, device_id = other.id, device.id
    from webapp.models.alerts import AlertPreference

    with app.app_context():
        db.session.add(AlertPreference(user_id=later_id, choices={}, unsynced_hours=8))
        db.session.commit()
    _watch(app, clock, jobs)
    assert deliveries(app, kind="device_unsynced") == [
        ("device_unsynced", "patrol", "bell", "sent"),
        ("device_unsynced", "supervisor", "bell", "sent"),
        ("device_unsynced", "supervisor1b", "bell", "waiting"),
    ]
    clock.advance(hours=3, minutes=1)
    jobs()
    assert ("device_unsynced", "supervisor1b", "bell", "sent") in deliveries(
        app, kind="device_unsynced"
    )

    # Another episode: the phone syncs before the 8 h threshold, the held alert is dropped.
    with app.app_context():
        device = db.session.get(Device, device_id)
        device.last_sync_at = clock.now - timedelta(hours=4, minutes=30)
        db.session.commit()
    _watch(app, clock, jobs)
    with app.app_context():
        db.session.get(Device, device_id).pending_count = 0
        db.session.commit()
    clock.advance(hours=4)
    jobs()
    with app.app_context():
        held = db.session.scalars(
            sa.select(AlertDelivery.state)
            .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
            .where(AlertDelivery.user_id == later_id, AlertEvent.kind == "device_unsynced")
        ).all()
    assert sorted(held) == ["sent", "skipped"]


def _head_office_phone(now) -> None:
    """A head-office supervisor (every estate, appointed to none) and their phone, holding 3
    records since a sync 5 hours before ``now`` (inside an app context; committed)."""
    head = User(username="hqsup", role="supervisor", display_name="總部主管", all_estates=True)
    head.set_password("x" * 12)
    db.session.add(head)
    db.session.flush()
    device, _token = Device.issue(head, "總部手機")
    device.pending_count, device.last_sync_at = 3, now - timedelta(hours=5)
    db.session.add(device)
    db.session.commit()


def test_the_phone_of_a_supervisor_who_sees_every_estate_alerts_each_estate(
    app, people, seed, clock, jobs
):
    """A head-office supervisor (every estate, appointed to none) whose phone holds records
    since a sync 5 hours ago: each estate records the event (the review's phone table lists
    the phone in each, scoping.people_of), so its supervisor and the phone's user hear of it —
    the check joined the appointments alone, and nobody heard."""
    now = clock.set(datetime(2030, 3, 4, 6, 0, tzinfo=UTC))
    with app.app_context():
        _head_office_phone(now)
    _watch(app, clock, jobs)
    assert sorted(e.estate_id for e in events_of(app, "device_unsynced")) == sorted(
        seed.estate_ids[:2]
    )
    heard = {(user, channel) for _k, user, channel, _s in deliveries(app, kind="device_unsynced")}
    assert {("hqsup", "bell"), ("supervisor", "bell"), ("supervisor2", "bell")} <= heard


def test_a_phone_seen_in_several_estates_is_one_alert_to_each_person(
    app, people, seed, clock, jobs
):
    """The phone of a head-office supervisor holds records: an event per estate (each estate's
    phones table lists it), but does each person hear of it once — the phone's own user and
    the regional supervisor (they see both estates) as much as each estate's own supervisor —
    and again once after the next runs and a sweep?"""
    now = clock.set(datetime(2030, 3, 4, 6, 0, tzinfo=UTC))
    with app.app_context():
        db.session.get(User, people["regional"]).active = True
        _head_office_phone(now)
    _watch(app, clock, jobs)
    clock.advance(minutes=5)
    _watch(app, clock, jobs)
    assert len(events_of(app, "device_unsynced")) == 2
    assert deliveries(app, kind="device_unsynced") == [
        ("device_unsynced", "hqsup", "bell", "sent"),
        ("device_unsynced", "regional", "bell", "sent"),
        ("device_unsynced", "supervisor", "bell", "sent"),
        ("device_unsynced", "supervisor2", "bell", "sent"),
    ]


def test_a_phone_of_a_closed_estate_and_an_open_one_alerts_through_the_open_one(
    app, people, seed, clock, jobs
):
    """The regional supervisor's phone (appointed to both estates) holds records and estate 1
    is closed: the event of estate 1 reaches nobody, so do the phone's user and estate 2's
    supervisor still hear of it once, through estate 2?"""
    now = clock.set(datetime(2030, 3, 4, 6, 0, tzinfo=UTC))
    with app.app_context():
        regional = db.session.get(User, people["regional"])
        regional.active = True
        db.session.get(Estate, seed.estate_ids[0]).active = False
        device, _token = Device.issue(regional, "區域手機")
        device.pending_count, device.last_sync_at = 3, now - timedelta(hours=5)
        db.session.add(device)
        db.session.commit()
    _watch(app, clock, jobs)
    assert deliveries(app, kind="device_unsynced") == [
        ("device_unsynced", "regional", "bell", "sent"),
        ("device_unsynced", "supervisor2", "bell", "sent"),
    ]
