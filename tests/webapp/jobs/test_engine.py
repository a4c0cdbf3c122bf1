"""The job engine (webapp/jobs/engine.py) on the SQLite queue and on Redis: jobs run once,
retry with back-off, are queued only when their transaction commits, and outlive a lost
message. Time is a clock the test moves (tests/webapp/jobs/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from webapp.extensions import db
from webapp.jobs import engine
from webapp.jobs.queue import make_huey
from webapp.models.jobs import Job


def _job(app, job_id) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def _submit(app, eng, kind, params=None, **options) -> str:
    with app.app_context():
        job = eng.submit(db.session, kind, params, **options)
        db.session.commit()
        return job.id


def test_a_job_runs_once_and_its_key_makes_a_second_submit_the_same_job(app, engines):
    """Is a job queued on commit and run once; is a second submit with its key that job?"""
    eng = engines()
    first = _submit(app, eng, "test.record", key="event:42")
    again = _submit(app, eng, "test.record", key="event:42")
    assert again == first
    assert eng.work() == 1
    assert eng.work() == 0
    job = _job(app, first)
    assert (job.state, job.attempts, job.result) == ("done", 1, {"ran": 1})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1


def test_a_rolled_back_submit_queues_nothing_and_a_taken_key_drops_no_other_job(app, engines):
    """Does a rollback leave no job and no message; and when one submit of a transaction meets
    a key already taken, is the transaction's other job still queued at commit?"""
    eng = engines()
    taken = _submit(app, eng, "test.record", key="slot-1")
    assert eng.work() == 1
    with app.app_context():
        eng.submit(db.session, "test.record")
        db.session.rollback()
    assert eng.huey.pending_count() == 0
    with app.app_context():
        kept = eng.submit(db.session, "test.record").id
        # Another process takes the key between this submit's look and its insert.
        real, looks = db.session.scalar, []

        def blind_first_look(*args, **kwargs):
            looks.append(args)
            return None if len(looks) == 1 else real(*args, **kwargs)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(db.session, "scalar", blind_first_look)
            assert eng.submit(db.session, "test.record", key="slot-1").id == taken
        db.session.commit()
    assert eng.work() == 1
    assert _job(app, kept).state == "done" and _job(app, taken).attempts == 1


def test_a_failing_job_is_retried_with_doubling_back_off(app, engines, clock, test_kinds):
    """Does a job that fails twice run again 10 s, then 20 s later (not a moment before, by
    the test's clock), and then finish — its tries and their times on record?"""
    eng = engines()
    t0 = clock.now
    job_id = _submit(app, eng, "test.flaky", {"succeed_on": 3})
    assert eng.work() == 1
    job = _job(app, job_id)
    assert (job.state, job.attempts, job.run_after) == ("queued", 1, t0 + timedelta(seconds=10))
    assert job.message == "RuntimeError"
    clock.advance(seconds=9.9)
    assert eng.work() == 0  # the retry waits in huey's schedule
    clock.advance(seconds=0.1)
    assert eng.work() == 1
    assert _job(app, job_id).run_after == t0 + timedelta(seconds=30)
    clock.advance(seconds=19)
    assert eng.work() == 0
    clock.advance(seconds=1)
    assert eng.work() == 1
    job = _job(app, job_id)
    assert (job.state, job.attempts, job.message) == ("done", 3, "")
    assert [(attempt, at - t0) for _kind, attempt, at in test_kinds] == [
        (1, timedelta(0)),
        (2, timedelta(seconds=10)),
        (3, timedelta(seconds=30)),
    ]


def test_a_job_fails_after_its_last_try_or_at_once_when_it_says_so(app, engines, clock):
    """Does a job that keeps failing stop after its tries (failed, named), and does Failed
    stop it at the first try with its own message?"""
    eng = engines()
    stubborn = _submit(app, eng, "test.flaky")
    hopeless = _submit(app, eng, "test.flaky", {"give_up": True})
    for _ in range(4):
        eng.work()
        clock.advance(minutes=5)
    job = _job(app, stubborn)
    assert (job.state, job.attempts, job.message) == ("failed", 3, "RuntimeError")
    job = _job(app, hopeless)
    assert (job.state, job.attempts) == ("failed", 1)
    assert job.message == "這張表不會變好：Nothing to retry."


def test_a_job_whose_message_was_lost_is_queued_again(app, engines, clock, monkeypatch):
    """When the queue loses a message (Redis restarted without its data), does the next tick
    after five minutes queue the job again — and not before?"""
    monkeypatch.setattr(engine, "SCHEDULES", {})
    eng = engines()
    job_id = _submit(app, eng, "test.record")
    eng.huey.flush()
    clock.advance(minutes=4)
    eng.tick()
    assert eng.work() == 0
    clock.advance(minutes=2)
    eng.tick()
    assert eng.work() == 1
    assert _job(app, job_id).state == "done"


def test_an_unknown_kind_is_refused_at_submit(app, engines):
    """Is a job of a kind nobody declared refused when submitted, not lost in the queue?"""
    eng = engines()
    with app.app_context(), pytest.raises(ValueError, match="unknown job kind"):
        eng.submit(db.session, "no.such.kind")


def test_the_app_queues_in_its_instance_unless_told(tmp_path):
    """Does the default queue sit in the instance folder, and REDIS_URL move it to Redis?"""
    from webapp.config import from_env

    assert from_env({"SECRET_KEY": "k"}, instance=tmp_path)["JOBS_QUEUE_URL"] is None
    redis = from_env({"SECRET_KEY": "k", "REDIS_URL": "redis://h:6379/2"}, instance=tmp_path)
    assert redis["JOBS_QUEUE_URL"] == "redis://h:6379/2"
    own = from_env({"SECRET_KEY": "k", "JOBS_QUEUE_URL": "sqlite:////q.db"}, instance=tmp_path)
    assert own["JOBS_QUEUE_URL"] == "sqlite:////q.db"
    bare = Flask("bare", instance_path=str(tmp_path))
    assert engine.Engine(bare).url == f"sqlite:///{tmp_path}/jobs.sqlite3"
    made = make_huey(f"sqlite:///{tmp_path / 'q.db'}", "n", lambda: None)
    assert made.storage.filename == str(tmp_path / "q.db")


def test_metrics_report_the_jobs_waiting(_migrated, database_url, instance_dir, clock):
    """Does /metrics report as the jobs queue's depth the jobs due and not yet taken (a retry
    waiting its back-off is not counted)?"""
    from tests.conftest import empty_app, make_test_app
    from tests.webapp.monitoring.conftest import TOKEN, scrape, value

    made = make_test_app(database_url, instance_dir, METRICS_TOKEN=TOKEN)
    try:
        eng = engine.get(made)
        eng.clock = clock
        _submit(made, eng, "jobs.purge")
        _submit(made, eng, "jobs.purge")
        _submit(made, eng, "jobs.purge", run_after=clock.now + timedelta(minutes=1))
        samples = scrape(made.test_client())
        assert value(samples, "rounds_queue_depth", queue="jobs") == 2
    finally:
        empty_app(made)
