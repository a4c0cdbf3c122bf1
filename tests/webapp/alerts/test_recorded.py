"""The other alerts found where they happen: a key disputed and an op quarantined (in a push),
two refusals in a row at a vacant unit (the server's raised finding), a finding dispatched (the
review workflow) — each once, to its estate's right people only."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from tests.sync.conftest import T0, check_op, codes_of, lend_op
from tests.webapp.alerts.conftest import deliveries, events_of
from tests.webapp.review.conftest import make_finding
from webapp import alert_events as events
from webapp import vocab
from webapp.alerts import checks, recipients
from webapp.extensions import db
from webapp.models import LabelCode, Unit, User
from webapp.models.jobs import AlertEvent


def test_a_key_that_becomes_disputed_alerts_the_supervisor_and_desk_once(
    app, phone, people, seed, clock, jobs
):
    """A second lend with no return between disputes the key: one alert to estate 1's
    supervisor and desk; a third lend (still disputed) is no new one."""
    code = codes_of(app, seed.estate_ids[0], "key", 1, status="in")[0]
    phone.push([lend_op(code, T0, name="甲")])
    phone.push([lend_op(code, T0 + timedelta(minutes=10), name="乙")])
    phone.push([lend_op(code, T0 + timedelta(minutes=20), name="丙")])
    jobs()
    assert deliveries(app) == [
        ("key_disputed", "desk", "bell", "sent"),
        ("key_disputed", "supervisor", "bell", "sent"),
    ]


def test_a_quarantined_batch_is_one_alert(app, phone, people, seed, clock, jobs):
    """Three ops of a push rejected (unknown codes): is it one alert to the sender's estate's
    supervisor, and a replay of the batch none?"""
    bad = [check_op(f"NOPE{n}") for n in range(3)]
    phone.push(bad)
    phone.push(bad)
    jobs()
    assert deliveries(app) == [("op_quarantined", "supervisor", "bell", "sent")]


def _vacant_and_occupied(app, estate_id):
    with app.app_context():
        found = {}
        for status in ("vacant", "occupied"):
            found[status] = db.session.scalar(
                sa.select(LabelCode.code)
                .join(Unit, sa.and_(LabelCode.item_type == "unit", LabelCode.item_id == Unit.id))
                .where(Unit.estate_id == estate_id, Unit.status == status, LabelCode.active)
                .order_by(Unit.id.desc())
            )
        return found


def test_two_refusals_in_a_row_alert_only_at_a_vacant_unit(app, phone, people, seed, clock, jobs):
    """Two refusals in a row raise a finding at any unit; is it an alert only at a vacant one?"""
    T = T0.replace(year=2021)
    for code in _vacant_and_occupied(app, seed.estate_ids[0]).values():
        refused = {"result": "no_access", "answers": {"no_access": "refused"}}
        phone.push([check_op(code, T, **refused), check_op(code, T + timedelta(days=7), **refused)])
    jobs()
    assert deliveries(app) == [("refused_twice", "supervisor", "bell", "sent")]


def test_a_dispatch_alerts_the_departments_people_only(app, client, auth, people, seed, jobs):
    """Dispatched to engineering: the engineer hears of it, not the supervisor who did it;
    dispatched to cleaning (no users in the product): nobody."""
    with app.app_context():
        one, two = make_finding(seed.estate_ids[0]), make_finding(seed.estate_ids[0])
    auth.login("supervisor")
    for finding, department in ((one, "engineering"), (two, "cleaning")):
        token = auth.csrf("/review/findings")
        response = client.post(
            f"/review/findings/{finding}/move",
            data={"csrf_token": token, "to": "dispatched", "department": department},
        )
        assert response.status_code in (200, 303)
    jobs()
    assert deliveries(app) == [("finding_dispatched", "engineer", "bell", "sent")]
    assert len(events_of(app, "finding_dispatched")) == 2


def test_an_event_of_estate_one_never_reaches_estate_twos_supervisor(
    app, people, seed, clock, jobs
):
    """Every kind, recorded in estate 1: does supervisor2 (estate 2 only) hear of none, and
    estate 1's supervisor of each of theirs once, whatever sweeps run again?"""
    with app.app_context():
        for kind in ("notice_deadline", "stop_work", "key_chain_broken", "critical_finding"):
            events.record(
                db.session, kind, f"{kind}:{uuid.uuid4()}", occurred_at=clock.now,
                estate_id=seed.estate_ids[0], detail={"label": "3棟-2單元-15樓-1502室"},
            )  # fmt: skip
        db.session.commit()
    jobs()
    clock.advance(minutes=10)
    with app.app_context():
        from webapp.alerts import checks

        assert checks.sweep(db.session, clock.now) == 0  # all fanned out already
    people_heard = {user for _kind, user, _channel, _state in deliveries(app)}
    assert people_heard == {"supervisor"}
    assert len(deliveries(app)) == 4 + 1  # the critical finding's email too


