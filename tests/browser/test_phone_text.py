"""The phone reads typed text as the server does (static/js/phone/text.js, webapp/text.py): in
real Chromium with no network, a lend to a borrower of nothing visible ("\\u200b\\u3000":
String.trim() kept it, and the server quarantined the op later) and a purpose over the
server's 200 characters (it was cut to fit) are each refused at the form, nothing queued; the
same lend with a real name is queued, its invisible ends trimmed."""

from __future__ import annotations

import pytest

from tests.browser import support
from tests.browser.support import OUTBOX
from tests.browser.test_keys import _desk_offline
from webapp.extensions import db
from webapp.models import Key

pytestmark = pytest.mark.browser


def test_the_phone_refuses_an_invisible_borrower_and_a_long_purpose_before_queuing(
    page, live_server
):
    """Offline at the desk's phone: is "\\u200b\\u3000" as the borrower "name the borrower",
    a 201-character purpose "at most 200 characters" — the outbox empty after both — and the
    lend queued once the words are right, the borrower trimmed and the purpose whole?"""
    with live_server.app.app_context():
        _key, code = db.session.execute(
            support.first_estate_key_codes("public_area").order_by(Key.id.desc()).limit(1)
        ).one()
        code = code.code
    _desk_offline(page, page.context)
    page.goto("/app/keys#lend")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='lend']")
    page.fill("[data-keys-manual] input", code)
    page.press("[data-keys-manual] input", "Enter")
    page.locator(f"[data-basket='lend'] [data-code='{code}']").wait_for(state="visible")
    error = page.locator("[data-keys-form=lend] .field-error").first

    page.fill("#keys-borrower", "\u200b\u3000")
    page.click(".choice-contractor")
    page.fill("#keys-purpose", "更換燈管")
    page.click("[data-keys-submit=lend]")
    error.wait_for(state="visible")
    assert "借用人" in error.inner_text()
    assert page.evaluate(OUTBOX) == []

    page.fill("#keys-borrower", "\u200b林師傅\u3000")
    # As a value set by the page (a pasted or filled-in text), past the input's maxlength.
    page.eval_on_selector("#keys-purpose", "(el) => { el.value = '長'.repeat(201); }")
    page.click("[data-keys-submit=lend]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#keys-app .field-error')]"
        ".some((p) => !p.hidden && p.textContent.includes('200'))"
    )
    assert page.evaluate(OUTBOX) == []

    page.eval_on_selector("#keys-purpose", "(el) => { el.value = '長'.repeat(200); }")
    page.click("[data-keys-submit=lend]")
    page.wait_for_selector("#keys-app[data-saved='1']")
    (entry,) = page.evaluate(OUTBOX)
    assert entry["type"] == "key.lend"
    assert entry["payload"]["borrower_name"] == "林師傅"
    assert entry["payload"]["purpose"] == "長" * 200
