"""Digests rows: the daily digests of 50 supervisors over 5 demo estates (200 units each, a
month of history) — 40 of one estate each and 10 regional supervisors of all five — made (the
numbers, the PDF, the workbook), put on the bell and emailed with both files through a real
SMTP server on loopback, in one run of the jobs; against one supervisor's digest of one estate
in the same run."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from bench.bench_alerts import _free_port, _Sink
from bench.common import Row, bench_app, best_of
from webapp.alerts import digests
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db
from webapp.jobs import engine
from webapp.models import Estate, User
from webapp.models.alerts import AlertPreference
from webapp.models.digests import AlertDigest
from webapp.models.jobs import Job

ESTATES = 5
SINGLE = 40  # supervisors of one estate each (8 per estate)
REGIONAL = 10  # supervisors of all five
TARGET_S = 60.0  # all out within a minute of their hour, on one worker


def _supervisor(estates: list[Estate]) -> int:
    user = User(username=f"sup{uuid.uuid4().hex[:8]}", role="supervisor", password_hash="!")  # noqa: S106
    user.estates = estates
    db.session.add(user)
    db.session.flush()
    db.session.add(
        AlertPreference(user_id=user.id, choices={}, email=f"{user.username}@example.test",
                        digest_daily=True, digest_hour=0)
    )  # fmt: skip
    return user.id


def _run(app) -> tuple[float, float, float]:
    """Submit the digests due now and run every job they make; (seconds, seconds in the make
    jobs themselves, CPU seconds of this process)."""
    jobs = engine.get(app)
    cpu = time.process_time()
    started = time.perf_counter()
    digests.submit_due(db.session, jobs, datetime.now(UTC))
    db.session.commit()
    while jobs.work():
        pass
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    making = sum(
        (done - began).total_seconds()
        for began, done in db.session.execute(
            sa.select(Job.started_at, Job.finished_at).where(
                Job.kind == "digests.make", Job.state == "done"
            )
        )
    )
    return seconds, making, cpu


def rows() -> list[Row]:
    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with bench_app(
            JOBS_QUEUE_URL="memory://",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_FROM="rounds@example.test",
            SMTP_STARTTLS=False,
        ) as app:
            estates = build_demo(db.session, DemoOptions(estates=ESTATES)).estates
            db.session.commit()
            _supervisor([estates[0]])
            db.session.commit()
            one_s, one_make, one_cpu = _run(app)
            for n in range(SINGLE):
                _supervisor([estates[n % ESTATES]])
            for _ in range(REGIONAL):
                _supervisor(list(estates))
            db.session.commit()
            all_s, all_make, all_cpu = _run(app)
            made = db.session.scalar(sa.select(sa.func.count()).select_from(AlertDigest))

            def nothing_due():
                digests.submit_due(db.session, engine.get(app), datetime.now(UTC))
                db.session.rollback()

            quiet_s = best_of(nothing_due, 3)
    finally:
        controller.stop()
    people = SINGLE + REGIONAL
    return [
        Row(
            f"daily digests of {people} supervisors over {ESTATES} estates "
            f"({SINGLE} of one, {REGIONAL} of all): made, on the bell, emailed with PDF + XLSX",
            all_s,
            "s",
            "one supervisor's digest of one estate",
            one_s,
            target=f"≤ {TARGET_S:.0f} s",
            met=all_s <= TARGET_S and made == people + 1 and sink.count == people + 1,
        ),
        Row(
            f"  the make jobs alone ({made - 1} digests: numbers, PDF, workbook)",
            all_make - one_make,
            "s",
            "one digest's make job",
            one_make,
        ),
        Row(
            "  CPU time of that run (this process: SQLite, the jobs, the SMTP server)",
            all_cpu,
            "s",
            "one digest's",
            one_cpu,
        ),  # fmt: skip
        Row("  a due check with nothing due (every five minutes)", quiet_s * 1000, "ms"),
    ]