SUPERVISORS = ("supervisor", "regional", "head")
# Who of estate 1 hears of each kind: its supervisor, the regional one (both estates), the
# head-office one (every estate, appointed to none); its desk, its engineer, the phone's user.
HEARD = {
    "critical_finding": SUPERVISORS,
    "major_violation": SUPERVISORS,
    "window_missed": SUPERVISORS,
    "key_overdue": (*SUPERVISORS, "desk"),
    "key_disputed": (*SUPERVISORS, "desk"),
    "refused_twice": SUPERVISORS,
    "op_quarantined": SUPERVISORS,
    "device_unsynced": (*SUPERVISORS, "patrol"),
    "finding_dispatched": ("engineer",),
    "finding_overdue": (*SUPERVISORS, "engineer"),
    "notice_deadline": SUPERVISORS,
    "stop_work": SUPERVISORS,
    "key_chain_broken": SUPERVISORS,
}


def test_each_kind_reaches_each_of_its_people_once_whatever_estates_they_see(
    app, people, seed, clock, jobs
):
    """Every kind but a person's own, recorded in estate 1: does each of its people hear of it
    once on the bell — a supervisor of that estate alone, of both, of every estate alike —
    and estate 2's supervisor of none, after the fan-out has run twice and a sweep?"""
    assert set(HEARD) == set(vocab.ALERT_KINDS) - recipients.PERSONAL
    with app.app_context():
        db.session.get(User, people["regional"]).active = True
        head = User(username="head", role="supervisor", display_name="總部", all_estates=True)
        head.set_password("head-office-pass")
        db.session.add(head)
        keys = [f"{kind}:{uuid.uuid4()}" for kind in HEARD]
        for kind, key in zip(HEARD, keys, strict=True):
            events.record(
                db.session, kind, key, occurred_at=clock.now,
                estate_id=seed.estate_ids[0],
                detail={"label": "1棟-1單元-1樓-101室", "department": "engineering",
                        "user_id": people["patrol"]},
            )  # fmt: skip
        db.session.commit()
    jobs()
    with app.app_context():
        again = sa.update(AlertEvent).where(AlertEvent.key.in_(keys))
        db.session.execute(again.values(dispatched_at=None))
        db.session.commit()
    clock.advance(minutes=10)
    with app.app_context():
        assert checks.sweep(db.session, clock.now) == len(HEARD)
        db.session.commit()
    jobs()
    bell = [(kind, user) for kind, user, channel, _state in deliveries(app) if channel == "bell"]
    assert sorted(bell) == sorted((kind, user) for kind, users in HEARD.items() for user in users)
    every = [row[:3] for row in deliveries(app)]
    assert len(every) == len(set(every))


def test_a_supervisor_of_several_estates_or_of_every_estate_hears_each_estates_events(
    app, people, seed, clock, jobs
):
    """Does a regional supervisor (appointed to both estates) and a supervisor who sees every
    estate (no appointment at all) hear of each estate's event, while each estate's own
    supervisor hears only of theirs?"""
    with app.app_context():
        db.session.get(User, people["regional"]).active = True
        head = User(username="head", role="supervisor", display_name="總部", all_estates=True)
        head.set_password("head-office-pass")
        db.session.add(head)
        for kind, estate_id in (("key_chain_broken", 0), ("stop_work", 1)):
            events.record(
                db.session, kind, f"{kind}:{uuid.uuid4()}", occurred_at=clock.now,
                estate_id=seed.estate_ids[estate_id], detail={"label": "1棟-1單元-1樓-101室"},
            )  # fmt: skip
        db.session.commit()
    jobs()
    heard = sorted((user, kind) for kind, user, _channel, _state in deliveries(app))
    assert heard == [
        ("head", "key_chain_broken"),
        ("head", "stop_work"),
        ("regional", "key_chain_broken"),
        ("regional", "stop_work"),
        ("supervisor", "key_chain_broken"),
        ("supervisor2", "stop_work"),
    ]
