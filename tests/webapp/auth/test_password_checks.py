"""Every password check goes through one path: limited per address and per account+address
(with exponential back-off), and the same argon2 work whoever is named."""

from __future__ import annotations

import pytest

import webapp.models.accounts as accounts
from tests.conftest import AuthActions, make_test_app
from webapp.auth import passwords

A = {"REMOTE_ADDR": "198.51.100.1"}
B = {"REMOTE_ADDR": "198.51.100.2"}


def _login(client, username, password, environ=None):
    token = AuthActions(client).csrf()
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base=environ or {},
    )


def _handover(client, token, username, password):
    return client.post(
        "/desk/handover",
        data={
            "csrf_token": token,
            "outgoing_password": "desk-demo",
            "incoming_username": username,
            "incoming_password": password,
        },
    )


@pytest.fixture
def verifies(monkeypatch):
    """Count the argon2 verifications made."""
    calls = []
    real = accounts._hasher

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, hash_, password):
            calls.append(hash_)
            return real.verify(hash_, password)

    monkeypatch.setattr(accounts, "_hasher", Counting())
    return calls


@pytest.fixture
def clock(monkeypatch):
    """A clock the test moves by hand (the back-off reads passwords._now)."""
    now = [1_900_000_000.0]
    monkeypatch.setattr(passwords, "_now", lambda: now[0])
    return now


# ---------------------------------------------------------------- the handover (defect 4)


def test_the_handover_password_is_rate_limited(app, client, auth, seed):
    """Are wrong incoming-shift passwords at the handover refused with 429 after five?"""
    auth.login("desk")
    token = auth.csrf("/desk/handover")
    codes = [_handover(client, token, "supervisor", f"wrong-{i}").status_code for i in range(7)]
    assert codes[:5] == [422] * 5
    assert codes[5:] == [429, 429]
    refused = _handover(client, token, "supervisor", "supervisor-demo")
    assert refused.status_code == 429
    assert "嘗試次數過多" in refused.get_data(as_text=True)


def test_the_handover_spends_one_argon2_check_whoever_is_named(app, client, auth, seed, verifies):
    """Do an unknown, an ineligible and an eligible incoming user each cost one argon2 check
    (beside the outgoing shift's own)?"""
    auth.login("desk")
    token = auth.csrf("/desk/handover")
    for username in ("nobody-at-all", "patrol", "desk", "supervisor"):
        before = len(verifies)
        assert _handover(client, token, username, "wrong-password").status_code == 422
        assert len(verifies) == before + 2, username


def test_login_spends_one_argon2_check_for_unknown_and_inactive_users(app, client, seed, verifies):
    """Do an unknown and a deactivated user cost the same argon2 check as a real one?"""
    from webapp.extensions import db
    from webapp.models import User

    with app.app_context():
        db.session.get(User, seed.user_ids["engineer"]).active = False
        db.session.commit()
    for i, username in enumerate(("nobody-at-all", "engineer", "patrol")):
        before = len(verifies)
        response = _login(client, username, "wrong-password", {"REMOTE_ADDR": f"10.0.0.{i}"})
        assert response.status_code == 401
        assert len(verifies) == before + 1, username


# ---------------------------------------------------------------- the lockout (defect 6)


def test_an_attacker_cannot_lock_a_user_out_from_elsewhere(app, seed):
    """After many wrong tries from one address, can the user still log in from theirs?"""
    attacker, user = app.test_client(), app.test_client()
    codes = [_login(attacker, "patrol", f"guess-{i}", A).status_code for i in range(8)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    assert _login(user, "patrol", "patrol-demo", B).status_code == 303


def test_the_lockout_doubles_with_each_failure_after_it(app, seed, clock):
    """Does each wrong try after a lockout double the wait, and a success clear it?"""
    client = app.test_client()
    for i in range(5):
        assert _login(client, "patrol", f"guess-{i}", A).status_code == 401
    first = _login(client, "patrol", "patrol-demo", A)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "60"
    clock[0] += 61
    assert _login(client, "patrol", "guess-6", A).status_code == 401
    second = _login(client, "patrol", "guess-7", A)
    assert second.status_code == 429 and second.headers["Retry-After"] == "120"
    clock[0] += 121
    assert _login(client, "patrol", "guess-8", A).status_code == 401
    assert _login(client, "patrol", "guess-9", A).headers["Retry-After"] == "240"
    clock[0] += 241
    assert _login(client, "patrol", "patrol-demo", A).status_code == 303
    other = app.test_client()
    assert _login(other, "patrol", "one-typo", A).status_code == 401, "the success cleared it"


def test_the_back_off_has_a_ceiling():
    """Is the longest wait an hour, however many tries?"""
    assert passwords.lock_seconds(4) == 0
    assert passwords.lock_seconds(5) == 60
    assert passwords.lock_seconds(6) == 120
    assert passwords.lock_seconds(50) == 3600


def test_tries_in_flight_together_get_no_more_guesses_than_the_limit(app, seed, monkeypatch):
    """Do eight tries that overlap (each starting while the one before is in its argon2 check)
    get only the five guesses of the limit? Each try must be counted before its check, not
    after: counted after, every overlapping try saw the count at zero and all eight ran."""
    real = accounts._hasher
    started, checked, outcomes = [], [], []

    class Overlapping:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, hash_, password):
            checked.append(password)
            if len(started) < 8:
                try_once()
            return real.verify(hash_, password)

    def try_once():
        started.append(True)
        with app.test_request_context("/login", environ_base=A):
            try:
                outcome = passwords.check("patrol", f"guess-{len(started)}")
            except passwords.TooManyAttempts:
                outcome = "refused"
        outcomes.append(outcome)
        if outcome == "refused" and len(started) < 8:
            try_once()

    monkeypatch.setattr(accounts, "_hasher", Overlapping())
    try_once()
    assert len(checked) == 5
    assert outcomes.count("refused") == 3 and outcomes.count(None) == 5


