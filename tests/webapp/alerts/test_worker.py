"""An alert survives its worker: the worker process is killed (SIGKILL) while the email is in
flight (the SMTP server holding the message unanswered), and the alert is sent once, by the
next worker, when the lease runs out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.sync.conftest import codes_of, finding_op
from tests.webapp.alerts.conftest import deliveries, read
from tests.webapp.jobs.test_worker import _wait_for
from webapp.extensions import db
from webapp.jobs import engine
from webapp.jobs.engine import LEASE
from webapp.models.jobs import Job
from webapp.models.types import utcnow

ROOT = Path(__file__).resolve().parents[3]


def kill_mid_email(here, database_url, instance_dir, smtp, tmp_path, what: str) -> None:
    """A real worker (worker_main) runs the queued jobs until the SMTP server holds an email
    (``inbox.hold()`` before), is killed there (SIGKILL), and the server lets go."""
    inbox = smtp.handler
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.webapp.alerts.worker_main", database_url,
             str(instance_dir), here.url, here.name, str(smtp.port)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for(inbox.held.is_set, what, proc, log)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    inbox.release()


def critical(inbox) -> list:
    """The emails of critical findings (the tick also runs the watch on the demo's data)."""
    return [m for m in inbox.messages if read(m)["Subject"].startswith("緊急報事")]


def test_a_worker_killed_mid_send_leaves_the_alert_to_be_sent_once(
    app, phone, people, database_url, instance_dir, smtp, inbox, tmp_path
):
    """Critical finding pushed; a real worker fans it out and starts emailing; killed while
    the server holds the message: is the delivery still waiting (not sent, not lost), left
    alone while the lease runs, then sent by the next worker — one message, one delivery?"""
    here = engine.get(app)
    here.clock = utcnow
    code = codes_of(app, 1, "unit", 1)[0]
    inbox.hold()
    phone.push([finding_op(code, severity="critical")])

    kill_mid_email(here, database_url, instance_dir, smtp, tmp_path, "the email in flight")

    def send_job() -> tuple:
        with app.app_context():
            job = db.session.scalar(sa.select(Job).where(Job.kind == "alerts.send"))
            return job.state, job.attempts

    assert send_job() == ("running", 1)
    assert ("critical_finding", "supervisor", "email", "waiting") in deliveries(app)
    here.tick()
    here.work()
    assert send_job() == ("running", 1) and critical(inbox) == []

    later = utcnow() + LEASE + timedelta(seconds=1)
    here.clock = lambda: later
    here.tick()
    here.work()
    assert send_job() == ("done", 2)
    assert [m.rcpt_tos for m in critical(inbox)] == [["supervisor@example.test"]]
    assert deliveries(app, kind="critical_finding") == [
        ("critical_finding", "supervisor", "bell", "sent"),
        ("critical_finding", "supervisor", "email", "sent"),
    ]
    here.tick()
    here.work()
    assert len(critical(inbox)) == 1
