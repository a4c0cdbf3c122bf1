"""Alerts a push finds: a critical finding or a major violation reaches the estate's
supervisors at once (bell and email), nobody else and nobody of another estate, once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.sync.conftest import codes_of, finding_op
from tests.webapp.alerts.conftest import choose, deliveries, events_of, read
from webapp.extensions import db
from webapp.models.jobs import Job

TAIPEI = ZoneInfo("Asia/Taipei")


def test_a_critical_finding_reaches_the_estates_supervisor_once(
    app, phone, people, inbox, clock, jobs
):
    """A patroller of estate 1 reports a critical finding: does estate 1's supervisor get it on
    the bell and by email, once, in zh-Hant with a link to the finding — and nobody else, not
    estate 2's supervisor, not the engineer or the desk?"""
    code = codes_of(app, 1, "unit", 1)[0]
    sent = finding_op(code, severity="critical", category="漏水", note="水管爆裂")
    assert phone.push([sent]).status_code == 200
    with app.app_context():  # the push's commit submitted the fan-out
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1
    jobs()
    assert deliveries(app) == [
        ("critical_finding", "supervisor", "bell", "sent"),
        ("critical_finding", "supervisor", "email", "sent"),
    ]
    [mail] = inbox.messages
    assert mail.rcpt_tos == ["supervisor@example.test"]
    parsed = read(mail)
    assert parsed["Subject"].startswith("緊急報事：")
    link = f"http://127.0.0.1:5000/review/findings/{sent['payload']['id']}"
    assert link in parsed.get_content() and "水管爆裂" in parsed.get_content()

    # The same op again (a phone's replay) and another fan-out: nothing new.
    assert phone.push([sent]).get_json()["results"][0]["status"] == "duplicate"
    jobs()
    assert len(events_of(app, "critical_finding")) == 1
    assert len(inbox.messages) == 1


def test_a_major_violation_reads_in_the_readers_language(app, phone, people, inbox, clock, jobs):
    """A critical finding of a renovation round (裝修違規) is a major violation; does a
    supervisor who reads English get it in English?"""
    with app.app_context():
        from webapp.models import User

        db.session.get(User, people["supervisor"]).locale = "en"
        db.session.commit()
    code = codes_of(app, 1, "unit", 1)[0]
    phone.push([finding_op(code, severity="critical", category="裝修違規", note="打鑿承重牆")])
    jobs()
    assert [k for k, *_ in deliveries(app)] == ["major_violation", "major_violation"]
    [mail] = inbox.messages
    assert read(mail)["Subject"].startswith("Major violation: ")


def test_a_medium_finding_alerts_nobody(app, phone, people, inbox, clock, jobs):
    """Is a finding below critical no alert at all?"""
    code = codes_of(app, 1, "unit", 1)[0]
    phone.push([finding_op(code, severity="high")])
    jobs()
    assert deliveries(app) == [] and inbox.messages == []


def test_email_only_for_those_who_chose_it(app, phone, people, inbox, clock, jobs):
    """A supervisor who turned email off for critical findings gets the bell alone."""
    choose(app, people["supervisor"], choices={"critical_finding": ["bell"]})
    code = codes_of(app, 1, "unit", 1)[0]
    phone.push([finding_op(code, severity="critical")])
    jobs()
    assert deliveries(app) == [("critical_finding", "supervisor", "bell", "sent")]
    assert inbox.messages == []


def test_a_critical_finding_comes_through_quiet_hours_unless_turned_off(
    app, phone, people, inbox, clock, jobs
):
    """Quiet hours all day but a minute: is a critical finding emailed at once, and held when
    the supervisor turned "come through" off?"""
    start = (clock.now + timedelta(minutes=2)).astimezone(TAIPEI).strftime("%H:%M")
    end = (clock.now + timedelta(minutes=1)).astimezone(TAIPEI).strftime("%H:%M")
    choose(app, people["supervisor"], quiet_start=start, quiet_end=end)
    code = codes_of(app, 1, "unit", 1)[0]
    phone.push([finding_op(code, severity="critical")])
    jobs()
    assert len(inbox.messages) == 1
    choose(app, people["supervisor"], urgent_through_quiet=False)
    phone.push([finding_op(code, severity="critical")])
    jobs()
    assert len(inbox.messages) == 1
    assert ("critical_finding", "supervisor", "email", "waiting") in deliveries(app)


def test_a_place_typed_on_two_lines_still_comes_by_email(app, phone, people, inbox, seed, jobs):
    """A critical finding reported at a place typed on two lines (no label: B1, a line break,
    停車場): did its email fail on every try? The title names the place, and a line break in a
    Subject is refused by Python's email, so the supervisor's email waited and never came. It
    comes, its Subject on one line."""
    sent = finding_op(
        None, severity="critical", category="漏水", note="水管爆裂",
        estate_id=seed.estate_ids[0], location="B1\r\n停車場\u2028東側",
    )  # fmt: skip
    assert phone.push([sent]).get_json()["results"][0]["status"] == "applied"
    jobs()
    assert ("critical_finding", "supervisor", "email", "sent") in deliveries(app)
    [mail] = inbox.messages
    assert read(mail)["Subject"] == "緊急報事：B1 停車場 東側"
