"""A job worker for the multi-instance tests: ``flask jobs worker``'s consumer as deployed
(create_app from the environment the cluster gives), except that its clock is the test's.

The test keeps the time in Redis (``<queue>:clock``, ISO 8601) and moves it; after each move it
bumps ``<queue>:tick``, and every worker then runs the engine's minute tick at once (what the
scheduler does each real minute) and answers in ``<queue>:ticked:<pid>``. One test kind,
``multi.tally``, runs every ten minutes and appends ``<slot key>|<pid>`` to ``<queue>:ran``.

    python -m tests.multi.clocked_worker
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime

import redis
from huey import crontab

from webapp import create_app
from webapp.jobs import engine
from webapp.models.types import utcnow

KIND = "multi.tally"


class RedisClock:
    """The test's time, read from Redis at every call (real time until the test sets one)."""

    def __init__(self, client: redis.Redis, key: str):
        self.client, self.key = client, key

    def __call__(self) -> datetime:
        value = self.client.get(self.key)
        return datetime.fromisoformat(value.decode()) if value else utcnow()


def main() -> None:
    app = create_app()
    queue = app.config["JOBS_QUEUE_NAME"]
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    found = engine.get(app)
    found.clock = RedisClock(client, f"{queue}:clock")

    @engine.periodic(KIND, crontab(minute="*/10"), title="tally")
    def tally(ctx):
        client.rpush(f"{queue}:ran", f"{ctx.job.key}|{os.getpid()}")
        return {"pid": os.getpid()}

    # Only the test's schedule: the app's nightly kinds would run on the test's database.
    for name in list(engine.SCHEDULES):
        if name != KIND:
            del engine.SCHEDULES[name]

    def ticker() -> None:
        seen = client.get(f"{queue}:tick")
        while True:
            now = client.get(f"{queue}:tick")
            if now != seen:
                seen = now
                found.tick()
                client.set(f"{queue}:ticked:{os.getpid()}", now)
            time.sleep(0.02)

    threading.Thread(target=ticker, daemon=True, name="test-ticker").start()
    found.consumer(threads=2).run()


if __name__ == "__main__":
    main()