def _people(app, n: int) -> list[tuple[str, str]]:
    """``n`` patrollers of the first estate with passwords of their own."""
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.models import Estate, User

    made = [(f"phone-{i:02d}", f"right-password-{i:02d}") for i in range(n)]
    with app.app_context():
        estate = db.session.scalars(sa.select(Estate).order_by(Estate.id)).first()
        for name, password in made:
            user = User(username=name, role="patroller")
            user.set_password(password)
            user.estates = [estate]
            db.session.add(user)
        db.session.commit()
    return made


def _all_at_once(app, monkeypatch, tries, environ=A) -> list:
    """Each try started while the one before is in its argon2 check, so all are in flight at
    once (as phones behind one NAT at the start of a shift): each try's outcome, in order —
    the user, None (a wrong password) or "refused" (429)."""
    real = accounts._hasher
    outcomes, pending = [None] * len(tries), list(enumerate(tries))

    class Overlapping:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, hash_, password):
            start_next()
            return real.verify(hash_, password)

    def start_next():
        while pending:
            index, (username, password) = pending.pop(0)
            with app.test_request_context("/api/auth/device", environ_base=environ):
                try:
                    user = passwords.check(username, password)
                    outcomes[index] = user.username if user is not None else None
                except passwords.TooManyAttempts:
                    outcomes[index] = "refused"
            # A try refused, or an unknown name's dummy check ended: the next one starts now.

    monkeypatch.setattr(accounts, "_hasher", Overlapping())
    start_next()
    return outcomes


def test_twenty_phones_behind_one_address_log_in_at_once(app, seed, monkeypatch):
    """Do twenty right passwords from one address, all in flight at once (an office's Wi-Fi
    at the start of a shift), all log in? Each try was counted as a failure until its check
    ended, so the sixth and every one after it were refused 429 with the right password."""
    people = _people(app, 20)
    outcomes = _all_at_once(app, monkeypatch, people)
    assert outcomes == [name for name, _password in people]
    # Nothing of them counts against the address: a typo later is one failure, not the 21st.
    client = app.test_client()
    assert _login(client, "patrol", "a-typo", A).status_code == 401
    assert _login(client, "patrol", "patrol-demo", A).status_code == 303


def test_the_counts_in_flight_are_kept_in_redis_when_configured(
    database_url, instance_dir, _migrated, seed, monkeypatch
):
    """With the limits in Redis (several workers), do the twenty log in at once too, and are
    their in-flight counts back to zero after?"""
    import uuid

    import redis

    prefix = f"rounds-test-{uuid.uuid4().hex}"
    url = "redis://127.0.0.1:6379/0"
    app = make_test_app(
        database_url, instance_dir, RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix
    )
    store = redis.Redis.from_url(url)
    try:
        people = _people(app, 20)
        assert _all_at_once(app, monkeypatch, people) == [name for name, _p in people]
        flights = [k for k in store.scan_iter(f"*{prefix}*in-flight*")]
        assert flights and all(int(store.get(k)) == 0 for k in flights)
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


def test_a_burst_of_guesses_gets_the_in_flight_ceiling_once_then_the_limit(
    app, seed, monkeypatch, clock
):
    """Does a burst of 60 wrong tries on 60 names from one address, all sent at once, get at
    most LOGIN_IN_FLIGHT checks (the rest refused before any check), the address then wait
    out its window — and, with that many failures in the hour, does the next window's burst
    get only the limit's five, as tries sent one by one would?"""
    ceiling = app.config["LOGIN_IN_FLIGHT"]
    assert 20 <= ceiling < 60
    guesses = [(f"nobody-{i}", "guess") for i in range(60)]
    first = _all_at_once(app, monkeypatch, guesses)
    assert first.count(None) == ceiling and first.count("refused") == 60 - ceiling
    client = app.test_client()
    assert _login(client, "patrol", "patrol-demo", A).status_code == 429
    clock[0] += 61  # the next minute's window
    second = _all_at_once(app, monkeypatch, guesses)
    assert second.count(None) == 5 and second.count("refused") == 55
    # Another address is its own.
    assert _login(app.test_client(), "patrol", "patrol-demo", B).status_code == 303


