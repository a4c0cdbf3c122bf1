"""The one password check of the app: login, the device login, the handover's incoming shift
and the user's own password change all come here.

- **The same work whoever is named.** Exactly one argon2 verification per try: against the
  user's hash when the user exists, is active and is eligible for what is asked, else against
  a dummy hash. Timing does not tell a real, inactive or ineligible username from an unknown.
- **Limited per client address** (LOGIN_RATE_LIMIT, e.g. ``5 per minute``): failed tries from
  one address across all usernames, against spraying. Only a try whose check failed counts:
  right passwords never do, however many are in flight at once — an office's twenty phones
  behind one NAT logging in at the start of a shift were refused 429 from the sixth on, with
  the right password, when every try counted until its check ended. Tries in flight are
  counted apart: an address with fewer than FREE_FAILURES failures in the last hour may have
  LOGIN_IN_FLIGHT (default 40) at once; one that has failed more counts each try in flight as
  a failure until it ends, so tries sent at once get no more guesses than tries sent one by
  one. A burst of wrong guesses thus gets at most LOGIN_IN_FLIGHT checks once an hour beside
  the limit's (5 a minute: 300 an hour), and is then held to the limit.
- **Limited per account + address, with exponential back-off**: after FREE_FAILURES wrong
  tries on one username from one address, that pair waits 1 minute, then 2, 4, … up to an
  hour after each further wrong try; a right password clears it. An attacker elsewhere only
  locks out their own address: the user, from theirs, is never kept out.

The client address is ``request.remote_addr``: the socket's, or with TRUSTED_PROXY_HOPS set,
the one the trusted proxies forwarded (Werkzeug's ProxyFix, see webapp/__init__.py).
Counters live in Flask-Limiter's storage: Redis when REDIS_URL is set, else memory.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

import limits
import sqlalchemy as sa
from flask import current_app, request
from werkzeug.exceptions import TooManyRequests

from webapp import errors
from webapp.extensions import db, limiter
from webapp.models import User, burn_password_check
from webapp.text import trim

FREE_FAILURES = 5
FIRST_LOCK_SECONDS = 60
MAX_LOCK_SECONDS = 3600
# How long a pair's failures are remembered (the back-off restarts after a quiet day).
MEMORY_SECONDS = 24 * 3600
# How long an address's failures keep its tries in flight counted as failures (see above).
RECENT_SECONDS = 3600
# Tries in flight are counted in buckets of this many seconds, the last two read: a try cut
# short (a worker killed in its check) stops counting within two buckets.
IN_FLIGHT_BUCKET = 30
# What an address over LOGIN_IN_FLIGHT is asked to wait: the checks before it end in seconds.
IN_FLIGHT_WAIT = 5
# Longer than any password the app lets anyone set; longer input is checked as wrong.
MAX_PASSWORD = 1024

_now: Callable[[], float] = time.time


class TooManyAttempts(TooManyRequests):
    """Refused before any password check; ``retry_after`` in whole seconds, as the answer's
    Retry-After and its message say it (``errors.retry_seconds``: seconds under a minute,
    else whole minutes)."""

    name = "Too Many Attempts"

    def __init__(self, retry_after: float):
        super().__init__()
        self.retry_after = errors.retry_seconds(retry_after)


def wait_message(exc: TooManyAttempts) -> str:
    """Tell how long to wait: the number the answer's Retry-After says."""
    return errors.wait_message(exc.retry_after)


def lock_seconds(failures: int) -> int:
    """How long a pair waits after this many failures in a row (0: not locked)."""
    if failures < FREE_FAILURES:
        return 0
    doubling = min(failures - FREE_FAILURES, 12)
    return min(FIRST_LOCK_SECONDS * 2**doubling, MAX_LOCK_SECONDS)


def client_address() -> str:
    """The client's address as the limits see it."""
    return request.remote_addr or "unknown"


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _storage():
    return limiter.storage


def _prefix() -> str:
    return f"{current_app.config.get('RATELIMIT_KEY_PREFIX') or ''}rounds-password"


def _account(username: str) -> str:
    # Whatever was typed, a bounded key: usernames compare case-insensitively here.
    return hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]


def _address_limits() -> list[limits.RateLimitItem]:
    return list(limits.parse_many(current_app.config["LOGIN_RATE_LIMIT"]))


def _address_key(item: limits.RateLimitItem, address: str, now: float) -> tuple[str, float]:
    window = item.get_expiry()
    start = math.floor(now / window) * window
    return f"{_prefix()}/address/{item.amount}-{window}/{address}/{int(start)}", start + window


