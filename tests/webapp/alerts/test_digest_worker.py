"""A digest survives its worker: killed halfway through making it (its files stored, its row
not yet), and killed while its email is in flight (a real worker process, SIGKILL) — each
time the digest is made once and emailed once."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import sqlalchemy as sa

from tests.webapp.alerts.conftest import choose, read
from tests.webapp.alerts.test_digests import TAIPEI, local, made, run_at
from tests.webapp.alerts.test_worker import kill_mid_email
from webapp import alert_events as events
from webapp.alerts import digests
from webapp.extensions import db
from webapp.jobs import engine
from webapp.jobs.engine import LEASE
from webapp.models.alerts import AlertDelivery
from webapp.models.digests import AlertDigest
from webapp.models.jobs import AlertEvent, Job
from webapp.models.types import utcnow


class Killed(BaseException):
    """The worker dies here (nothing of the engine catches it, as nothing catches SIGKILL)."""


def job_of(app, kind: str) -> tuple:
    with app.app_context():
        job = db.session.scalar(sa.select(Job).where(Job.kind == kind))
        return job.state, job.attempts


def digest_mails(inbox) -> list:
    return [m for m in inbox.messages if read(m)["Subject"].startswith("每日摘要")]


def test_a_worker_dying_mid_digest_leaves_it_to_be_made_once(
    app, clock, jobs, people, inbox, monkeypatch
):
    """The make job dies after storing its files, before its last commit: no digest, no
    event, the job running; nothing happens while its lease runs; after it, the next tick
    queues it again and it is made once, emailed once, its files the second try's."""
    today = clock.now.astimezone(TAIPEI).date()
    choose(app, people["supervisor"], digest_daily=True, digest_hour=6)
    real = events.record
    calls = []

    def dies_once(session, kind, key, **kwargs):
        if key.startswith("digest:"):  # the watch records its own events on the demo's data
            calls.append(key)
            if len(calls) == 1:
                raise Killed
        return real(session, kind, key, **kwargs)

    monkeypatch.setattr(digests.events, "record", dies_once)
    at = local(today, 6, 0)
    clock.set(at)
    engine.get(app).tick()
    with contextlib.suppress(Killed):
        jobs()
    assert job_of(app, "digests.make") == ("running", 1)
    with app.app_context():
        db.session.remove()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertDigest)) == 0
        job = db.session.scalar(sa.select(Job).where(Job.kind == "digests.make"))
        assert sorted(job.result["files"]) == ["digest.pdf", "digest.xlsx"]  # stored, listed

    run_at(app, clock, jobs, at + timedelta(seconds=30))
    assert job_of(app, "digests.make") == ("running", 1) and made(app) == []
    run_at(app, clock, jobs, at + LEASE + timedelta(minutes=1))
    assert job_of(app, "digests.make") == ("done", 2)
    assert made(app) == [("supervisor", "daily", today.isoformat())]
    run_at(app, clock, jobs, at + timedelta(hours=2))
    assert len(digest_mails(inbox)) == 1
    assert calls == [f"digest:daily:{people['supervisor']}:{today}"] * 2


def test_a_worker_killed_while_the_digest_email_is_in_flight_sends_it_once(
    app, people, database_url, instance_dir, smtp, inbox, tmp_path
):
    """The digest due, a real worker makes it and starts emailing; killed while the server
    holds the message: the digest is made, its email waiting; after the lease the next worker
    sends it — one digest, one message."""
    here = engine.get(app)
    here.clock = utcnow
    choose(app, people["supervisor"], digest_daily=True, digest_hour=0)
    with app.app_context():
        assert digests.submit_due(db.session, here, utcnow()) == 1
        db.session.commit()
    inbox.hold()
    kill_mid_email(here, database_url, instance_dir, smtp, tmp_path, "the digest's email in flight")

    def email() -> tuple:
        with app.app_context():
            return tuple(
                db.session.execute(
                    sa.select(AlertDelivery.state, Job.state, Job.attempts)
                    .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
                    .join(Job, Job.key == AlertDelivery.key)
                    .where(AlertEvent.kind == "digest_daily", AlertDelivery.channel == "email")
                ).one()
            )

    assert job_of(app, "digests.make") == ("done", 1)
    assert email() == ("waiting", "running", 1)
    later = utcnow() + LEASE + timedelta(seconds=1)
    here.clock = lambda: later
    here.tick()
    here.work()
    assert email() == ("sent", "done", 2)
    here.tick()
    here.work()
    assert [m.rcpt_tos for m in digest_mails(inbox)] == [["supervisor@example.test"]]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertDigest)) == 1
