"""What an iPhone user sees in Safari's engine: the Add to Home Screen steps (Safari has no
install prompt), whether the browser keeps the phone's data, and the phone pages at 390 x 844."""

from __future__ import annotations

import pytest

from tests.browser import support
from tests.webkit.test_offline_core import log_in, units

pytestmark = pytest.mark.webkit


def test_the_home_shows_iphone_install_steps_and_whether_storage_is_kept(phone):
    """On an iPhone in Safari (not from the Home Screen): does /app show how to add Rounds to
    the Home Screen, and say whether the browser promised to keep the phone's data?"""
    log_in(phone)
    phone.goto("/app")
    phone.wait_visible("[data-ios-install]")
    assert "加入主畫面" in phone.find("[data-ios-install]").text
    phone.wait_visible("[data-storage]")
    # WebKitGTK has no StorageManager: then nothing was promised (Safari on iOS has one).
    kept = phone.js("return navigator.storage ? navigator.storage.persisted() : null;")
    shown = phone.find("[data-storage]")
    assert shown.get_attribute("data-persisted") == (
        "unknown" if kept is None else str(kept).lower()
    )
    kept = bool(kept)
    visible = phone.js(
        "return [...document.querySelectorAll('[data-storage] span')]"
        ".filter((e) => !e.hidden).map((e) => e.textContent);"
    )
    assert visible and all(("已保留" in t or "不會" in t) == kept for t in visible[:1])
    if not kept:
        assert any("加入主畫面" in t for t in visible)


# The phone pages compared between the engines (tests/browser/test_phone_looks.py takes the
# same in Chromium): each online, then again with the network cut.
PHONE_PAGES = {
    "app": "/app",
    "scan": "/scan",
    "rounds": "/app/rounds",
    "keys": "/app/keys",
    "item": "/q/{code}",
}
SETTLED = """return document.readyState === 'complete' &&
  (!document.getElementById('shell-network') ||
   document.getElementById('shell-network').dataset.reach !== 'unknown');"""


def test_phone_pages_screenshots(phone, live_server, relay):
    """The phone pages as WebKit draws them at 390 x 844, online and offline (saved when
    ROUNDS_SCREENSHOTS is set): nothing wider than the screen, and the header's server badge
    never left at 連線檢查中…"""
    unit = units(live_server.app, 1)[0]
    log_in(phone)
    target = support.screenshot_dir()
    for state in ("online", "offline"):
        if state == "offline":
            relay.cut()
        for name, path in PHONE_PAGES.items():
            phone.goto(path.format(code=unit["code"]))
            phone.until(SETTLED, timeout=20, what=f"{name} ({state}) loaded, its badge resolved")
            width = phone.js("return [document.documentElement.scrollWidth, innerWidth];")
            assert width[0] <= width[1], f"{name} is wider than the phone: {width}"
            if target is not None:
                phone.screenshot(target / f"webkit-{name}-{state}.png")


def test_the_header_badge_says_whether_the_server_answers(phone, relay):
    """On the patrol pages in WebKit: does the header badge leave 連線檢查中… for 在線 while
    the server answers, and say 離線 once it cannot be reached?"""
    log_in(phone)
    badge = "return document.getElementById('shell-network').dataset.reach;"
    for path in ("/app", "/app/rounds", "/app/keys"):
        phone.goto(path)
        phone.until(f"{badge.removesuffix(';')} === 'up';", timeout=20, what=f"{path} 在線")
        assert phone.find("#shell-network").text == "在線"
    relay.cut()
    for path in ("/app", "/app/rounds"):
        phone.goto(path)
        phone.until(f"{badge.removesuffix(';')} === 'down';", timeout=20, what=f"{path} 離線")
        assert phone.find("#shell-network").text == "離線"


def test_notifications_on_an_iphone_ask_for_the_home_screen_app_first(phone):
    """On an iPhone in Safari (not from the Home Screen) Web Push does not exist: the alerts
    page's "notifications on this device" says to add Rounds to the Home Screen, and offers
    no button that could not work."""
    log_in(phone)
    phone.goto("/account/alerts")
    phone.until(
        "return document.querySelector('[data-push]').dataset.state === 'ios';",
        what="the notifications control to read the browser",
    )
    text = phone.find("[data-push-status]").text
    assert "加入主畫面" in text and "iPhone" in text
    hidden = phone.js(
        "return [...document.querySelectorAll('[data-push-on], [data-push-off]')]"
        ".map((b) => b.hidden);"
    )
    assert hidden == [True, True]
