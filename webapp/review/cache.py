"""A short cache of the dashboard, aligned to its 30 s polling, dropped when data arrives.

Many supervisors' dashboards poll every 30 s, and what they show changes only when something
is written. So the dashboard's numbers are kept for at most ``TTL`` seconds per set of estates
(users who see the same estates share an entry), and each entry remembers the *generation* of
each of its estates: a commit that writes a check, finding, finding step, key, key event,
quarantined op or unit of an estate, or a phone of one of the estate's people, bumps that
estate's generation, and the next request recomputes. Phones' and desks' writes therefore
show on the next poll; only writes that bypass the ORM (bulk Core inserts, another process)
wait out the TTL.

The generations are what keeps the numbers true, and with ``REDIS_URL`` they live in Redis (one
hash, ``HINCRBY`` on commit, ``HMGET`` on read): a write through any instance or worker drops
every instance's entry at its next poll, so no instance of several shows what another has
already changed. The numbers themselves are kept per process (they hold row objects and
lambdas, not worth serialising for a 30 s memo): each process computes them at most once per
TTL and generation. Without Redis (one machine) the generations are a dict here, seen by the
process that wrote; the TTL bounds what another process shows.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass

import redis
import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import get_locale
from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp.models import User, user_estate
from webapp.review.dashboard import dashboard as compute
from webapp.scoping import visible_estate_ids

log = logging.getLogger(__name__)

TTL = 30.0  # seconds: the dashboard's polling interval
MAX_ENTRIES = 256
ANY = "any"  # the generation of writes whose estate is unknown

_lock = threading.Lock()
_apps = itertools.count(1)
_entries: dict[tuple, _Entry] = {}
_generation: dict[int, int] = {}  # estate id -> how many committed writes touched it
_any_generation = 0  # bumped by writes whose estate is unknown (a quarantined op of none)


@dataclass
class _Entry:
    at: float
    generations: tuple
    value: object


def _shared() -> tuple[redis.Redis, str] | None:
    """The app's Redis and the generations' key, when REDIS_URL is set (several instances)."""
    if not has_app_context() or not current_app.config.get("REDIS_URL"):
        return None
    ext = current_app.extensions
    if "review_cache_redis" not in ext:
        ext["review_cache_redis"] = redis.Redis.from_url(
            current_app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1
        )
    prefix = current_app.config.get("CACHE_KEY_PREFIX") or "rounds"
    return ext["review_cache_redis"], f"{prefix}:review:generations"


def _stamp(ids) -> tuple:
    shared = _shared()
    if shared is None:
        return (_any_generation, *(_generation.get(i, 0) for i in ids))
    client, key = shared
    return tuple(int(n or 0) for n in client.hmget(key, [ANY, *ids]))


def dashboard(user, estate: int | None, days: int, tz):
    """The dashboard's numbers, from the cache when fresh, else computed and kept. Its table
    rows hold words in the reader's language ("never synced"): one entry per language."""
    ids = tuple(sorted(visible_estate_ids(user)))
    return memo(
        ("dashboard", ids, estate, days, str(tz), str(get_locale()), user.role == "engineering"),
        ids if estate is None else (estate,),
        lambda: compute(user, estate, days, tz=tz),
    )


def memo(key: tuple, estates, compute, ttl: float = TTL):
    """``compute()``, kept for ``ttl`` seconds under ``key`` unless a commit touches one of
    ``estates`` meanwhile (or the cache is off: ``REVIEW_CACHE = False``). ``estates=None``:
    kept for ``ttl`` whatever is written (for numbers too dear to count after every push)."""
    if not current_app.config.get("REVIEW_CACHE", True):
        return compute()
    # One app's entries are never another's (tests make many apps on alike databases).
    key = (current_app.extensions.setdefault("review_cache", next(_apps)), *key)
    wanted = tuple(estates) if estates is not None else None
    now = time.monotonic()
    try:
        stamp = _stamp(wanted) if wanted is not None else ()
    except redis.RedisError:
        log.warning("review cache: Redis did not answer; computed afresh", exc_info=True)
        return compute()
    with _lock:
        entry = _entries.get(key)
        if entry and now - entry.at < ttl and entry.generations == stamp:
            return entry.value
    value = compute()
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            for old in sorted(_entries, key=lambda k: _entries[k].at)[: MAX_ENTRIES // 4]:
                del _entries[old]
        # Stamped with the generations read *before* computing: a write that lands meanwhile
        # makes the entry stale at once rather than hiding behind it.
        _entries[key] = _Entry(now, stamp, value)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()


# ---- invalidation: which estates a commit touched ------------------------------------------

_WATCHED = (
    "Check",
    "Finding",
    "FindingState",
    "FindingEvent",
    "Key",
    "KeyEvent",
    "Device",
    "QuarantinedOp",
    "Unit",
)
_PENDING = "review_cache_estates"


def _collect(session, _context):
    touched = session.info.setdefault(_PENDING, set())
    devices = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        name = type(obj).__name__
        if name == "Device":
            devices.add(obj.user_id)  # a phone has no estate: its user's estates see it
        elif name in _WATCHED:
            touched.add(getattr(obj, "estate_id", None))
    if devices:
        connection = session.connection()
        touched.update(
            connection.scalars(
                sa.select(user_estate.c.estate_id).where(user_estate.c.user_id.in_(devices))
            )
        )
        everywhere = sa.select(User.id).where(User.id.in_(devices), User.all_estates).limit(1)
        if connection.scalar(everywhere) is not None:
            touched.add(None)  # the phone of someone who sees every estate: every estate's


def _bump(session):
    global _any_generation
    touched = session.info.pop(_PENDING, None)
    if not touched:
        return
    shared = _shared()
    if shared is not None:
        client, key = shared
        try:
            with client.pipeline(transaction=False) as pipe:
                for estate_id in touched:
                    pipe.hincrby(key, ANY if estate_id is None else estate_id, 1)
                pipe.execute()
        except redis.RedisError:  # committed all the same; entries end at their TTL
            log.warning("review cache: could not drop the numbers of %s", touched, exc_info=True)
        return
    with _lock:
        for estate_id in touched:
            if estate_id is None:
                _any_generation += 1
            else:
                _generation[estate_id] = _generation.get(estate_id, 0) + 1


def _forget(session):
    session.info.pop(_PENDING, None)


def install() -> None:
    """Listen to every Session so a write drops the cached numbers of its estates (idempotent)."""
    listeners = (("after_flush", _collect), ("after_commit", _bump), ("after_rollback", _forget))
    for name, fn in listeners:
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
