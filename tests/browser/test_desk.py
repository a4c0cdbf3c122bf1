"""The key desk on a desktop (Chromium, 1440 x 900) with a USB keyboard-wedge scanner: each
label's URL typed and Enter fills a basket of keys, lent together; a key that is out is refused
before anything is stored; the desk's pages as the front desk sees them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser import support
from tests.browser.conftest import log_in
from webapp.extensions import db
from webapp.models import Key
from webapp.models.sync import KeyEvent

pytestmark = pytest.mark.browser


def _wedge(page, selector: str, text: str) -> None:
    """What a keyboard-wedge scanner does: type the label's text, then Enter."""
    page.focus(selector)
    page.keyboard.type(text, delay=2)
    page.keyboard.press("Enter")


def _events(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(KeyEvent))


def test_a_scanned_basket_is_lent_and_an_out_key_refused(desk_page, live_server, tmp_path):
    """Does a basket of three scanned tags (URL + Enter each, one upper-case /Q/ URL) show each
    key as it is scanned with the defaults filled in, lend all three to one borrower, and then a
    key already out refuse the lend with its borrower named and nothing stored?"""
    page, app = desk_page, live_server.app
    keys = support.first_estate_keys(app, "owner", 3, skip=12)
    base = live_server.url
    log_in(page, "desk")
    page.goto("/keys/desk")
    box = ".keys-lend textarea[name=codes]"
    assert page.evaluate("() => document.activeElement.name") == "codes"  # ready to scan
    for i, key in enumerate(keys):
        url = f"{base}/q/{key['code']}" if i != 1 else f"{base.upper()}/Q/{key['code']}"
        _wedge(page, box, url)
    page.locator("#lend-basket .keys-desk-basket-item.is-ok").nth(2).wait_for()
    assert page.locator("#lend-basket .keys-desk-basket-item").count() == 3
    assert page.input_value(".keys-lend input[name=purpose]") == "維修"
    assert page.input_value(".keys-lend input[name=due_back]")
    page.fill(".keys-lend input[name=borrower_name]", "掃描借用人")
    page.select_option(".keys-lend select[name=borrower_type]", "contractor")
    page.screenshot(path=str(tmp_path / "desk-basket.png"))
    page.click(".keys-lend button[type=submit]")
    page.locator(".flash-ok").wait_for()
    assert "已借出" in page.inner_text(".flash-ok")
    with app.app_context():
        held = {
            k.holder_name
            for k in db.session.scalars(sa.select(Key).where(Key.id.in_([k["id"] for k in keys])))
        }
        assert held == {"掃描借用人"}

    # The first key again: out, so the lend is refused before anything happens.
    before = _events(app)
    _wedge(page, box, f"{base}/q/{keys[0]['code']}")
    refused = page.locator("#lend-basket .keys-desk-basket-item.is-refused")
    refused.wait_for()
    assert "借給 掃描借用人，請先歸還" in refused.inner_text()
    page.fill(".keys-lend input[name=borrower_name]", "另一人")
    page.click(".keys-lend button[type=submit]")
    page.wait_for_load_state()
    assert "請先歸還" in page.inner_text("#lend-basket")
    page.screenshot(path=str(tmp_path / "desk-refused.png"), full_page=True)
    assert _events(app) == before

    page.goto(f"/keys/ledger?key={keys[0]['short']}")
    line = page.locator("tr.keys-line-lend")
    assert line.count() == 1 and "掃描借用人" in line.inner_text() and "張美玲" in line.inner_text()
    page.goto("/keys/ledger")
    page.screenshot(path=str(tmp_path / "ledger.png"), full_page=True)
    page.goto("/keys/")
    page.screenshot(path=str(tmp_path / "register.png"))
