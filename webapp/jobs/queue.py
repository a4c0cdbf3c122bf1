"""What the engine asks of huey: a queue (SQLite file or Redis), its schedule and a consumer.

huey carries messages ("run job X", at once or at a time) and runs them on worker threads;
the engine's ``job`` rows hold everything else. The huey instance reads the engine's clock,
so a test that moves the clock moves huey's schedule with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from huey import Huey
from huey.consumer import Consumer, Scheduler
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

# How often a consumer renews the leases of the jobs it runs (the lease is three times this).
HEARTBEAT_SECONDS = 20


class ClockedHuey(Huey):
    """huey reading the engine's clock (naive UTC, as huey keeps its times)."""

    def __init__(self, name: str, clock: Callable[[], datetime], **kwargs):
        self._clock = clock
        super().__init__(name, results=False, utc=True, **kwargs)

    def _get_timestamp(self) -> datetime:
        return self._clock().astimezone(UTC).replace(tzinfo=None)


def make_huey(url: str, name: str, clock: Callable[[], datetime]) -> Huey:
    """The queue named by a URL: ``sqlite:///path``, ``redis://…`` or ``memory://``."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return ClockedHuey(name, clock, storage_class=RedisStorage, url=url)
    if url.startswith("sqlite:"):
        path = sa.make_url(url).database
        if not path:
            raise ValueError(f"JOBS_QUEUE_URL names no file: {url!r}")
        return ClockedHuey(name, clock, storage_class=SqliteStorage, filename=path)
    if url == "memory://":  # one process only (tests)
        return ClockedHuey(name, clock, storage_class=MemoryStorage)
    raise ValueError(f"JOBS_QUEUE_URL must be sqlite:///…, redis://… or memory://, not {url!r}")


class EngineScheduler(Scheduler):
    """huey's scheduler (due retries onto the queue every second), which every minute also
    ticks the engine (schedule slots, lost jobs) and renews its running jobs' leases."""

    def __init__(self, *args, engine, **kwargs):
        super().__init__(*args, **kwargs)
        self.engine = engine
        self._next_heartbeat = time.monotonic()

    def loop(self, now=None):
        if time.monotonic() >= self._next_heartbeat:
            self._next_heartbeat = time.monotonic() + HEARTBEAT_SECONDS
            try:
                self.engine.heartbeat()
            except Exception:
                self._logger.exception("Error renewing job leases.")
        super().loop(now)

    def enqueue_periodic_tasks(self, now):
        try:
            self.engine.tick()
        except Exception:
            self._logger.exception("Error in the job engine's tick.")


class EngineConsumer(Consumer):
    """huey's consumer with the engine's scheduler. ``in_process`` leaves the signals alone
    (the consumer then runs beside something else: a test's live server)."""

    def __init__(self, huey, *, engine, in_process: bool = False, **options):
        self.engine = engine
        self.in_process = in_process
        super().__init__(huey, **options)

    def _create_scheduler(self):
        return EngineScheduler(
            huey=self.huey,
            stop_flag=self.stop_flag,
            interval=self.scheduler_interval,
            periodic=self.periodic,
            engine=self.engine,
        )

    def _set_signal_handlers(self):
        if not self.in_process:
            super()._set_signal_handlers()
