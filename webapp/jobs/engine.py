"""The job engine: background work as ``job`` rows, run by huey workers.

- **Submit** (``submit``): a row is added in the caller's transaction; its message ("run job
  X") goes on the queue only once that transaction commits, so a worker never looks for a row
  that is not there, and a rolled-back request queues nothing. A ``key`` makes it idempotent:
  the same key again is the same job.
- **Run** (``Engine.run``, on a worker): the row is *claimed* by one conditional update
  (queued and due → running, attempts + 1, a lease), so of two messages for one job one runs.
  The handler gets a ``Context`` (params, progress, files); its database work commits with
  the job's "done", checked against the attempt that claimed it.
- **Retry**: an exception puts the job back in the queue after ``retry_delay`` × 2^(attempt-1)
  (capped), through huey's schedule; ``Failed`` gives up at once with its message.
- **Survive**: a running job's worker renews its lease; ``tick`` (every minute, on every
  consumer) re-queues jobs whose lease ran out (a killed worker) and queued jobs whose message
  went missing. Handlers are written to be run again from the start.
- **Periodic**: ``tick`` submits each schedule's latest due slot within a day with the key
  ``<kind>@<slot in UTC>``: however many consumers tick, the slot is one row, run once; a slot
  missed while everything was down runs when the engine is back (within a day).

Clock: ``Engine.clock`` (aware UTC) is read by the engine and by huey's schedule alike, so a
test moves time without waiting for it.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app
from huey.exceptions import RetryTask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync import blobs
from webapp.extensions import db
from webapp.jobs.queue import HEARTBEAT_SECONDS, EngineConsumer, make_huey
from webapp.models.jobs import Job
from webapp.models.types import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=3 * HEARTBEAT_SECONDS)
# A queued job whose message is this late is queued again (a lost message: Redis restarted
# without its data, a process died between commit and enqueue).
REQUEUE_AFTER = timedelta(minutes=5)
# How far back a tick looks for a schedule's due slot (one missed while all was down).
LOOKBACK = timedelta(days=1)
PENDING = "jobs.pending"  # session.info: jobs to put on the queue once the session commits


class Failed(Exception):
    """Raised by a handler: give up now and show this message (bad input does not improve)."""


class Lost(Exception):
    """The job was taken over while this worker ran it (its lease ran out)."""


@dataclass(frozen=True)
class Kind:
    """A kind of job: its handler and how it is retried and kept."""

    name: str
    run: Callable[[Context], dict | None]
    retries: int = 2
    retry_delay: float = 30.0
    max_delay: float = 3600.0
    keep: timedelta = timedelta(days=7)

    def delay(self, attempt: int) -> timedelta:
        """The back-off after the ``attempt``-th try failed: doubling, capped."""
        return timedelta(seconds=min(self.retry_delay * 2 ** (attempt - 1), self.max_delay))


@dataclass(frozen=True)
class Schedule:
    """A kind run at the minutes ``when`` (a huey crontab) accepts, in estate time."""

    kind: str
    when: Callable[[datetime], bool]
    title: str = ""


KINDS: dict[str, Kind] = {}
SCHEDULES: dict[str, Schedule] = {}


def task(name: str, **options) -> Callable:
    """Declare a kind of job: ``@task("labels.sheet", retries=2)`` over ``def draw(ctx)``."""

    def register(fn):
        KINDS[name] = Kind(name, fn, **options)
        return fn

    return register


def periodic(name: str, when: Callable[[datetime], bool], *, title: str = "", **options):
    """Declare a kind run on a schedule (a huey ``crontab`` read in estate time):
    ``@periodic("keys.verify_chain", crontab(minute="0", hour="3"))`` over ``def verify(ctx)``."""

    def register(fn):
        KINDS[name] = Kind(name, fn, **options)
        SCHEDULES[name] = Schedule(name, when, title)
        return fn

    return register


class Context:
    """What a handler gets: the job, a session, the clock, progress and files."""

    def __init__(self, engine: Engine, session: Session, job: Job):
        self.engine = engine
        self.session = session
        self.job = job
        self.id = job.id
        self.params: dict[str, Any] = dict(job.params or {})
        self.attempt = job.attempts
        self.config = engine.app.config
        self.files: dict[str, str] = {}

    def now(self) -> datetime:
        return self.engine.clock()

    def _update(self, **values) -> None:
        """Change this job's row and commit, if it is still this attempt's; else Lost."""
        done = self.session.execute(
            sa.update(Job)
            .where(Job.id == self.id, Job.state == "running", Job.attempts == self.attempt)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not done:
            raise Lost(self.id)
        self.session.commit()

    def progress(self, done: int, total: int) -> None:
        """Record how far the job got (and renew its lease). Commits the session."""
        now = self.now()
        self._update(progress_done=done, progress_total=total, lease_until=now + LEASE)

    def put(self, name: str, data: bytes) -> str:
        """Store an output file (blob store, ``jobs/<id>/<name>``) and list it on the job at once
        (a preview shows while the rest is drawn). Commits the session."""
        key = blobs.check_key(f"jobs/{self.id}/{name}")
        self.engine.blobs.put(key, data)
        self.files[name] = key
        self._update(result={"files": dict(self.files)})
        return key

    def finish(self, result: dict | None) -> None:
        now = self.now()
        merged = {**(result or {}), **({"files": dict(self.files)} if self.files else {})}
        self._update(
            state="done", finished_at=now, lease_until=None, message="", result=merged or None
        )


def _slot_key(kind: str, slot: datetime) -> str:
    return f"{kind}@{slot.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def latest_slot(when: Callable[[datetime], bool], now: datetime, tz: ZoneInfo) -> datetime | None:
    """The latest minute at or before ``now``, within LOOKBACK, that ``when`` accepts
    (read in ``tz``), as aware UTC; None if there is none."""
    minute = now.astimezone(UTC).replace(second=0, microsecond=0)
    for _ in range(int(LOOKBACK.total_seconds() // 60) + 1):
        if when(minute.astimezone(tz)):
            return minute
        minute -= timedelta(minutes=1)
    return None


class Engine:
    """The jobs of one app: its queue (huey), its clock, where outputs go."""

    def __init__(self, app: Flask, clock: Callable[[], datetime] | None = None):
        self.app = app
        self.clock: Callable[[], datetime] = clock or utcnow
        self.url = app.config.get("JOBS_QUEUE_URL") or (
            f"sqlite:///{app.instance_path}/jobs.sqlite3"
        )
        self.name = app.config.get("JOBS_QUEUE_NAME") or "rounds"
        self.tz = ZoneInfo(app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")
        self._huey = None
        self._held: set[str] = set()
        self._lock = threading.Lock()

    @property
    def huey(self):
        """The queue, made on first use (an app that never runs a job opens nothing)."""
        with self._lock:
            if self._huey is None:
                self._huey = make_huey(self.url, self.name, lambda: self.clock())
                self._message = self._huey.task(name="rounds.job")(self.run)
            return self._huey

    @property
    def blobs(self) -> blobs.BlobStore:
        return blobs.from_config(self.app.config)

    # -- submitting ---------------------------------------------------------------------

    def submit(
        self,
        session: Session,
        kind: str,
        params: dict | None = None,
        *,
        key: str | None = None,
        title: str = "",
        estate_id: int | None = None,
        user_id: int | None = None,
        total: int = 0,
        run_after: datetime | None = None,
    ) -> Job:
        """Add a job to the session, queued once it commits; with a key already used, that job."""
        spec = KINDS.get(kind)
        if spec is None:
            raise ValueError(f"unknown job kind {kind!r}")
        if key is not None:
            found = session.scalar(sa.select(Job).where(Job.key == key))
            if found is not None:
                return found
        now = self.clock()
        job = Job(
            id=secrets.token_hex(16),
            kind=kind,
            key=key,
            params=params or {},
            title=title[:200],
            estate_id=estate_id,
            user_id=user_id,
            state="queued",
            attempts=0,
            max_attempts=spec.retries + 1,
            progress_done=0,
            progress_total=total,
            message="",
            run_after=run_after or now,
            enqueued_at=now,
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(job)
        except IntegrityError:
            if key is None:
                raise
            # Another process took this key between our look and our insert.
            return session.scalar(sa.select(Job).where(Job.key == key))
        self._after_commit(session, job.id, job.run_after)
        return job

    def _after_commit(self, session: Session, job_id: str, eta: datetime | None = None) -> None:
        session.info.setdefault(PENDING, []).append((self, job_id, eta))

    def enqueue(self, job_id: str, eta: datetime | None = None) -> None:
        """Put a job's message on the queue (at ``eta`` if it is later than now)."""
        self.huey  # noqa: B018 - makes the queue and its task
        if eta is not None and eta > self.clock():
            self._message.schedule((job_id,), eta=eta)
        else:
            self._message(job_id)

    # -- running ------------------------------------------------------------------------

    def run(self, job_id: str) -> None:
        """Run one job (a message's work): claim it, call its handler, record the outcome."""
        with self.app.app_context():
            self._run(db.session, job_id)

    def _run(self, session: Session, job_id: str) -> None:
        now = self.clock()
        claimed = session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.state == "queued", Job.run_after <= now)
            .values(
                state="running",
                attempts=Job.attempts + 1,
                lease_until=now + LEASE,
                started_at=now,
                progress_done=0,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if not claimed:
            return  # done, run elsewhere, not due yet (a retry waits), or gone
        job = session.get(Job, job_id)
        spec = KINDS.get(job.kind)
        ctx = Context(self, session, job)
        with self._lock:
            self._held.add(job_id)
        try:
            if spec is None:
                raise Failed(f"unknown job kind {job.kind!r}")
            ctx.finish(spec.run(ctx))
        except Lost:
            session.rollback()
            log.warning(
                "job %s (%s) was taken over while it ran: its work is dropped", job_id, job.kind
            )
        except Exception as exc:
            session.rollback()
            self._failed(session, ctx, spec, exc)
        finally:
            with self._lock:
                self._held.discard(job_id)

    def _failed(self, session: Session, ctx: Context, spec: Kind | None, exc: Exception) -> None:
        job = session.get(Job, ctx.id)
        now = self.clock()
        final = isinstance(exc, Failed) or spec is None or ctx.attempt >= job.max_attempts
        if isinstance(exc, Failed):
            message = str(exc)
            log.warning("job %s (%s) failed: %s", ctx.id, job.kind, message)
        else:
            message = type(exc).__name__
            log.error("job %s (%s) failed on try %d", ctx.id, job.kind, ctx.attempt, exc_info=exc)
        values: dict[str, Any] = {"lease_until": None, "message": message[:500]}
        if final:
            values.update(state="failed", finished_at=now)
        else:
            retry_at = now + spec.delay(ctx.attempt)
            values.update(state="queued", run_after=retry_at, enqueued_at=now)
        changed = session.execute(
            sa.update(Job)
            .where(Job.id == ctx.id, Job.state == "running", Job.attempts == ctx.attempt)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if changed and not final:
            # huey's own retry, at the time our back-off says (kept in its schedule).
            raise RetryTask(eta=values["run_after"])

    def heartbeat(self) -> None:
        """Renew the leases of the jobs this process is running."""
        with self._lock:
            held = list(self._held)
        if not held:
            return
        with self.app.app_context():
            db.session.execute(
                sa.update(Job)
                .where(Job.id.in_(held), Job.state == "running")
                .values(lease_until=self.clock() + LEASE)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()

    # -- every minute -------------------------------------------------------------------

    def tick(self) -> None:
        """Queue again what was lost, and submit every schedule's due slot (each consumer
        calls this every minute; the slot's key makes it one job however many do)."""
        with self.app.app_context():
            session = db.session
            now = self.clock()
            self._recover(session, now)
            for name, schedule in SCHEDULES.items():
                slot = latest_slot(schedule.when, now, self.tz)
                if slot is not None:
                    self.submit(session, name, key=_slot_key(name, slot), title=schedule.title)
            session.commit()

    def _recover(self, session: Session, now: datetime) -> None:
        # Running past its lease: its worker died (killed, a deploy, the machine). Each
        # transition is conditional, so of several consumers one re-queues it.
        expired = session.execute(
            sa.select(Job.id, Job.attempts, Job.max_attempts, Job.lease_until).where(
                Job.state == "running", Job.lease_until < now
            )
        ).all()
        for job_id, attempts, max_attempts, lease in expired:
            last = attempts >= max_attempts
            values = (
                {"state": "failed", "finished_at": now, "message": "WorkerLost"}
                if last
                else {"state": "queued", "run_after": now, "enqueued_at": now}
            )
            changed = session.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.state == "running", Job.lease_until == lease)
                .values(lease_until=None, **values)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed and not last:
                log.warning("job %s lost its worker on try %d: queued again", job_id, attempts)
                self._after_commit(session, job_id)
        # Queued, due long ago, and its message long gone.
        stale = now - REQUEUE_AFTER
        lost = session.execute(
            sa.select(Job.id, Job.enqueued_at).where(
                Job.state == "queued", Job.run_after < stale, Job.enqueued_at < stale
            )
        ).all()
        for job_id, enqueued in lost:
            changed = session.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.state == "queued", Job.enqueued_at == enqueued)
                .values(enqueued_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed:
                log.warning(
                    "job %s waited %s for its message: queued again", job_id, now - enqueued
                )
                self._after_commit(session, job_id)

    def waiting(self) -> int:
        """Jobs due and not yet taken by a worker (the queue's depth, read from the rows)."""
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Job)
            .where(Job.state == "queued", Job.run_after <= self.clock())
        )

    # -- consumers ------------------------------------------------------------------------

    def work(self) -> int:
        """Run here, now, every message that is due by the engine's clock (due retries, then
        the queue until it is empty); how many ran. Tests and one-off runs use it."""
        huey = self.huey
        for message in huey.read_schedule():
            huey.enqueue(message)
        count = 0
        while huey.pending_count():
            message = huey.dequeue()
            if message is None:
                break
            huey.execute(message)
            count += 1
        return count

    def consumer(self, threads: int = 2, *, in_process: bool = False) -> EngineConsumer:
        """huey's consumer for this engine: ``threads`` workers and the scheduler."""
        return EngineConsumer(
            self.huey,
            engine=self,
            in_process=in_process,
            workers=threads,
            worker_type="thread",
            periodic=True,
        )

    def close(self) -> None:
        """Close the queue's connections."""
        with self._lock:
            if self._huey is not None:
                self._huey.storage.close()
                pool = getattr(self._huey.storage, "pool", None)  # Redis
                if pool is not None:
                    pool.disconnect()
                self._huey = None