def test_an_address_that_has_been_failing_counts_tries_in_flight_as_failures(
    app, seed, monkeypatch, clock
):
    """After five wrong tries in the hour, do tries sent at once from that address get no
    more checks than the limit allows (right passwords among them wait their turn)?"""
    client = app.test_client()
    for i in range(5):
        assert _login(client, f"nobody-{i}", "guess", A).status_code == 401
    clock[0] += 61
    people = _people(app, 8)
    outcomes = _all_at_once(app, monkeypatch, people)
    assert outcomes[:5] == [name for name, _password in people[:5]]
    assert outcomes[5:] == ["refused"] * 3


def test_the_in_flight_ceiling_is_read_from_the_environment():
    """Is LOGIN_IN_FLIGHT 40 by default, read as a number, and refused when it is not one?"""
    from webapp.config import ConfigError, from_env

    assert from_env({})["LOGIN_IN_FLIGHT"] == 40
    assert from_env({"LOGIN_IN_FLIGHT": "100"})["LOGIN_IN_FLIGHT"] == 100
    with pytest.raises(ConfigError):
        from_env({"LOGIN_IN_FLIGHT": "lots"})


def test_spraying_many_accounts_from_one_address_is_limited(app, seed):
    """Are wrong tries on many usernames from one address limited as a whole?"""
    client = app.test_client()
    names = ["patrol", "supervisor", "engineer", "desk", "admin"]
    assert [_login(client, n, "guess", A).status_code for n in names] == [401] * 5
    assert _login(client, "patrol2", "patrol2-demo", A).status_code == 429
    assert _login(app.test_client(), "patrol2", "patrol2-demo", B).status_code == 303


def test_the_device_login_shares_the_lockout(app, client, seed):
    """Do wrong tries at /login and /api/auth/device count together for the same pair?"""
    for i in range(3):
        assert _login(client, "patrol", f"guess-{i}").status_code == 401
    body = {"username": "patrol", "device_name": "手機"}
    for i in range(2):
        response = client.post("/api/auth/device", json={**body, "password": f"nope-{i}"})
        assert response.status_code == 401
    locked = client.post("/api/auth/device", json={**body, "password": "patrol-demo"})
    assert locked.status_code == 429
    assert locked.get_json()["error"] == "too_many_attempts"
    assert int(locked.headers["Retry-After"]) > 0


# ---------------------------------------------------------------- behind a proxy (defect 6)


def test_without_trusted_hops_a_forwarded_address_is_ignored(app, seed):
    """With no proxy configured, can a client dodge the limit by sending X-Forwarded-For?"""
    client = app.test_client()
    codes = [
        client.post(
            "/login",
            data={
                "username": "patrol",
                "password": f"guess-{i}",
                "csrf_token": AuthActions(client).csrf(),
            },
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        ).status_code
        for i in range(6)
    ]
    assert codes == [401] * 5 + [429]


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(
    database_url, instance_dir, _migrated, seed
):
    """With TRUSTED_PROXY_HOPS=1, do clients behind the proxy get limits of their own?"""
    app = make_test_app(database_url, instance_dir, TRUSTED_PROXY_HOPS=1)
    client = app.test_client()

    def login(username, password, client_ip):
        token = AuthActions(client).csrf()
        return client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token},
            headers={"X-Forwarded-For": client_ip},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )

    names = ["patrol", "supervisor", "engineer", "desk", "admin", "patrol2"]
    assert [login(n, "guess", "203.0.113.7").status_code for n in names] == [401] * 5 + [429]
    assert login("patrol", "patrol-demo", "203.0.113.8").status_code == 303


def test_the_hops_setting_is_read_from_the_environment():
    """Is TRUSTED_PROXY_HOPS off by default and read as a number?"""
    from webapp.config import ConfigError, from_env

    assert from_env({})["TRUSTED_PROXY_HOPS"] == 0
    assert from_env({"TRUSTED_PROXY_HOPS": "1"})["TRUSTED_PROXY_HOPS"] == 1
    with pytest.raises(ConfigError):
        from_env({"TRUSTED_PROXY_HOPS": "many"})


def test_no_code_checks_a_password_around_the_one_path():
    """Does every password check in the app go through passwords.check()? (A source check:
    only it calls User.check_password or burns a dummy check.)"""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "webapp"
    allowed = {root / "auth" / "passwords.py", root / "models" / "accounts.py"}
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path not in allowed
        and any(
            needle in path.read_text(encoding="utf-8")
            for needle in (".check_password(", "burn_password_check(", "verify_password(")
        )
    ]
    assert offenders == []
