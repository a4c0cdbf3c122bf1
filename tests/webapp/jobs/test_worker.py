"""A job outlives its worker: huey's consumer in a process of its own is killed (SIGKILL)
mid-job, and the job is run again, once, to the end — on the SQLite queue and on Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from webapp.extensions import db
from webapp.jobs.engine import LEASE
from webapp.models.jobs import Job
from webapp.models.types import utcnow

ROOT = Path(__file__).resolve().parents[3]


def _wait_for(condition, what: str, proc, log: Path, limit: float = 90.0) -> None:
    """Wait for an event of the other process (not a timed assertion: the limit only stops
    a hung test)."""
    end = time.monotonic() + limit
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the worker exited before {what}:\n{log.read_text()}")
        if time.monotonic() > end:
            raise AssertionError(f"no {what} after {limit} s:\n{log.read_text()}")
        time.sleep(0.05)


def test_a_job_whose_worker_is_killed_mid_job_runs_again_once(
    app, database_url, instance_dir, engines, tmp_path
):
    """Queued before any worker runs (kept by the queue), started by a real consumer process,
    that process killed mid-job: is the job left alone while its lease runs, then run again
    once by another consumer when the lease is over — done, its output stored, its work
    counted once?"""
    here = engines()
    here.clock = utcnow
    with app.app_context():
        job_id = here.submit(db.session, "test.blocking", {"dir": str(tmp_path)}).id
        db.session.commit()

    log = tmp_path / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.webapp.jobs.worker_main", database_url,
             str(instance_dir), here.url, here.name],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for((tmp_path / "started-1").exists, "the job's start", proc, log)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    def row() -> Job:
        with app.app_context():
            job = db.session.get(Job, job_id)
            db.session.expunge(job)
            return job

    job = row()
    assert (job.state, job.attempts) == ("running", 1)
    assert job.lease_until > utcnow()

    here.tick()  # the lease still runs: nobody may take the job
    here.work()
    assert row().state == "running" and not (tmp_path / "started-2").exists()

    later = utcnow() + LEASE + timedelta(seconds=1)
    here.clock = lambda: later
    here.tick()
    here.tick()
    here.work()
    job = row()
    assert (job.state, job.attempts, job.result["ran"]) == ("done", 2, 2)
    assert (tmp_path / "done").read_text().splitlines() == [job_id]  # finished once
    assert here.blobs.get(job.result["files"]["out.txt"]) == b"finished"
