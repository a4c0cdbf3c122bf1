"""Web Push end to end in Chromium, without an outside push service (none is reachable here).

The server's half: a subscription pointing at a push service the test runs
(tests/push_service.py) is posted by the page as notifications.js posts one; an alert sent
with ``push.deliver`` reaches it signed (VAPID) and encrypted (aes128gcm), and decrypts.
The browser's half: the message the push service would carry is handed to the service worker
through DevTools (``ServiceWorker.deliverPushMessage``); the worker's notification appears on
a desktop notification server the test runs (tests/browser/desktop_notifications.py), and a
click there opens the finding.

Chromium's own ``pushManager.subscribe`` needs Google's push service, which is not reachable
here: the test proves the control says so and keeps nothing, then stores the subscription
for the recorder directly (through the same endpoint).
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests import push_service
from tests.browser import desktop_notifications, support
from tests.browser.conftest import log_in
from webapp.alerts import push
from webapp.extensions import db
from webapp.models import User
from webapp.models.push import PushSubscription
from webapp.models.sync import Finding

pytestmark = pytest.mark.browser

POST_SUBSCRIPTION = """async (subscription) => {
  const session = await (await fetch('/api/auth/session')).json();
  const answer = await fetch('/api/push/subscribe', {
    method: 'POST',
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': session.csrf_token},
    body: JSON.stringify(subscription),
  });
  return answer.status;
}"""
NOTIFICATIONS = """async () => (await navigator.serviceWorker.ready).getNotifications().then(
  (all) => all.map((n) => ({title: n.title, body: n.body, tag: n.tag, icon: n.icon, data: n.data}))
)"""
STATE = "() => document.querySelector('[data-push]').dataset.state"


@pytest.fixture(scope="module")
def recorder(live_server, push_recorder):
    """The push service, trusted by the live app as one for this test's subscriptions."""
    running = push_recorder
    config = live_server.app.config
    saved = {k: config.get(k) for k in ("PUSH_CA_BUNDLE", "PUSH_SERVICE_HOSTS")}
    config.update(PUSH_CA_BUNDLE=str(running.cert), PUSH_SERVICE_HOSTS=("127.0.0.1",))
    yield running
    config.update(saved)


@pytest.fixture(scope="module")
def desktop(tmp_path_factory):
    try:
        server = desktop_notifications.start(tmp_path_factory.mktemp("dbus"))
    except FileNotFoundError:
        if support.in_ci():
            pytest.fail(desktop_notifications.INSTALL_HINT)
        pytest.skip(desktop_notifications.INSTALL_HINT)
    yield server
    server.stop()


@pytest.fixture
def desktop_browser(browser, live_server, desktop, tmp_path):
    """A desktop Chromium profile (persistent: not incognito) showing its notifications on the
    test's notification server, notifications allowed for the app."""
    ctx = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=support.chromium_path(),
        args=support.CHROMIUM_FLAGS,
        env={"DBUS_SESSION_BUS_ADDRESS": desktop.address},
        base_url=live_server.url,
        viewport={"width": 1280, "height": 800},
        locale="zh-TW",
    )
    ctx.set_default_timeout(15_000)
    ctx.grant_permissions(["notifications"], origin=live_server.url)
    yield ctx
    ctx.close()


def _registration_id(ctx, page) -> str:
    cdp = ctx.new_cdp_session(page)
    found: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: found.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(300)  # events are read while Playwright waits
    live = [r for r in found if not r["isDeleted"] and r["scopeURL"].endswith("/")]
    assert live, found
    page.cdp = cdp
    return live[0]["registrationId"]


def _open_alerts_page(ctx, username: str):
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    page.problems = support.watch(page)
    page.goto("/app")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=45_000)
    log_in(page, username)
    page.goto("/account/alerts")
    return page


def _a_finding_of(app, username: str) -> tuple[int, str]:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        estates = [e.id for e in user.estates]
        finding = db.session.scalar(
            sa.select(Finding).where(Finding.estate_id.in_(estates)).order_by(Finding.id)
        )
        assert finding is not None, "the demo has findings"
        return user.id, finding.id


def test_subscribe_without_a_push_service_says_so_and_keeps_nothing(
    desktop_browser, live_server, recorder
):
    """The button (permission granted) calls Chromium's real pushManager.subscribe, which fails
    here for want of Google's push service: the control says it could not, stays off, and the
    server holds no subscription."""
    page = _open_alerts_page(desktop_browser, "engineer")
    control = page.locator("[data-push]")
    status = control.locator("[data-push-status]")
    page.wait_for_function(f"() => ({STATE})() === 'off'")
    assert status.inner_text() == "此裝置的通知已關閉。"
    control.locator("[data-push-on]").click()
    assert page.evaluate(STATE) == "working"
    page.wait_for_function(f"() => ({STATE})() === 'off'", timeout=40_000)
    assert status.inner_text() == "無法在此開啟通知：此瀏覽器的推播服務沒有回應。請稍後再試。"
    assert control.locator("[data-push-on]").is_visible()
    with live_server.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0
    assert page.problems == []


