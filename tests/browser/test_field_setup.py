"""A phone's first day (issue 15): set up whatever the patroller taps, never logged out by the
service worker, and open at once on a signal that answers nothing."""

from __future__ import annotations

import functools
import threading
import time
from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import urlparse

import flask
import pytest

from tests.browser import support
from tests.browser.support import HAS_TOKEN, READY
from tests.browser.support import until as _until
from tests.conftest import AuthActions

pytestmark = pytest.mark.browser

SHELL_PAGES = ("/app", "/scan", "/app/rounds", "/app/keys")
SHELL_ENDPOINTS = ("pwa.app_shell", "pwa.scan", "pwa.rounds_shell", "pwa.keys_shell")


def _new_context(browser, live_server):
    ctx = browser.new_context(base_url=live_server.url, **support.PHONE)
    ctx.set_default_timeout(20_000)
    return ctx


def _submit_login(page, username: str = "patrol") -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", AuthActions.PASSWORDS[username])
    page.click("form:has(input[name=password]) button[type=submit]")


# ------------------------------------------------------------------ defect 2


@contextmanager
def _late_answer(app, endpoint: str):
    """Hold the server's answer to one endpoint until released: the request (and the cookie it
    carried) arrives now, its answer — and any Set-Cookie in it — lands later."""
    gate = SimpleNamespace(
        arrived=threading.Event(), release=threading.Event(), cookies=[], hold=True
    )
    view = app.view_functions[endpoint]

    @functools.wraps(view)
    def held(*args, **kwargs):
        if gate.hold:
            gate.cookies.append(flask.request.headers.get("Cookie"))
            gate.arrived.set()
            gate.release.wait(60)
        return view(*args, **kwargs)

    app.view_functions[endpoint] = held
    try:
        yield gate
    finally:
        gate.hold = False
        gate.release.set()
        app.view_functions[endpoint] = view


def test_logging_in_while_the_worker_precaches_never_bounces_to_login(browser, live_server):
    """Defect 2: the worker precaches the shell pages while the user logs in. A precache answer
    that lands after the login must not overwrite the new session: ten logins, each with one
    shell page's precache answer held back until the login has answered and the page has
    settled, all stay logged in — and the held fetch carried no cookie at all."""
    for attempt in range(10):
        endpoint = SHELL_ENDPOINTS[attempt % len(SHELL_ENDPOINTS)]
        ctx = _new_context(browser, live_server)
        page = ctx.new_page()
        problems = support.watch(page)
        with _late_answer(live_server.app, endpoint) as gate:
            page.goto("/login")
            # The worker's precache fetch of the page reached the server before the login.
            assert gate.arrived.wait(60), f"attempt {attempt}: {endpoint} never precached"
            _submit_login(page)
            page.wait_for_url(lambda url: not url.endswith("/login"))
            # The page has settled (its device token came with the session): nothing after
            # the held answer writes the session again.
            _until(page, HAS_TOKEN)
            gate.release.set()
            page.wait_for_function(
                "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
                timeout=60_000,
            )
        page.goto("/")
        assert not urlparse(page.url).path.startswith("/login"), f"attempt {attempt}: bounced"
        assert page.locator("form.logout").count() == 1
        assert gate.cookies[:1] == [None], f"attempt {attempt}: precache sent {gate.cookies}"
        assert problems == [], problems
        ctx.close()


def test_precached_pages_answer_no_cookie_even_to_a_session(page, live_server):
    """The server half of defect 2, from the browser: each precached page fetched with the
    login page's anonymous session (its cookie sent along) answers no Set-Cookie."""
    page.goto("/login")
    assert any(c["name"] == "rounds_session" for c in page.context.cookies())
    for path in SHELL_PAGES:
        response = page.request.get(path)
        assert response.status == 200
        assert "set-cookie" not in response.headers, path


# ------------------------------------------------------------------ defect 1


@contextmanager
def _slow_view(app, endpoint: str, seconds: float):
    """The server answers one endpoint `seconds` late (slow 4G on the way back)."""
    view = app.view_functions[endpoint]

    @functools.wraps(view)
    def slow(*args, **kwargs):
        time.sleep(seconds)
        return view(*args, **kwargs)

    app.view_functions[endpoint] = slow
    try:
        yield
    finally:
        app.view_functions[endpoint] = view


def _worker_first(page) -> None:
    page.goto("/app")
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=60_000,
    )


def _sign_in_and_sync(page) -> None:
    """The worker first, then the login form, the first pull, and back on /app."""
    _worker_first(page)
    page.goto("/login")
    _submit_login(page)
    page.wait_for_url(lambda url: not url.endswith("/login"))
    _until(page, READY, timeout_s=60)
    page.goto("/app")


@pytest.mark.parametrize("tapped", ["/app/rounds", "/app/keys", "/app"])
def test_a_tap_away_right_after_login_still_sets_the_phone_up(browser, live_server, tapped):
    """Defect 1: the device token answers 1.5 s late and the patroller taps away from the home
    page at once (the request is cut). The page tapped — precached, naming no user — finds no
    token, asks the server who is logged in, gets a token itself and pulls the items."""
    ctx = _new_context(browser, live_server)
    page = ctx.new_page()
    problems = support.watch(page)
    _worker_first(page)
    with _slow_view(live_server.app, "api.device_login", 1.5):
        page.goto("/login")
        _submit_login(page)
        page.wait_for_url(lambda url: not url.endswith("/login"))
        page.goto(tapped)
        _until(page, READY, timeout_s=60)
    assert page.locator("#phone-setup").count() == 0
    assert page.evaluate("document.documentElement.dataset.setup") == "ready"
    assert problems == [], problems
    ctx.close()


