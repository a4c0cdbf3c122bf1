"""Several instances of the app on one PostgreSQL, one Redis and one S3-compatible server
(moto in server mode), started once for this folder's tests (tests/multi/cluster.py).

They run in the PostgreSQL pass (.ci/run, which leaves them out of its SQLite pass: two
machines never share a SQLite file). In CI a missing PostgreSQL, Redis, moto or gunicorn fails
them: a skip there would pass a deployment nobody tried.
"""

from __future__ import annotations

import os
import sys

import pytest
import redis

from tests.multi.cluster import Cluster, StartError, which_missing

REDIS_URL = os.environ.get("ROUNDS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CLOCK_AT_START = "2099-01-01T00:00:00+00:00"


@pytest.fixture(scope="package")
def cluster(tmp_path_factory, database_url, _migrated):
    """Two app instances (gunicorn, 1 worker each) and two job workers with the test's
    clock, on the session's database, Redis and a fresh moto."""
    if database_url.startswith("sqlite"):
        why = "several instances need a database server: set DATABASE_URL=postgresql+psycopg://…"
        if os.environ.get("CI"):
            pytest.fail(f"{why} (.ci/run runs tests/multi in its PostgreSQL pass only)")
        pytest.skip(why)
    missing = which_missing(database_url, REDIS_URL)
    if missing:
        why = f"multi-instance tests need {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(f"{why} (CI has them: see .ci/run)")
        pytest.skip(why)
    folder = tmp_path_factory.mktemp("cluster")
    with Cluster(database_url, REDIS_URL, folder) as made:
        # The workers' clock from their first tick: later than any real time (a job the app
        # queues at its real now is due) and apart from the days a test sets.
        redis.Redis.from_url(REDIS_URL).set(f"{made.queue_name}:clock", CLOCK_AT_START)
        try:
            made.start_apps(2)
            for _ in range(2):
                made.start_worker([sys.executable, "-m", "tests.multi.clocked_worker"])
        except StartError as exc:
            pytest.fail(str(exc))
        yield made
        keys = redis.Redis.from_url(REDIS_URL)
        for key in keys.scan_iter(f"{made.queue_name}*"):
            keys.delete(key)


@pytest.fixture
def queue(cluster):
    """The cluster's Redis and its queue's name (where the clocked workers read the time)."""
    return redis.Redis.from_url(REDIS_URL), cluster.queue_name