def test_an_alert_reaches_the_push_service_and_its_click_opens_the_finding(
    desktop_browser, live_server, recorder, desktop
):
    """Subscription posted by the page → push.deliver → the recorder gets a VAPID-signed
    aes128gcm request that decrypts; that message delivered to the worker (DevTools) shows a
    notification (title, body, tag, icon, page); a click on it opens the finding."""
    app = live_server.app
    user_id, finding_id = _a_finding_of(app, "supervisor")
    page = _open_alerts_page(desktop_browser, "supervisor")
    browser_keys = push_service.Subscriber.new()
    endpoint = recorder.url("supervisor-desktop")
    assert page.evaluate(POST_SUBSCRIPTION, browser_keys.subscription(endpoint)) == 201

    finding_path = f"/review/findings/{finding_id}"
    with app.app_context():
        sent = push.deliver(
            db.session,
            user_id,
            title="逾期未處理：消防門",
            body="3棟-15樓 消防門 已逾期 2 天",
            url=finding_path,
            tag=f"finding:{finding_id}",
        )
        db.session.commit()
        public_key = push.public_key()
    assert sent == 1
    [request] = [r for r in recorder.requests if r.path == "/push/supervisor-desktop"]
    assert request.headers["content-encoding"] == "aes128gcm"
    claims, k = push_service.verify_vapid(request.headers["authorization"])
    assert (k, claims["aud"]) == (public_key, recorder.origin)
    message = browser_keys.decrypt(request.body)
    assert message["url"] == live_server.url + finding_path

    origin = live_server.url
    registration = _registration_id(desktop_browser, page)
    before = len(desktop.shown)
    page.cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": origin, "registrationId": registration, "data": json.dumps(message)},
    )
    shown = desktop.wait_shown(before + 1)[-1]
    assert shown.summary == "逾期未處理：消防門"
    assert "3棟-15樓 消防門 已逾期 2 天" in shown.body
    [held] = page.evaluate(NOTIFICATIONS)
    assert held["tag"] == f"finding:{finding_id}"
    assert held["icon"] == origin + "/static/icons/icon-192.png"
    assert held["data"] == {"url": origin + finding_path}

    with desktop_browser.expect_page() as opened:
        desktop.click(shown.id)
    finding_page = opened.value
    finding_page.wait_for_load_state()
    assert finding_page.url == origin + finding_path
    assert finding_page.locator("h1").count() == 1
    assert page.evaluate(NOTIFICATIONS) == []  # the click closed it
    assert page.problems == []


def test_a_click_focuses_the_open_finding_and_never_opens_another_origin(
    desktop_browser, live_server, recorder, desktop
):
    """A window already showing the page is used (no second one); a message naming another
    origin's page opens nothing when clicked."""
    app = live_server.app
    _user_id, finding_id = _a_finding_of(app, "supervisor")
    page = _open_alerts_page(desktop_browser, "supervisor")
    origin = live_server.url
    registration = _registration_id(desktop_browser, page)
    finding_url = f"{origin}/review/findings/{finding_id}"
    page.goto(finding_url)

    def push_and_click(url: str) -> None:
        before = len(desktop.shown)
        message = {"title": "t", "body": "b", "tag": url, "url": url}
        page.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": origin, "registrationId": registration, "data": json.dumps(message)},
        )
        shown = desktop.wait_shown(before + 1)[-1]
        closed = len(desktop.closed)
        desktop.click(shown.id)
        deadline = 50  # the worker's click handler closes the notification first
        while len(desktop.closed) == closed and deadline:
            page.wait_for_timeout(100)
            deadline -= 1
        assert len(desktop.closed) > closed, "the click reached the worker"
        page.wait_for_timeout(1000)  # a window would have opened by now

    pages = len(desktop_browser.pages)
    push_and_click(finding_url)
    assert len(desktop_browser.pages) == pages
    assert page.url == finding_url
    push_and_click("https://evil.example/review/findings/1")
    assert len(desktop_browser.pages) == pages
    assert [p.url for p in desktop_browser.pages if "evil" in p.url] == []
    assert page.problems == []


def test_a_refused_permission_says_where_to_allow_it(page, context, live_server):
    """Notifications blocked for the site: the control says how to allow them, and shows no
    button (asking again would not even prompt)."""
    cdp = context.new_cdp_session(page)
    cdp.send(
        "Browser.setPermission",
        {
            "permission": {"name": "notifications"},
            "setting": "denied",
            "origin": live_server.url,
            "browserContextId": cdp.send("Target.getTargetInfo")["targetInfo"]["browserContextId"],
        },
    )
    log_in(page, "desk")
    page.goto("/account/alerts")
    page.wait_for_function(f"() => ({STATE})() === 'denied'")
    assert "已封鎖巡查系統的通知" in page.locator("[data-push-status]").inner_text()
    assert page.locator("[data-push-on]").is_hidden()
    assert page.locator("[data-push-off]").is_hidden()
