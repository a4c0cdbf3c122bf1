"""Owner keys issued at the front desk (Chromium, 1440 x 900): the unit's two owner keys scanned
by a keyboard-wedge scanner (each label URL typed and Enter), the owner's ID checked (type and
the last 4 only), a whole number refused, the signature drawn with the mouse on the canvas, the
issue confirmed, its receipt 《業主鑰匙簽收單》 opened and read back."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa

from tests.browser import support
from tests.browser.conftest import log_in
from webapp.extensions import db
from webapp.models import Key
from webapp.models.sync import KeyEvent

pytestmark = pytest.mark.browser


def _unit_pair(app) -> list[dict]:
    """Two fresh owner keys of one unit of the first estate (the last unit that has two)."""
    with app.app_context():
        rows = db.session.execute(
            support.first_estate_key_codes("owner").order_by(Key.unit_id.desc(), Key.id)
        ).all()
        by_unit: dict[int, list[dict]] = {}
        for key, code in rows:
            by_unit.setdefault(key.unit_id, []).append({"id": key.id, "code": code.code})
        return next(keys[:2] for keys in by_unit.values() if len(keys) >= 2)


def _sign(page) -> None:
    canvas = page.locator(".keys-owner .desk-sign canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 60, box["y"] + 140)
    page.mouse.down()
    for i in range(1, 18):
        page.mouse.move(box["x"] + 60 + i * 22, box["y"] + 140 - (i % 5) * 22)
    page.mouse.up()


def test_the_desk_issues_owner_keys_with_the_id_checked_and_prints_the_receipt(
    desk_page, live_server, tmp_path
):
    """Does the desk scan two owner keys (URL + Enter), see them in the basket, get a whole ID
    number refused beside its field with nothing stored, then — the last 4 typed and the owner's
    signature drawn with the mouse — issue both, see the confirmation, and open a receipt that
    names the owner, the masked number and the keys, with the signature drawn on it?"""
    page, app = desk_page, live_server.app
    keys = _unit_pair(app)
    log_in(page, "desk")
    page.goto("/keys/owner/")
    assert page.evaluate("() => document.activeElement.name") == "codes"  # ready to scan
    for key in keys:
        page.keyboard.type(f"{live_server.url}/q/{key['code']}", delay=2)
        page.keyboard.press("Enter")
    page.locator("#issue-basket .keys-desk-basket-item.is-ok").nth(1).wait_for()
    page.fill("input[name=owner_name]", "業主周慧敏")
    page.select_option("select[name=id_type]", "hk_identity_card")

    # A whole number pasted past the field's limit (a script-free browser could send it):
    # refused on the server, said why, not written back, nothing stored.
    page.evaluate("() => document.querySelector('#id_last4').removeAttribute('maxlength')")
    page.fill("#id_last4", "C668844(3)")
    page.evaluate("() => document.querySelector('#id_last4').removeAttribute('pattern')")
    _sign(page)
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(KeyEvent))
    page.click(".keys-owner button[type=submit]")
    page.locator("#id_last4-error").wait_for()
    assert "全號不予保存" in page.inner_text("#id_last4-error")
    assert page.input_value("#id_last4") == ""
    assert "668844" not in page.content()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KeyEvent)) == before
    page.screenshot(path=str(tmp_path / "owner-refused.png"), full_page=True)

    # The form came back with the keys and the owner; the signature is drawn again.
    assert page.locator("#issue-basket .keys-desk-basket-item.is-ok").count() == 2
    page.fill("#id_last4", "8443")
    _sign(page)
    page.screenshot(path=str(tmp_path / "owner-form.png"))
    page.click(".keys-owner button[type=submit]")
    page.locator(".flash-ok").wait_for()
    assert "業主周慧敏" in page.inner_text(".flash-ok")
    facts = page.inner_text(".keys-owner-issued")
    assert "香港身份證 ****8443" in facts and "張美玲" in facts
    signature = page.locator(".keys-owner-issued .key-signature img")
    assert page.evaluate(
        "(img) => img.complete && img.naturalWidth > 0", signature.element_handle()
    )
    page.screenshot(path=str(tmp_path / "owner-issued.png"), full_page=True)
    with app.app_context():
        held = db.session.scalars(sa.select(Key).where(Key.id.in_([k["id"] for k in keys]))).all()
        assert {(k.status, k.holder_name) for k in held} == {("issued", "業主周慧敏")}

    # The receipt: a PDF of real text with the drawn signature on it.
    href = page.get_attribute("a[data-receipt]", "href")
    receipt = page.context.request.get(href)
    assert receipt.ok and receipt.headers["content-type"] == "application/pdf"
    (tmp_path / "receipt.pdf").write_bytes(receipt.body())
    with pdfium.PdfDocument(receipt.body()) as document:
        page_one = document[0]
        text = page_one.get_textpage().get_text_range()
        images = [o for o in page_one.get_objects() if o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
        page_one.render(scale=1.5).to_pil().save(tmp_path / "receipt.png")
    assert "業主鑰匙簽收單" in text and "業主周慧敏" in text and "****8443" in text
    assert "香港身份證" in text and "張美玲" in text and len(images) == 1

    # The key's history shows the ID check and links the issue.
    page.goto(f"/q/{keys[0]['code']}")
    history = page.inner_text("#item-history")
    assert "核驗證件：香港身份證 ****8443" in history
