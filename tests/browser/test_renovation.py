"""Issue #20's phone proof in real Chromium: with no network, a unit under renovation shows its
permit (hours, scope, contractor's phone); a finding on it becomes a rectification notice
saying 「同步後編號」, delivered on the door with a photo and signed by the owner on the screen;
back online everything syncs, the number the server gave shows on the phone, and the office
prints the notice."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa
from PIL import Image

from tests.browser import support
from tests.browser.support import OUTBOX, SENT
from tests.browser.support import first_estate_units as _units
from tests.browser.support import until as _until
from tests.browser.test_phone_sync import _log_in_and_pull, _offline, _online
from webapp.extensions import db
from webapp.models import Estate, LabelCode, Unit
from webapp.models.renovation import NoticeAction, RectificationNotice
from webapp.models.sync import PhotoBlob
from webapp.renovation import permits
from webapp.renovation.status import estate_today

pytestmark = pytest.mark.browser


def _jpeg(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def _draw(page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 30, y + 140)
    page.mouse.down()
    for dx, dy in ((80, 40), (150, 120), (230, 60), (300, 130)):
        page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()


def deliver_on_the_door(page, entry, tmp_path) -> None:
    """Record the notice ``entry``'s delivery as posted on the door, with a photo of it."""
    entry.locator("[data-notice-deliver]").click()
    deliver = page.locator("[data-notice-form=deliver]")
    deliver.locator("input[name=method][value=door]").check()
    door = tmp_path / "door.jpg"
    door.write_bytes(_jpeg((30, 40, 200)))
    deliver.locator("[data-notice-photo]").set_input_files(str(door))
    page.locator("[data-notice-form=deliver] [data-notice-photos='1']").wait_for()
    deliver.locator("button[type=submit]").click()
    page.locator("#item-notices .notice-entry[data-status=delivered]").wait_for()


def test_a_notice_issued_offline_is_numbered_on_sync_and_printed(
    page, context, browser, live_server, tmp_path
):
    """Offline: the permit on the unit's page; a finding → notice (「同步後編號」) → delivered on
    the door with a photo → the owner's signature. Online: synced, the phone shows the number
    the server gave, the server holds the delivery and the signature PNG, and the office's PDF
    names the notice and its rules."""
    app = live_server.app
    (unit,) = _units(app, 1, skip=5)
    with app.app_context():
        found = db.session.scalar(sa.select(LabelCode).where(LabelCode.code == unit["code"]))
        row = db.session.get(Unit, found.item_id)
        estate = db.session.get(Estate, row.estate_id)
        estate_id = estate.id
        permits.create(
            db.session,
            estate,
            {
                "unit_id": row.id,
                "number": "裝2026-BR1",
                "owner_name": "陳美玲",
                "contractor": "宏達裝修工程行",
                "contractor_phone": "0912-345-678",
                "starts_on": estate_today(estate),
                "hours": "08:00-12:00,14:00-18:00",
                "scope": "客廳地板更換、牆面粉刷",
            },
            None,
        )
        db.session.commit()
        assert row.status == "renovating"

    _log_in_and_pull(page)
    _offline(context)
    page.goto(f"/q/{unit['code']}")
    permit = page.locator("#item-permit")
    permit.wait_for(state="visible")
    text = permit.inner_text()
    assert "裝2026-BR1" in text and "08:00–12:00、14:00–18:00" in text
    assert "客廳地板更換" in text and "0912-345-678" in text
    assert page.locator("#item-permit a[href='tel:0912345678']").count() == 1

    # A finding on the unit, with a photo; the notice is offered for it.
    page.click(".record-tab[data-kind=finding]")
    page.locator("#record .choice-high").click()
    page.select_option("#record-category", "裝修違規")
    page.fill("#record-note", "陽台外牆擅自開窗")
    site = tmp_path / "site.jpg"
    site.write_bytes(_jpeg((200, 40, 30)))
    page.set_input_files("[data-record-photo]", str(site))
    page.wait_for_function("() => document.querySelector('.record-form').dataset.photos === '1'")
    page.click(".record-save")
    page.click("[data-notice-from-finding]")
    form = page.locator("[data-notice-form=issue]")
    form.locator("input[name=rules][value=facade]").check()
    form.locator("input[name=rules][value=debris]").check()
    form.locator("button[type=submit]").click()
    entry = page.locator("#item-notices .notice-entry").first
    entry.wait_for(state="visible")
    assert entry.locator(".notice-number").inner_text() == "同步後編號"
    assert "改變外立面" in entry.inner_text()

    # Delivered: posted on the door, with its photo.
    deliver_on_the_door(page, entry, tmp_path)

    # The owner signs on the screen.
    page.locator("#item-notices [data-notice-sign]").click()
    sign = page.locator("[data-notice-form=sign]")
    sign.locator("#notice-signer").fill("陳美玲")
    _draw(page, "[data-notice-form=sign] canvas")
    sign.locator("button[type=submit]").click()
    page.wait_for_function("() => !document.querySelector('[data-notice-form=sign]')")
    shots = support.screenshot_dir()
    if shots:
        page.screenshot(path=str(shots / "renovation-notice-offline.png"), full_page=True)

    outbox = page.evaluate(OUTBOX)
    by_type = {e["type"]: e for e in outbox}
    assert set(by_type) >= {"finding.create", "notice.issue", "notice.deliver", "notice.sign"}
    issued = by_type["notice.issue"]["payload"]
    assert issued["rules"] == ["facade", "debris"]
    assert issued["finding_id"] == by_type["finding.create"]["payload"]["id"]
    assert issued["photos"] == by_type["finding.create"]["payload"]["photos"]
    signature = by_type["notice.sign"]["payload"]["signature"]
    assert len(signature) == 64 and "base64" not in str(by_type["notice.sign"]["payload"])

    # Back online: everything goes up, photos and the signature PNG too; the number comes back.
    _online(context)
    page.goto("/app")
    _until(page, SENT, timeout_s=60)
    with app.app_context():
        notice = db.session.get(RectificationNotice, issued["id"])
        assert notice is not None and notice.status == "delivered"
        assert notice.delivery_method == "door" and notice.signed_at is not None
        assert (
            db.session.scalar(
                sa.select(NoticeAction.signature_sha256).where(
                    NoticeAction.notice_id == notice.id, NoticeAction.kind == "signature"
                )
            )
            == signature
        )
        assert db.session.get(PhotoBlob, signature) is not None, "the signature PNG was uploaded"
        number = notice.number
    page.evaluate("async () => (await import('/static/build/sync.js')).sync()")
    page.goto(f"/q/{unit['code']}")
    page.wait_for_function(
        "(n) => document.querySelector(`#item-notices .notice-number[data-number='${n}']`)",
        arg=number,
        timeout=30_000,
    )

    # The office prints it.
    desk = browser.new_context(
        base_url=live_server.url, viewport={"width": 1440, "height": 900}, locale="zh-TW"
    )
    office = desk.new_page()
    support.log_in(office, "supervisor", "supervisor-demo")
    office.goto(f"/renovation/estates/{estate_id}/notices")
    assert number in office.locator("#notice-results").inner_text()
    response = office.request.get(f"/renovation/notices/{issued['id']}.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    document = pdfium.PdfDocument(response.body())
    try:
        text = "\n".join(p.get_textpage().get_text_range() for p in document)
        if shots:
            document[0].render(scale=1.5).to_pil().save(shots / "renovation-notice.png")
    finally:
        document.close()
    assert "《裝修違規整改通知單》" in text and number in text and "改變外立面" in text
    assert "張貼於門上" in text and "陳美玲" in text
    desk.close()
