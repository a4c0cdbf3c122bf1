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


def test_phone_pages_screenshots(phone, live_server):
    """The phone pages as WebKit draws them at 390 x 844 (saved when ROUNDS_SCREENSHOTS is set):
    nothing wider than the screen."""
    unit = units(live_server.app, 1)[0]
    log_in(phone)
    target = support.screenshot_dir()
    pages = {
        "app": "/app",
        "item": f"/q/{unit['code']}",
        "rounds": "/app/rounds",
        "keys": "/app/keys",
        "scan-manual": "/app#manual",
    }
    for name, path in pages.items():
        phone.goto(path)
        phone.until("return document.readyState === 'complete';")
        width = phone.js("return [document.documentElement.scrollWidth, innerWidth];")
        assert width[0] <= width[1], f"{name} is wider than the phone: {width}"
        if target is not None:
            phone.screenshot(target / f"webkit-{name}.png")