def _enqueue_committed(session: Session) -> None:
    for engine, job_id, eta in session.info.pop(PENDING, ()):
        try:
            engine.enqueue(job_id, eta)
        except Exception:  # the row is kept: a tick queues it again after REQUEUE_AFTER
            log.exception("job %s could not be put on the queue", job_id)


def _forget_rolled_back(session: Session, previous) -> None:
    # Only the whole transaction's rollback: a savepoint's (a key already taken) keeps the
    # jobs the transaction still holds.
    if previous.parent is None:
        session.info.pop(PENDING, None)


_installed = False


def install() -> None:
    """Listen to every Session: jobs submitted in a transaction are queued when it commits."""
    global _installed
    if _installed:
        return
    sa.event.listen(Session, "after_commit", _enqueue_committed)
    sa.event.listen(Session, "after_soft_rollback", _forget_rolled_back)
    _installed = True


def init_app(app: Flask) -> Engine:
    """Give the app its engine (``app.extensions["jobs"]``)."""
    engine = Engine(app)
    app.extensions["jobs"] = engine
    return engine


def get(app: Flask | None = None) -> Engine:
    """The engine of this app (or of the current one)."""
    return (app or current_app).extensions["jobs"]


def submit(session: Session, kind: str, params: dict | None = None, **options) -> Job:
    """``get().submit(...)``: a job of the current app's engine."""
    return get().submit(session, kind, params, **options)
