"""The phone pages as Chromium draws them at 390 x 844, online and offline — the same pages
tests/webkit/test_iphone_pages.py takes in WebKit, so the two engines can be compared (saved
when ROUNDS_SCREENSHOTS is set)."""

from __future__ import annotations

import pytest

from tests.browser import support
from tests.browser.conftest import log_in_and_pull
from tests.browser.test_phone_sync import _units
from tests.webkit.test_iphone_pages import PHONE_PAGES

pytestmark = pytest.mark.browser

SETTLED = """() => document.readyState === 'complete' &&
  (!document.getElementById('shell-network') ||
   document.getElementById('shell-network').dataset.reach !== 'unknown')"""


def _settled(page, path: str):
    """Open a page and measure it once it has settled; a page may move on by itself while
    loading (the worker taking control reloads it), then it is measured again."""
    from playwright.sync_api import Error

    for _ in range(3):
        page.goto(path)
        try:
            page.wait_for_function(SETTLED, timeout=20_000)
            page.wait_for_load_state("load")
            width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            return width, page.locator("main").inner_text()
        except Error as error:
            if "destroyed" not in str(error) and "navigat" not in str(error):
                raise
    raise AssertionError(f"{path} never settled")


def test_phone_pages_screenshots(page, context, live_server):
    """Every phone page online and offline: nothing wider than the screen, the header badge
    resolved, nothing stray written on the page ("null", "undefined")."""
    unit = _units(live_server.app, 1)[0]
    log_in_and_pull(page)
    target = support.screenshot_dir()
    for state in ("online", "offline"):
        if state == "offline":
            context.set_offline(True)
        for name, path in PHONE_PAGES.items():
            width, text = _settled(page, path.format(code=unit["code"]))
            assert width[0] <= width[1], f"{name} is wider than the phone: {width}"
            assert "null" not in text and "undefined" not in text, (name, state)
            if target is not None:
                page.screenshot(path=str(target / f"chromium-{name}-{state}.png"))
    context.set_offline(False)
