"""A label opened by the phone's own camera app: its upper-case /Q/<CODE> URL is the item page."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tests.browser.support import until as _until
from tests.browser.test_phone_sync import _launch, _log_in_and_pull, _offline
from webapp.extensions import db
from webapp.labels.printing import code_url
from webapp.models.sync import Check

pytestmark = pytest.mark.browser


def test_the_printed_url_records_online_and_opens_from_the_store_offline(
    browser, live_server, printed_label, tmp_path
):
    """Opened as printed (/Q/<CODE>, not through the scanner), does the item page carry the
    recorder online (a check reaches the server with the item's code), and offline does the
    service worker open the item from the phone's store?"""
    label, _video, _png = printed_label
    path = urlsplit(code_url(live_server.url, label.code)).path
    assert path == f"/Q/{label.code}"
    ctx = _launch(browser, live_server, tmp_path / "profile")
    page = ctx.new_page()
    _log_in_and_pull(page)

    page.goto(path)
    page.locator("#record").wait_for(state="visible")
    page.locator("#record .choice-ok").click()
    page.fill("#record-note", "camera app")
    page.click(".record-save")
    _until(
        page, "async () => (await (await import('/static/build/sync.js')).status()).pending === 0"
    )
    with live_server.app.app_context():
        check = db.session.scalar(sa.select(Check).where(Check.note == "camera app"))
        assert check is not None and check.code == label.code and check.method == "scan"

    _offline(ctx)
    page.goto(path)
    page.locator("#item-view").wait_for(state="visible")
    assert label.unit_label in page.locator("#item-title").inner_text()
    ctx.close()
