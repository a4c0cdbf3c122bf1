"""The dashboard's cache on several instances: its generations in Redis, so a write through one
instance drops what every other instance kept (REDIS_URL set, as on several machines)."""

from __future__ import annotations

import os
import uuid

import pytest
import redis
import sqlalchemy as sa

from tests.conftest import make_test_app
from webapp.extensions import db
from webapp.models import Unit
from webapp.review import cache

REDIS_URL = os.environ.get("ROUNDS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def two_instances(_migrated, database_url, instance_dir, seed):
    """Two apps on one database and one Redis: two instances of a deployment."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL} (CI runs one)")
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    made = [
        make_test_app(database_url, instance_dir, REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix)
        for _ in range(2)
    ]
    yield made, prefix
    redis.Redis.from_url(REDIS_URL).delete(f"{prefix}:review:generations")
    for app in made:
        if "review_cache_redis" in app.extensions:
            app.extensions["review_cache_redis"].close()


def test_a_write_on_one_instance_drops_what_the_other_kept(two_instances, seed):
    """Does instance B keep its numbers while nothing is written, and compute again at its next
    poll once instance A commits a write to the estate (a unit) — and only for that estate?"""
    (one, other), prefix = two_instances
    local = dict(cache._generation)  # this process's counters: another process never sees them
    estate, elsewhere = seed.estate_ids[:2]
    calls: list[str] = []

    def numbers(app, estate_id):
        with app.test_request_context():
            return cache.memo(
                ("t", estate_id), (estate_id,), lambda: calls.append(estate_id) or len(calls)
            )

    assert numbers(other, estate) == 1 and numbers(other, elsewhere) == 2
    assert numbers(other, estate) == 1  # kept
    with one.app_context():
        unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == estate).limit(1))
        unit.room = f"{unit.room[:18]}x"
        db.session.commit()
    shared = redis.Redis.from_url(REDIS_URL).hgetall(f"{prefix}:review:generations")
    assert shared == {str(estate).encode(): b"1"} and cache._generation == local
    assert numbers(other, estate) == 3  # dropped by A's write
    assert numbers(other, elsewhere) == 2  # another estate's numbers stand
    assert calls == [estate, elsewhere, estate]
