"""A check not scanned says why, and a round's summary counts the findings its checks raised
(issue #18), on a phone in real Chromium with no network."""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.browser import support
from tests.browser.support import OUTBOX, SENT, add_patroller, add_round
from tests.browser.support import until as _until
from webapp.extensions import db
from webapp.labels.codes import ensure_codes
from webapp.models import Sign, utcnow
from webapp.models.sync import Check, Finding

pytestmark = pytest.mark.browser

PASSWORD = "reasons-rounds-1"
# Whether the phone's store holds a pulled finding raised by this check.
PULLED_FINDING = """async (checkId) => {
  const store = await import('/static/build/store.js');
  const all = await store.withDB((db) => db.getAllFromIndex('objects', 'type', 'finding'));
  return all.some((r) => r.data.check_id === checkId);
}"""


def _signage_estate(app, *, slots: list[dict], signs: int = 2) -> dict:
    """An estate where it is about noon, a building with `signs` signs, a signage round with
    these windows, and a patroller of that estate only (a fresh username)."""
    with app.app_context():
        tz = support.noon_zone(utcnow())
        estate, building = support.add_estate("原因測試苑", tz, "B棟", floors=signs)
        rows = [
            Sign(
                estate_id=estate.id,
                category="floor",
                location=f"B棟{f}樓電梯廳",
                building_id=building.id,
                floor=f,
            )
            for f in range(1, signs + 1)
        ]
        db.session.add_all(rows)
        db.session.flush()
        codes = ensure_codes(db.session, "sign", rows)
        today = utcnow().astimezone(ZoneInfo(tz)).date()
        template = add_round(
            estate, kind="signage", name="標識檢查", slots=slots, anchor=today - timedelta(days=1)
        )
        username = f"reasons-{uuid.uuid4().hex[:6]}"
        add_patroller(estate, username, PASSWORD, "原因 測試")
        facts = {
            "round": template.id,
            "codes": [codes[s.id].code for s in rows],
            "shorts": [codes[s.id].short_code for s in rows],
            "username": username,
        }
        db.session.commit()
    return facts


def _offline_in_round(page, context, facts) -> None:
    """Log in (online once: token and first pull), cut the network, open the round."""
    support.log_in_then_go_offline(page, context, facts["username"], PASSWORD)
    page.goto("/app/rounds")
    page.wait_for_selector("html[data-rounds-ready]")
    page.click(f".rp-round-card[data-round='{facts['round']}'] a")
    page.locator("#rp-round").wait_for(state="visible")


def _checks(page) -> list[dict]:
    return [e for e in page.evaluate(OUTBOX) if e["type"] == "check.record"]


def test_a_check_without_scanning_needs_a_reason_and_the_server_keeps_it(
    page, context, live_server
):
    """Picked from the list with no network: does save stay blocked (said at the picker) until
    a reason is chosen, and "other" until its note is written; does the header show the
    reason; after sync does the server's check carry manual_reason label_damaged, with the
    relabel finding it raised; and does the summary count that finding once, predicted
    before the sync and pulled after it?"""
    facts = _signage_estate(live_server.app, slots=[{"start": "00:00", "end": "00:00", "days": 1}])
    _offline_in_round(page, context, facts)
    first = facts["codes"][0]
    page.click(".rp-pick")  # 不掃描直接檢查
    page.locator("#rp-check").wait_for(state="visible")
    assert page.locator("[data-method]").get_attribute("data-method") == "manual"
    picker = page.locator("#rp-check [data-reason-picker]")
    assert picker.is_visible()
    # Every reason a big tile, one hand: at least 48 px tall.
    tiles = picker.locator(".reason-tile")
    assert tiles.count() == 5
    assert all(tiles.nth(i).bounding_box()["height"] >= 48 for i in range(5))

    page.click(".rp-opt[data-value=in_place]")
    page.click(".rp-save")
    error = picker.locator(".reason-error")
    error.wait_for(state="visible")
    assert "原因" in error.inner_text()
    assert page.url.endswith(f"/c/{first}")
    assert _checks(page) == []

    # "Other" needs its few words.
    picker.locator(".reason-tile[data-value=other]").click()
    page.click(".rp-save")
    page.wait_for_function(
        "() => document.querySelector('.reason-error').textContent.includes('其他')"
    )
    assert _checks(page) == []

    shots = support.screenshot_dir()
    if shots:
        page.screenshot(path=str(shots / "phone-reason-required-390x844.png"), full_page=True)
    picker.locator(".reason-tile[data-value=label_damaged]").click()
    assert error.is_hidden()
    if shots:
        page.screenshot(path=str(shots / "phone-reason-picked-390x844.png"))
    reason = page.locator("[data-method-reason]")
    assert reason.get_attribute("data-method-reason") == "label_damaged"
    assert "標籤損壞" in page.locator("[data-method]").inner_text()
    page.fill("#rp-note", "標籤被刮花")
    page.click(".rp-save")
    page.wait_for_function("() => !location.hash.includes('/c/')")
    (check,) = _checks(page)
    assert check["payload"]["method"] == "manual"
    assert check["payload"]["manual_reason"] == "label_damaged"
    assert check["payload"]["note"] == "標籤被刮花"
    # Before any sync the summary counts the relabel finding the server will raise.
    page.goto(f"/app/rounds#r/{facts['round']}/done")
    page.locator("#rp-summary").wait_for(state="visible")
    assert page.locator(".rp-stat-findings").get_attribute("data-n") == "1"

    # The network is back: the server keeps the reason.
    context.unroute("**/*")
    context.set_offline(False)
    page.goto("/app/rounds")
    _until(page, SENT, timeout_s=45)
    with live_server.app.app_context():
        stored = db.session.scalar(sa.select(Check).where(Check.op_id == check["op_id"]))
        assert stored.method == "manual"
        assert stored.manual_reason == "label_damaged"
        assert stored.note == "標籤被刮花"
        # The damaged label asks for a new one: the server raised it from the check.
        (relabel,) = db.session.scalars(
            sa.select(Finding).where(Finding.check_id == check["payload"]["id"])
        )
        assert relabel.category == "標籤需更換"

    # Pulled back, the summary counts the server's finding: the one it predicted, not two.
    _until(page, PULLED_FINDING, arg=check["payload"]["id"], timeout_s=45)
    page.goto(f"/app/rounds#r/{facts['round']}/done")
    page.locator("#rp-summary").wait_for(state="visible")
    assert page.locator(".rp-stat-findings").get_attribute("data-n") == "1"