def test_a_page_that_cannot_set_the_phone_up_says_so_and_what_to_do(browser, live_server):
    """Defect 1, the other half: logged out, the patrol page says the phone is not set up and
    offers the login (back to this page); with the server unreachable it says that instead."""
    ctx = _new_context(browser, live_server)
    page = ctx.new_page()
    problems = support.watch(page)
    _worker_first(page)
    page.goto("/app/rounds")
    notice = page.locator("#phone-setup[data-state=logged-out]")
    notice.wait_for()
    assert "還沒有設定好" in notice.inner_text()
    assert notice.locator("a[data-setup-login]").get_attribute("href") == (
        "/login?next=%2Fapp%2Frounds"
    )
    # The server down: every /api request fails.
    ctx.route("**/api/**", lambda route: route.abort())
    page.reload()
    notice = page.locator("#phone-setup[data-state=unreachable]")
    notice.wait_for()
    assert "連不上伺服器" in notice.inner_text()
    assert page.locator("#shell-network").inner_text() == "離線"
    ctx.unroute("**/api/**")
    # Logging in from the notice comes back here, and the page sets the phone up.
    page.reload()
    page.locator("#phone-setup a[data-setup-login]").click()
    _submit_login(page)
    page.wait_for_url("**/app/rounds")
    _until(page, READY, timeout_s=60)
    assert page.locator("#phone-setup").count() == 0
    assert problems == [], problems
    ctx.close()


# ------------------------------------------------------------------ defect 5


def _unit_code(app) -> tuple[str, str]:
    """The last unit of the first estate: its active code and label."""
    (unit,) = support.first_estate_units(app, 1, last=True)
    return unit["code"], unit["label"]


def test_an_item_opens_from_the_phone_while_the_network_stalls(browser, live_server):
    """Defect 5: on a signal that answers nothing, an item the phone holds opens from its store
    at once (here: while every request hangs, well within a 5 s wait — the time itself is a
    bench row), and the header never says 在線 while the server does not answer."""
    code, label = _unit_code(live_server.app)
    ctx = _new_context(browser, live_server)
    page = ctx.new_page()
    problems = support.watch(page)
    _sign_in_and_sync(page)
    page.locator("#shell-network[data-reach=up]").wait_for()
    assert page.locator("#shell-network").inner_text() == "在線"

    stalled: list = []
    ctx.route("**/*", lambda route: stalled.append(route))  # accepted, never answered
    page.goto(f"/q/{code}", wait_until="commit", timeout=5_000)
    page.wait_for_function(
        "() => document.documentElement.dataset.itemShown === '1'", timeout=5_000
    )
    assert page.locator("#item-title").inner_text() == label
    assert page.locator("#shell-network").inner_text() != "在線"
    # The phone has a network here, the server is what is slow: the notice says so.
    assert "伺服器沒有即時回應" in page.locator(".item-offline").inner_text()
    assert stalled, "nothing was asked of the network"
    # No answer for a while: the header says so.
    page.locator("#shell-network[data-reach=stalled]").wait_for(timeout=10_000)
    assert page.locator("#shell-network").inner_text() == "伺服器沒有回應"
    # Patrol pages open from the phone too, the network still hanging; once the server is known
    # not to answer, a scanned or typed code shows its item in place (no page to wait for).
    page.goto("/app", wait_until="commit", timeout=5_000)
    page.locator("#shell-home").wait_for(timeout=5_000)
    assert page.locator("#shell-network").inner_text() != "在線"
    page.locator("#shell-network[data-reach=stalled]").wait_for(timeout=10_000)
    # Home (/) is the patrol screen for a patroller: not waited for (it was 10 s), and shown as
    # home, not as a page the phone lacks.
    page.goto("/", wait_until="commit", timeout=5_000)
    page.locator("#shell-home").wait_for(timeout=5_000)
    assert page.locator("#shell-fallback").is_hidden()
    page.goto("/app", wait_until="commit", timeout=5_000)
    page.locator("#shell-network[data-reach=stalled]").wait_for(timeout=10_000)
    page.evaluate(
        "async (code) => { window.__samePage = true;"
        " await (await import('/static/build/shell.js')).openItem(code, 'typed'); }",
        code,
    )
    page.wait_for_function(
        "() => document.documentElement.dataset.itemShown === '1'", timeout=5_000
    )
    assert page.evaluate("window.__samePage === true")  # shown in place, no page load
    assert urlparse(page.url).path == f"/q/{code}"
    assert page.locator("#item-title").inner_text() == label
    assert problems == [], problems
    ctx.close()


def test_the_last_sync_time_follows_the_page_language_not_the_browsers(browser, live_server):
    """WebKit showed 「上次同步 12/4/2026, 10:15:19 PM」 on a zh-Hant page: times on the phone
    follow the page's language, whatever the browser's own locale (here en-US)."""
    ctx = browser.new_context(
        base_url=live_server.url,
        **{**support.PHONE, "locale": "en-US"},
        extra_http_headers={"Accept-Language": "zh-TW,zh;q=0.9"},  # pages in zh-Hant
    )
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    _sign_in_and_sync(page)
    synced = page.locator("[data-synced]")
    synced.wait_for()
    assert page.evaluate("document.documentElement.lang").startswith("zh")
    text = synced.inner_text()
    assert text and "AM" not in text and "PM" not in text, text
    assert any(mark in text for mark in ("上午", "下午", "/")), text
    ctx.close()
