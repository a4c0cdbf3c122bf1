"""A phone's first day (issue 15): set up whatever the patroller taps, never logged out by the
service worker, and open at once on a signal that answers nothing."""

from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from types import SimpleNamespace
from urllib.parse import urlparse

import flask
import pytest

from tests.browser import support
from tests.conftest import AuthActions

pytestmark = pytest.mark.browser

SHELL_PAGES = ("/app", "/scan", "/app/rounds", "/app/keys")
SHELL_ENDPOINTS = ("pwa.app_shell", "pwa.scan", "pwa.rounds_shell", "pwa.keys_shell")
HAS_TOKEN = "async () => (await (await import('/static/build/sync.js')).status()).hasToken"
READY = """async () => {
  const s = await (await import('/static/build/sync.js')).status();
  return s.hasToken && s.items > 0 && !s.firstPull && !s.syncing;
}"""


def _until(page, script: str, timeout_s: float = 30, arg=None):
    """Poll an async page script until it answers truthy (wait_for_function awaits no promise)."""
    for _ in range(int(timeout_s * 10)):
        value = page.evaluate(script, arg)
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")


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