def _pair_keys(account: str, address: str) -> tuple[str, str]:
    base = f"{_prefix()}/pair/{account}/{address}"
    return f"{base}/failures", f"{base}/last"


def _recent_key(address: str) -> str:
    return f"{_prefix()}/recent/{address}"


def _in_flight_key(address: str, now: float) -> str:
    return f"{_prefix()}/in-flight/{address}/{math.floor(now / IN_FLIGHT_BUCKET)}"


def _in_flight_cap() -> int:
    return int(current_app.config.get("LOGIN_IN_FLIGHT") or 1)


def _take_a_try(account: str, address: str) -> str:
    """Admit this try, or refuse it (a refused try counts for nothing); the key of the count
    of tries in flight it joined, for ``_landed``.

    The address: refused when its window already holds the limit's failures; when it has
    failed FREE_FAILURES times in the last hour, also when its failures and the tries in
    flight (this one included) pass the limit — those tries are counted as the failures they
    may be, so a burst queues on the counters (each ``incr`` is atomic in Redis and in memory)
    and gets no more guesses than tries sent one by one; otherwise when more than
    LOGIN_IN_FLIGHT tries are in flight. The account+address pair: counted as a failure
    before its check (a right password gives it back), refused while it waits out its
    back-off."""
    storage, now = _storage(), _now()
    flight = _in_flight_key(address, now)
    in_flight = storage.incr(flight, 2 * IN_FLIGHT_BUCKET)
    in_flight += storage.get(_in_flight_key(address, now - IN_FLIGHT_BUCKET))
    failing = storage.get(_recent_key(address)) >= FREE_FAILURES
    waits = []
    for item in _address_limits():
        key, ends = _address_key(item, address, now)
        failures = storage.get(key)
        if failures >= item.amount or (failing and failures + in_flight > item.amount):
            waits.append(ends - now)
    if not failing and in_flight > _in_flight_cap():
        waits.append(IN_FLIGHT_WAIT)
    failures_key, last_key = _pair_keys(account, address)
    failures = storage.incr(failures_key, MEMORY_SECONDS)
    if failures > FREE_FAILURES:
        until = storage.get(last_key) + lock_seconds(failures - 1)
        if now < until:
            waits.append(until - now)
    if waits:
        storage.incr(flight, 2 * IN_FLIGHT_BUCKET, amount=-1)  # Redis storage has no decr
        storage.incr(failures_key, MEMORY_SECONDS, amount=-1)
        raise TooManyAttempts(max(waits))
    storage.clear(last_key)
    storage.incr(last_key, MEMORY_SECONDS, amount=int(now))
    return flight


def _failed(address: str) -> None:
    """A wrong password (or no such user): a failure of the address, in each window of the
    limit and in the last hour's count."""
    storage, now = _storage(), _now()
    for item in _address_limits():
        key, ends = _address_key(item, address, now)
        storage.incr(key, max(1, math.ceil(ends - now)))
    storage.incr(_recent_key(address), RECENT_SECONDS)


def _give_back(account: str, address: str) -> None:
    """A right password: the try was no failure, and the pair starts afresh."""
    storage = _storage()
    for key in _pair_keys(account, address):
        storage.clear(key)


def _landed(flight: str) -> None:
    """The try's check has ended (counted, if it failed, before this): no longer in flight."""
    _storage().incr(flight, 2 * IN_FLIGHT_BUCKET, amount=-1)


def check(
    username: str | None,
    password: str | None,
    *,
    eligible: Callable[[User], bool] | None = None,
) -> User | None:
    """The active, eligible user with this password, else None; TooManyAttempts when the
    address or the account+address pair must wait (nothing is checked then)."""
    name = trim(username or "")  # as the login form reads it (webapp.text.trim), every door
    password = password or ""
    account, address = _account(name), client_address()
    limited = _enabled()
    flight = _take_a_try(account, address) if limited else None
    try:
        user = None
        if 0 < len(name) <= 64:
            user = db.session.scalar(sa.select(User).where(User.username == name))
        usable = (
            user is not None
            and user.active
            and len(password) <= MAX_PASSWORD
            and (eligible is None or eligible(user))
        )
        if usable and user.check_password(password):
            if limited:
                _give_back(account, address)
            return user
        if not usable:
            burn_password_check(password[:MAX_PASSWORD])
        if limited:
            _failed(address)  # before the try leaves the in-flight count: never in neither
        return None
    finally:
        if flight is not None:
            _landed(flight)
