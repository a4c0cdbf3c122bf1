"""What the phone says after a save and when the network comes back: on this phone, or on the
server — never one for the other."""

from __future__ import annotations

import pytest

from tests.browser import support
from tests.browser.conftest import log_in_and_pull
from tests.browser.support import SENT, SYNC, until
from tests.browser.test_round_reasons import _offline_in_round, _signage_estate

pytestmark = pytest.mark.browser


def _back_online(page, context) -> None:
    """The network is back, and the phone syncs."""
    context.unroute("**/*")
    context.set_offline(False)
    page.evaluate(SYNC)
    until(page, SENT)


def test_a_rounds_save_says_on_the_phone_then_synced(page, context, live_server):
    """A check saved in a round with no network: does the round's message say it is kept on
    this phone and syncs by itself — it said only 「已儲存」, as if it had been sent — and,
    once the network is back and it has synced, that the server has it?"""
    facts = _signage_estate(live_server.app, slots=[{"start": "00:00", "end": "00:00", "days": 1}])
    _offline_in_round(page, context, facts)
    page.click(".rp-pick")
    page.locator("#rp-check [data-reason-picker] .reason-tile[data-value=label_unreadable]").click()
    page.click(".rp-opt[data-value=in_place]")
    page.click(".rp-save")
    page.wait_for_function("() => !location.hash.includes('/c/')")
    said = page.locator(".rp-flash").first.inner_text()
    assert "已儲存" in said and "已存在手機上，有網路時會自動同步" in said, said

    _back_online(page, context)
    page.wait_for_function(
        "() => (document.querySelector('.rp-flash') || {}).textContent?.includes('已同步')"
    )
    said = page.locator(".rp-flash").first.inner_text()
    assert "有網路時會自動同步" not in said, said


def test_an_item_shown_offline_stops_saying_no_network_once_it_is_back(page, context, live_server):
    """A unit opened with no network shows 「沒有網路」 above what the phone holds: once the
    network is back (the header says 在線), does the notice stop saying there is none — it
    stayed, contradicting the header — and offer to load the server's page?"""
    unit = support.first_estate_units(live_server.app, 1, skip=3)[0]
    log_in_and_pull(page)
    support.go_offline(context)
    page.goto(f"/q/{unit['code']}")
    notice = page.locator(".item-offline")
    notice.wait_for()
    assert "沒有網路" in notice.inner_text()

    _back_online(page, context)
    page.wait_for_function("() => document.getElementById('shell-network').dataset.reach === 'up'")
    page.wait_for_function(
        "() => !document.querySelector('.item-offline').textContent.includes('沒有網路')"
    )
    assert "已重新連線" in notice.inner_text()
    notice.get_by_role("link", name="重新載入").click()
    page.locator("#record").wait_for()
    assert page.locator(".item-offline").count() == 0
