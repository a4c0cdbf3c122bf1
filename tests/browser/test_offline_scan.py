"""A label scanned with no network shows its item in place, from the store, with no page load."""

from __future__ import annotations

import pytest

from tests.browser.support import OUTBOX
from tests.browser.test_phone_sync import _launch, _log_in_and_pull, _offline, _record_check

pytestmark = pytest.mark.browser

NAVIGATED = "() => performance.getEntriesByType('navigation')[0].name"


def test_an_offline_scan_shows_the_item_in_place_and_back_returns_to_the_scanner(
    browser, live_server, printed_label, tmp_path
):
    """Offline, does the scanned label's item show on the scanner's page (its address /q/<code>
    in the history, no page loaded), the camera stopped, a check recorded there, and does Back
    bring the scanner again?"""
    label, video, _png = printed_label
    ctx = _launch(browser, live_server, tmp_path / "profile", video)
    page = ctx.new_page()
    _log_in_and_pull(page)
    _offline(ctx)

    page.goto("/scan")
    page.wait_for_url(f"**/q/{label.code}", timeout=30_000)
    page.locator("#item-view").wait_for(state="visible")
    assert label.unit_label in page.locator("#item-title").inner_text()
    # Shown in place: the document is still the one /scan loaded.
    assert page.evaluate(NAVIGATED).endswith("/scan")
    assert page.locator("#scanner").is_hidden()
    assert page.locator("#shell-home").is_hidden() and page.locator("#manual").is_hidden()
    live = "() => [...document.querySelectorAll('video')].some(v => v.srcObject?.active)"
    page.wait_for_function(f"() => !({live})()")
    shown = page.evaluate("({...document.documentElement.dataset})")
    assert float(shown["itemShownMs"]) >= 0 and float(shown["frameToItemMs"]) >= 0

    _record_check(page, None, note="原地顯示")
    outbox = page.evaluate("async () => (await import('/static/build/store.js')).outboxEntries()")
    assert [e["code"] for e in outbox] == [label.code]
    assert outbox[0]["payload"]["method"] == "scan"

    page.go_back()
    page.wait_for_url("**/scan")
    page.locator("#scanner").wait_for(state="visible")
    ctx.close()


def test_an_offline_typed_code_opens_in_place_too(browser, live_server, printed_label, tmp_path):
    """Offline, does a short code typed on /app open its item in place, and is its check
    method "typed" with the reason the picker was given?"""
    label, _video, _png = printed_label
    ctx = _launch(browser, live_server, tmp_path / "profile")
    page = ctx.new_page()
    _log_in_and_pull(page)
    _offline(ctx)
    page.goto("/app")
    page.fill("#manual-code", label.short_code)
    page.click("#manual-form button[type=submit]")
    page.wait_for_url(f"**/q/{label.code}")
    page.locator("#item-view").wait_for(state="visible")
    assert page.evaluate(NAVIGATED).endswith("/app")
    # Not scanned: no check is saved until the patroller says why.
    page.locator("#record .choice-ok").click()
    page.click(".record-save")
    page.locator("#record .reason-error").wait_for(state="visible")
    assert page.evaluate(OUTBOX) == []
    _record_check(page, None, reason="camera_unavailable")
    outbox = page.evaluate(OUTBOX)
    assert outbox[0]["payload"]["method"] == "typed"
    assert outbox[0]["payload"]["manual_reason"] == "camera_unavailable"
    ctx.close()
