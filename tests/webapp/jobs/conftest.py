"""The engine's fixtures: a clock the test moves, the queue on SQLite or Redis, test kinds."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.webapp.jobs import kinds
from webapp.jobs import engine

# A Redis database of the tests' own; huey's keys there carry the queue's (unique) name.
REDIS_URL = os.environ.get("ROUNDS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Clock:
    """Aware UTC time that moves only when the test says."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock():
    return Clock(datetime(2026, 12, 6, 12, 0, tzinfo=UTC))


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request, tmp_path):
    """The queue as deployed alone (a SQLite file) and on several machines (Redis)."""
    return f"sqlite:///{tmp_path / 'queue.sqlite3'}" if request.param == "sqlite" else REDIS_URL


@pytest.fixture
def test_kinds(monkeypatch):
    """The test kinds beside the app's, and only the test's schedule."""
    kinds.RUNS.clear()
    monkeypatch.setattr(engine, "KINDS", {**engine.KINDS, **kinds.KINDS})
    monkeypatch.setattr(engine, "SCHEDULES", dict(kinds.SCHEDULES))
    yield kinds.RUNS
    kinds.RUNS.clear()


@pytest.fixture
def engines(app, queue_url, clock, test_kinds):
    """Make engines of the app on one queue (each one a consumer), all reading ``clock``."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    made: list[engine.Engine] = []

    def make() -> engine.Engine:
        found = engine.Engine(app, clock=clock)
        found.url, found.name = queue_url, name
        made.append(found)
        return found

    yield make
    if made:
        made[0].huey.flush()
    for found in made:
        found.close()
