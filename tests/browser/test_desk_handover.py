"""The front desk's items and shift handover on a desktop (Chromium, 1440 x 900): a parcel
received, approved by a supervisor in another browser, collected with a signature drawn on the
canvas; the handover with the keys scanned by a keyboard-wedge scanner, the items and the mail,
signed by both shifts; its printed 《前臺交接日志》 read back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser import support
from tests.browser.conftest import log_in
from tests.webapp.paper.test_forms import pdf_text
from webapp.extensions import db
from webapp.models import Unit
from webapp.models.desk import DeskHandover, DeskItem

pytestmark = pytest.mark.browser


def _unit_label(app, n: int) -> str:
    with app.app_context():
        unit = db.session.scalars(sa.select(Unit).order_by(Unit.id).offset(n)).first()
        return unit.label


def _receive(page, unit: str, kind: str, resident: str, what: str) -> None:
    page.goto("/desk/")
    page.fill("#desk-receive input[name=unit]", unit)
    page.select_option("#desk-receive select[name=kind]", kind)
    page.fill("#desk-receive input[name=resident_name]", resident)
    page.fill("#desk-receive input[name=description]", what)
    page.click("#desk-receive button[type=submit]")
    page.locator(".flash-ok").wait_for()


def _sign_on_canvas(page) -> None:
    box = page.locator(".desk-sign canvas").bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 150)
    page.mouse.down()
    for i in range(1, 16):
        page.mouse.move(box["x"] + 40 + i * 20, box["y"] + 150 - (i % 4) * 25)
    page.mouse.up()


def test_an_item_is_approved_collected_and_handed_over(desk_page, browser, live_server, tmp_path):
    """Does a parcel the desk receives wait for a supervisor, get approved from the supervisor's
    own screen, refuse to be collected until the collector signs on the canvas, and then show
    the signature; does the handover take scanned key tags (URL + Enter), list the mail still
    at the desk, need both shifts, and print its text?"""
    page, app = desk_page, live_server.app
    unit = _unit_label(app, 2)
    log_in(page, "desk")
    _receive(page, unit, "parcel", "王小明", "中型紙箱")
    row = page.locator("tr.desk-item", has_text="王小明").first
    assert "待主管批准" in row.inner_text()
    _receive(page, unit, "mail", "王小明", "掛號信")
    page.screenshot(path=str(tmp_path / "desk-log.png"), full_page=True)

    # The supervisor approves from the queue on their own screen.
    other = browser.new_context(
        base_url=live_server.url, viewport={"width": 1440, "height": 900}, locale="zh-TW"
    )
    boss = other.new_page()
    log_in(boss, "supervisor")
    boss.goto("/desk/")
    waiting = boss.locator(".desk-waiting-list li", has_text="王小明")
    waiting.locator("button[value=approve]").click()
    boss.locator(".flash-ok").wait_for()
    assert "代存中" in boss.inner_text(".lead")
    boss.screenshot(path=str(tmp_path / "desk-approved.png"), full_page=True)
    other.close()

    # The desk gives it to the resident: not without a signature.
    with app.app_context():
        parcel = db.session.scalar(
            sa.select(DeskItem.id).where(
                DeskItem.resident_name == "王小明", DeskItem.kind == "parcel"
            )
        )
    page.goto(f"/desk/items/{parcel}")
    assert "代存中" in page.inner_text(".lead")
    page.fill("input[name=collector_name]", "王小明")
    page.click("form[data-desk-collect] button[type=submit]")
    assert "領取人必須簽名" in page.inner_text("form[data-desk-collect] [role=alert]")
    assert page.url.endswith(f"/desk/items/{parcel}")
    _sign_on_canvas(page)
    page.screenshot(path=str(tmp_path / "desk-signing.png"), full_page=True)
    page.click("form[data-desk-collect] button[type=submit]")
    page.locator(".flash-ok").wait_for()
    assert "已領取" in page.inner_text(".lead")
    signature = page.locator(".desk-signature-shown img")
    assert page.evaluate(
        "(img) => img.complete && img.naturalWidth > 0", signature.element_handle()
    )

    # The handover: two key tags scanned (each URL and Enter), the mail listed, both shifts.
    keys = support.first_estate_keys(app, "public_area", 2, fresh=False)
    assert len(keys) == 2
    page.goto("/desk/handover")
    assert "掛號信" in page.inner_text("section:has(#h-mail)")
    box = "textarea[name=codes]"
    for key in keys:
        page.focus(box)
        page.keyboard.type(f"{live_server.url}/q/{key['code']}", delay=1)
        page.keyboard.press("Enter")
    page.fill("textarea[name=tasks]", "三樓走廊燈不亮，已報工程部")
    page.fill("input[name=outgoing_password]", "desk-demo")
    page.fill("input[name=incoming_username]", "supervisor")
    page.fill("input[name=incoming_password]", "wrong")
    page.click(".desk-handover button[type=submit]")
    page.locator(".flash-error").wait_for()
    page.fill("input[name=outgoing_password]", "desk-demo")
    page.fill("input[name=incoming_password]", "supervisor-demo")
    page.click(".desk-handover button[type=submit]")
    page.wait_for_url("**/desk/handovers/*")
    text = page.inner_text("main")
    assert "掛號信" in text and "三樓走廊燈不亮" in text and "林淑芬" in text
    page.screenshot(path=str(tmp_path / "handover.png"), full_page=True)
    with app.app_context():
        entry = db.session.scalars(sa.select(DeskHandover).order_by(DeskHandover.id.desc())).first()
        assert {k["id"] for k in keys} == set(entry.scanned)
        assert entry.unknown_codes == []
    pdf = page.request.get(f"/desk/handovers/{entry.id}.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    printed = pdf_text(pdf.body())
    for words in ("前臺交接日志", "張美玲", "林淑芬", "掛號信", "三樓走廊燈不亮", "接班人簽名"):
        assert words in printed, words
    (tmp_path / "handover.pdf").write_bytes(pdf.body())