def test_a_typed_short_code_is_typed_and_other_puts_its_words_in_front_of_the_note(
    page, context, live_server
):
    """The second sign opened from the list filtered by its short code as printed: is it a
    typed check; and with "other", are its words and the patroller's note both in its note?"""
    facts = _signage_estate(live_server.app, slots=[{"start": "00:00", "end": "00:00", "days": 1}])
    _offline_in_round(page, context, facts)
    short = facts["shorts"][1]
    page.fill(".rp-filter", f"{short[:4]}-{short[4:].lower()}")
    page.click(f".rp-point[data-typed][data-code='{facts['codes'][1]}']")
    page.locator("#rp-check").wait_for(state="visible")
    assert page.locator("[data-method]").get_attribute("data-method") == "typed"
    picker = page.locator("#rp-check [data-reason-picker]")
    picker.locator(".reason-tile[data-value=other]").click()
    picker.locator("input[type=text]").fill("標籤被海報蓋住")
    page.click(".rp-opt[data-value=in_place]")
    page.fill("#rp-note", "已請清潔撕除")
    page.click(".rp-save")
    page.wait_for_function("() => !location.hash.includes('/c/')")
    (check,) = _checks(page)
    assert check["payload"]["method"] == "typed"
    assert check["payload"]["manual_reason"] == "other"
    assert check["payload"]["note"] == "其他原因：標籤被海報蓋住\n已請清潔撕除"


def test_a_late_checks_finding_counts_in_its_rounds_summary(page, context, live_server):
    """A sign checked after its window closed (late), with a failed item: does the save say
    one finding, and does the round's summary count that one finding (it said 0)?"""
    # About noon in the estate: the 05:00–09:00 window has closed; checks are late until
    # tomorrow's opens.
    facts = _signage_estate(live_server.app, slots=[{"start": "05:00", "end": "09:00"}])
    _offline_in_round(page, context, facts)
    page.click(".rp-pick")
    page.locator("#rp-check [data-reason-picker] .reason-tile[data-value=label_unreadable]").click()
    page.click(".rp-opt[data-value=damaged]")
    page.click(".rp-save")
    page.wait_for_function("() => !location.hash.includes('/c/')")
    toast = page.locator(".rp-flash").first.inner_text()
    assert "1 筆報事" in toast, toast
    point = page.locator(f".rp-point[data-code='{facts['codes'][0]}']")
    assert point.get_attribute("data-status") == "late"

    page.click(".rp-finish")
    page.locator("#rp-summary").wait_for(state="visible")
    assert page.locator(".rp-stat-findings").get_attribute("data-n") == "1"
    findings = [e for e in page.evaluate(OUTBOX) if e["type"] == "finding.create"]
    (check,) = _checks(page)
    assert [f["payload"]["check_id"] for f in findings] == [check["payload"]["id"]]
