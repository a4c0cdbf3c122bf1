"""Engineering's approvals in two browsers (Chromium, 1440 x 900): the desk asks to lend an
equipment-room key, its tag typed by a keyboard-wedge scanner (the label's URL and Enter);
engineering approves from its home in the other browser; the desk's list shows the answer by
itself (htmx polling) and the desk lends the key at once. Screenshots of both screens, and of
engineering's home on a phone, in the test's folder."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser import support
from tests.browser.conftest import log_in
from webapp.extensions import db
from webapp.models.key_requests import KeyRequest
from webapp.models.keys import KeyApproval
from webapp.models.sync import KeyEvent

pytestmark = pytest.mark.browser


def test_the_desk_asks_engineering_approves_and_the_desk_lends(
    desk_page, browser, live_server, tmp_path
):
    """Does a loan request scanned at the desk reach engineering's home (who, why, how long),
    does engineering's Approve reach the desk's open page without a reload, and does the desk's
    lend then go out approved, the approver on the loan record?"""
    page, app = desk_page, live_server.app
    (key,) = support.first_estate_keys(app, "equipment_room", 1)
    log_in(page, "desk")
    page.goto("/keys/requests")
    box = ".approvals-ask-loan textarea[name=codes]"
    page.focus(box)
    page.keyboard.type(f"{live_server.url}/q/{key['code']}", delay=1)
    page.keyboard.press("Enter")
    page.locator("#loan-request-basket .keys-desk-basket-item.is-ok").wait_for()
    page.fill(".approvals-ask-loan input[name=borrower_name]", "陳師傅")
    page.fill(".approvals-ask-loan input[name=purpose]", "水泵房漏水檢修")
    page.fill(".approvals-ask-loan input[name=hours]", "3")
    page.click(".approvals-ask-loan button[type=submit]")
    page.locator(".flash-ok").wait_for()
    waiting = page.locator("#key-requests tr", has_text="水泵房漏水檢修")
    assert "待工程部批准" in waiting.inner_text()
    # Back at the lend-and-return page, the desk's requests load below its forms.
    page.goto("/keys/desk")
    page.locator("#key-requests tr", has_text="水泵房漏水檢修").wait_for()

    # Engineering, in its own browser, approves from its home.
    other = browser.new_context(
        base_url=live_server.url, viewport={"width": 1440, "height": 900}, locale="zh-TW"
    )
    other.set_default_timeout(15_000)
    eng = other.new_page()
    log_in(eng, "engineer")
    assert "審批與派工" in eng.inner_text("h1")
    card = eng.locator(".approvals-card", has_text="水泵房漏水檢修")
    text = card.inner_text()
    assert "陳師傅" in text and "3 小時" in text and "張美玲" in text
    eng.screenshot(path=str(tmp_path / "engineering-home.png"), full_page=True)
    card.locator("button.approvals-approve").click()
    eng.locator(".flash-ok").wait_for()
    assert "已批准" in eng.inner_text(".approvals-answers")
    eng.screenshot(path=str(tmp_path / "engineering-approved.png"), full_page=True)
    other.close()

    # The desk's open page shows the answer by itself (polled), and lends at once from there.
    answered = page.locator("#key-requests tr", has_text="水泵房漏水檢修").filter(has_text="已批准")
    answered.wait_for(timeout=25_000)
    page.screenshot(path=str(tmp_path / "desk-approved.png"), full_page=True)
    answered.locator("input[name=id_checked]").check()
    answered.locator("button", has_text="立即借出").click()
    page.locator(".flash-ok").wait_for()
    assert "已借出" in page.inner_text("#key-requests")
    page.screenshot(path=str(tmp_path / "desk-lent.png"), full_page=True)
    assert page.url.endswith("/keys/requests")
    with app.app_context():
        request = db.session.scalar(
            sa.select(KeyRequest).where(KeyRequest.purpose == "水泵房漏水檢修")
        )
        (event,) = db.session.scalars(sa.select(KeyEvent).where(KeyEvent.key_id == request.key_id))
        assert (event.action, event.unapproved, event.id_checked) == ("lend", False, True)
        approval = db.session.get(KeyApproval, request.approval_id)
        assert approval.used_by_event_id == event.id
    page.goto(f"/keys/ledger?key={key['code']}")
    assert "黃建國" in page.inner_text("main")


def test_engineering_answers_from_its_phone(browser, live_server, tmp_path):
    """On a phone, does engineering's home put the queue first with thumb-sized buttons, and
    does a refusal ask for its reason before it is sent?"""
    app = live_server.app
    (key,) = support.first_estate_keys(app, "owner", 1)
    desk = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900})
    desk.set_default_timeout(15_000)
    page = desk.new_page()
    log_in(page, "desk")
    page.goto("/keys/requests")
    page.fill(".approvals-ask-copy textarea[name=codes]", key["short"])
    page.fill(".approvals-ask-copy input[name=copies]", "2")
    page.fill(".approvals-ask-copy input[name=purpose]", "備用鑰匙磨損")
    page.click(".approvals-ask-copy button[type=submit]")
    page.locator(".flash-ok").wait_for()
    desk.close()

    phone = browser.new_context(base_url=live_server.url, **support.PHONE)
    phone.set_default_timeout(15_000)
    eng = phone.new_page()
    log_in(eng, "engineer")
    card = eng.locator(".approvals-card", has_text="備用鑰匙磨損")
    approve = card.locator("button.approvals-approve").bounding_box()
    assert approve["height"] >= 48 and approve["width"] >= 300  # the phone's whole width
    eng.screenshot(path=str(tmp_path / "engineering-phone.png"), full_page=True)
    card.locator("summary").click()
    card.locator("button.btn-danger").click()  # no reason: the browser asks for one
    assert eng.url.endswith("/")
    card.locator("input[name=reason]").fill("已有兩把備用鑰匙")
    card.locator("button.btn-danger").click()
    eng.locator(".flash-ok").wait_for()
    assert "已有兩把備用鑰匙" in eng.inner_text(".approvals-answers")
    eng.screenshot(path=str(tmp_path / "engineering-phone-refused.png"), full_page=True)
    phone.close()
