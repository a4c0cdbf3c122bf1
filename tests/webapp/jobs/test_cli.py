"""``flask jobs``: the worker command as production runs it, and the list and run commands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models.jobs import Job

ROOT = Path(__file__).resolve().parents[3]


def test_the_worker_command_runs_what_the_app_queued_and_stops_on_sigint(
    app, database_url, tmp_path
):
    """Does ``flask jobs worker``, configured by the environment alone, run a job the app
    queued (``flask jobs run``), and stop cleanly on SIGINT (systemd's stop signal)?"""
    runner = app.test_cli_runner()
    queued = runner.invoke(args=["jobs", "run", "jobs.purge"])
    assert queued.exit_code == 0, queued.output
    job_id = queued.output.split("job ")[1].split(".")[0]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ROUNDS_INSTANCE": str(tmp_path),
        "JOBS_QUEUE_URL": app.config["JOBS_QUEUE_URL"],
        "JOBS_QUEUE_NAME": app.config["JOBS_QUEUE_NAME"],
        "REDIS_URL": "",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "webapp", "jobs", "worker", "--threads", "1"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        end = time.monotonic() + 90
        while True:
            with app.app_context():
                state = db.session.scalar(sa.select(Job.state).where(Job.id == job_id))
            if state == "done" or proc.poll() is not None or time.monotonic() > end:
                break
            time.sleep(0.1)
        assert state == "done", log.read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    assert code == 0, log.read_text()
    assert "Job worker: 1 thread(s)" in log.read_text()
    listed = runner.invoke(args=["jobs", "list", "--state", "done"])
    assert job_id in listed.output and "jobs.purge" in listed.output


def test_run_refuses_an_unknown_kind(app):
    """Is ``flask jobs run`` of a kind nobody declared refused, naming the kinds there are?"""
    result = app.test_cli_runner().invoke(args=["jobs", "run", "no.such"])
    assert result.exit_code == 1 and "jobs.purge" in result.output
