"""Every 429 the app answers says, in words, the wait its Retry-After header says: the login's
limits (the address's window, the account's back-off, the tries in flight), the device login,
the handover, the password change, and any other limit (Flask-Limiter's, werkzeug's), on pages
and under /api, in zh-Hant and in English."""

from __future__ import annotations

import re

import pytest
from werkzeug.exceptions import TooManyRequests

from tests.conftest import AuthActions, empty_app, make_test_app
from webapp.access import public
from webapp.auth import passwords
from webapp.errors import retry_seconds
from webapp.extensions import limiter

A = {"REMOTE_ADDR": "198.51.100.7"}
# The number and unit of a 429's words, as each language writes them.
SAID = {
    "zh": re.compile(r"請等候 (\d+) (秒|分鐘)後再試"),
    "en": re.compile(r"wait (\d+) (s|min) and try again"),
}
UNIT = {"秒": 1, "s": 1, "分鐘": 60, "min": 60}


def said_seconds(response, language: str) -> int:
    """The wait a 429's words say, in seconds (its JSON message, or its page's text)."""
    text = response.get_json()["message"] if response.is_json else response.get_data(as_text=True)
    found = SAID[language].findall(text)
    assert len(set(found)) == 1, (language, found, text[:300])
    number, unit = found[0]
    return int(number) * UNIT[unit]


def agrees(response, language: str) -> int:
    """Assert a 429 whose words and Retry-After say the same wait; that wait."""
    assert response.status_code == 429, response.get_data(as_text=True)[:300]
    header = int(response.headers["Retry-After"])
    assert said_seconds(response, language) == header
    return header


@pytest.fixture
def clock(monkeypatch):
    """The password limits' clock, 20 s before a one-minute window ends."""
    now = [1_900_000_000.0]
    monkeypatch.setattr(passwords, "_now", lambda: now[0])
    return now


def _login(client, username, password, language):
    token = AuthActions(client).csrf()
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base=A,
        headers={"Accept-Language": language},
    )


def _device(client, username, password, language):
    body = {"username": username, "password": password, "device_name": "手機"}
    return client.post(
        "/api/auth/device", json=body, environ_base=A, headers={"Accept-Language": language}
    )


def _wrong_five(client, username="patrol"):
    for i in range(5):
        assert _login(client, username, f"guess-{i}", "zh").status_code == 401


LANGUAGES = ["zh", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_in_flight_limit_says_its_five_seconds(app, seed, clock, monkeypatch, language):
    """Is the 429 of too many password checks in flight at once (Retry-After: 5) worded "5 s",
    not "1 min" — on the login page and from the device login?"""
    monkeypatch.setattr(passwords, "_in_flight_cap", lambda: 0)  # this try is one too many
    client = app.test_client()
    assert agrees(_login(client, "patrol", "patrol-demo", language), language) == 5
    assert agrees(_device(client, "patrol", "patrol-demo", language), language) == 5


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_address_window_says_the_seconds_left(app, seed, clock, language):
    """Is the 429 of an address that spent its window's tries (5 a minute, 20 s of the window
    left) worded as those 20 s, on the page and from /api?"""
    client = app.test_client()
    for name in ("supervisor", "engineer", "desk", "admin", "patrol2"):
        assert _login(client, name, "guess", "zh").status_code == 401
    assert agrees(_login(client, "patrol", "patrol-demo", language), language) == 20
    assert agrees(_device(client, "patrol", "patrol-demo", language), language) == 20


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_accounts_back_off_says_its_minutes(app, seed, clock, language):
    """Is the account's back-off after five wrong tries (60 s, then 120 s) worded in the
    minutes its Retry-After says?"""
    client = app.test_client()
    _wrong_five(client)
    assert agrees(_login(client, "patrol", "patrol-demo", language), language) == 60
    clock[0] += 61
    assert _login(client, "patrol", "guess-6", "zh").status_code == 401
    assert agrees(_device(client, "patrol", "guess-7", language), language) == 120


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_handover_and_the_password_change_say_what_the_header_says(
    app, client, auth, seed, clock, language
):
    """Are the handover's and the password change's 429s (their forms again) worded as their
    Retry-After says?"""
    auth.login("desk")
    token = auth.csrf("/desk/handover")
    for i in range(5):
        client.post(
            "/desk/handover",
            data={
                "csrf_token": token,
                "outgoing_password": "desk-demo",
                "incoming_username": "supervisor",
                "incoming_password": f"wrong-{i}",
            },
        )
    data = {"csrf_token": token, "outgoing_password": "desk-demo",
            "incoming_username": "supervisor", "incoming_password": "wrong-6"}  # fmt: skip
    headers = {"Accept-Language": language}
    handover = client.post("/desk/handover", data=data, headers=headers)
    agrees(handover, language)
    change = client.post(
        "/account/password",
        data={
            "csrf_token": auth.csrf("/account/password"),
            "current_password": "desk-demo",
            "new_password": "a-new-password-1234",
            "confirm": "a-new-password-1234",
        },
        headers=headers,
    )
    agrees(change, language)


@pytest.fixture
def limited(_migrated, database_url, instance_dir):
    """An app with routes of a test's own: a page and an /api route, each limited to one
    request an hour by Flask-Limiter, and one that raises werkzeug's 429 with no wait."""
    made = make_test_app(database_url, instance_dir)

    @public
    def limited_page():
        return "ok"

    @public
    def limited_api():
        return {"ok": True}

    @public
    def refused_bare():
        raise TooManyRequests()

    made.add_url_rule("/test-limited", view_func=limiter.limit("1 per hour")(limited_page))
    made.add_url_rule("/api/test-limited", view_func=limiter.limit("1 per hour")(limited_api))
    made.add_url_rule("/test-refused", view_func=refused_bare)
    made.add_url_rule("/api/test-refused", "api_refused", view_func=refused_bare)
    yield made
    empty_app(made)


@pytest.mark.parametrize("language", LANGUAGES)
def test_any_other_limit_says_what_its_header_says(limited, language):
    """Does a Flask-Limiter limit's 429 (page and /api) and a bare werkzeug 429 (no wait of
    its own: the default minute) carry a Retry-After and words that say the same?"""
    client = limited.test_client()
    headers = {"Accept-Language": language}
    for path in ("/test-limited", "/api/test-limited"):
        assert client.get(path, headers=headers).status_code == 200
        refused = client.get(path, headers=headers)
        assert 3540 <= agrees(refused, language) <= 3660  # an hour's window, to a minute
        assert refused.is_json == path.startswith("/api/")
    for path in ("/test-refused", "/api/test-refused"):
        assert agrees(client.get(path, headers=headers), language) == 60


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.2, 1), (5, 5), (20.4, 21), (59, 59), (59.5, 60), (60, 60), (61, 120), (3599, 3600)],
)
def test_a_wait_is_whole_seconds_under_a_minute_else_whole_minutes(seconds, shown):
    """Is the wait a 429 asks for rounded up — to a second under a minute, else to a minute —
    so the words can say it exactly?"""
    assert retry_seconds(seconds) == shown
