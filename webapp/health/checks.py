"""What /healthz checks: the database always, Redis when ``REDIS_URL`` is set, and whatever an
area registers with :func:`add_check` (the object store, when one is configured).

Each check runs in a small thread pool with a deadline of its own, side by side, so a server
that does not answer (a dropped packet, not a refusal) costs a load balancer's probe at most
the longest deadline, never the operating system's connect timeout. A check that raised or
missed its deadline is named in the answer; its error goes to the log only (an exception's text
can carry a host name or a URL, never shown to the caller).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import redis
from flask import Flask
from redis.backoff import NoBackoff
from redis.retry import Retry

from webapp.extensions import db

log = logging.getLogger(__name__)

EXTRA_CHECKS = "rounds.health_checks"
DB_SECONDS = 3.0
REDIS_SECONDS = 1.0
# Few threads: a probe whose server hangs holds one until its own socket gives up; probes
# arriving meanwhile queue here and miss their deadline, which is the right answer (503).
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


@dataclass(frozen=True)
class Check:
    """A named probe: ``probe()`` returns when the dependency answers, raises otherwise."""

    name: str
    probe: Callable[[], object]
    seconds: float


def add_check(app: Flask, name: str, probe: Callable[[], object], seconds: float = 2.0) -> None:
    """Have /healthz also run ``probe`` (in the app's context, within ``seconds``); it fails
    the check by raising. For the object store: ``add_check(app, "objects", head_bucket)``."""
    app.extensions.setdefault(EXTRA_CHECKS, {})[name] = Check(name, probe, seconds)


def _database(engine) -> Callable[[], None]:
    def probe() -> None:
        # The DBAPI connection itself: no SQLAlchemy transaction, so no BEGIN IMMEDIATE
        # waiting behind a SQLite writer for the busy timeout.
        conn = engine.raw_connection()
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            cursor.close()
        except Exception:
            conn.invalidate()  # a dead pooled connection is not handed out again
            raise
        finally:
            conn.close()

    return probe


def _redis(url: str, seconds: float) -> Callable[[], None]:
    def probe() -> None:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=seconds,
            socket_timeout=seconds,
            retry=Retry(NoBackoff(), 0),  # one try: the deadline is the answer
        )
        try:
            client.ping()
        finally:
            client.close()

    return probe


def checks_for(app: Flask) -> list[Check]:
    """The checks of this app, the database first."""
    found = [Check("db", _database(db.engine), DB_SECONDS)]
    if app.config.get("REDIS_URL"):
        found.append(Check("redis", _redis(app.config["REDIS_URL"], REDIS_SECONDS), REDIS_SECONDS))
    found.extend(app.extensions.get(EXTRA_CHECKS, {}).values())
    return found


def run(app: Flask) -> dict[str, str]:
    """Run every check side by side: {name: "ok" | "error" | "timeout"}."""

    def in_context(check: Check):
        def call():
            with app.app_context():
                return check.probe()

        return call

    started = [(check, _pool.submit(in_context(check))) for check in checks_for(app)]
    results: dict[str, str] = {}
    for check, future in started:
        try:
            future.result(timeout=check.seconds)
        except FutureTimeout:
            log.warning("health check %s: no answer within %.1f s", check.name, check.seconds)
            results[check.name] = "timeout"
        except Exception as exc:  # noqa: BLE001 - any failure of the dependency is a 503
            log.warning("health check %s failed: %s: %s", check.name, type(exc).__name__, exc)
            results[check.name] = "error"
        else:
            results[check.name] = "ok"
    return results
