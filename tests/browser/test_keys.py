"""The key screens on a phone in real Chromium: a key lent and returned with no network by
scanning its tag with the (fake) camera, then synced; the loan record shows the loan."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.browser import support
from tests.browser.conftest import log_in
from tests.browser.support import HAS_TOKEN, OUTBOX, READY, SENT
from tests.browser.support import until as _until
from tests.browser.test_phone_sync import _offline
from webapp.extensions import db
from webapp.models import Key
from webapp.models.sync import KeyEvent

pytestmark = pytest.mark.browser


def _desk_offline(page, ctx) -> None:
    """The service worker first, then the desk logs in (its home gets the phone a token and the
    estate's keys), then the network goes."""
    page.goto("/app/keys")
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=45_000,
    )
    log_in(page, "desk")
    page.goto("/")
    _until(page, READY)
    _offline(ctx)


@pytest.fixture(scope="module")
def key_tag(live_server, tmp_path_factory):
    """A public-area key of the first estate, in the cabinet with no events, and its printed
    tag as a camera video."""
    app = live_server.app
    with app.app_context():
        key, code = db.session.execute(
            support.first_estate_key_codes("public_area").order_by(Key.id).limit(1)
        ).one()
        png = support.label_png(code, live_server.url)
        facts = {"id": key.id, "code": code.code, "label": key.label}
    folder = tmp_path_factory.mktemp("key-camera")
    video = support.write_y4m(png, folder / "key.y4m")
    return facts, video


def _scan_into(page, mode: str, code: str) -> None:
    """Open the scanner, wait until the camera's tag is in the mode's list, close it."""
    page.click("[data-keys-scan]")
    page.locator("#keys-scanner").wait_for(state="visible")
    page.locator(f"[data-basket='{mode}'] [data-code='{code}']").wait_for(
        state="attached", timeout=30_000
    )
    page.click("[data-scan-done]")
    page.locator("#keys-scanner").wait_for(state="hidden")
    page.locator(f"[data-basket='{mode}'] [data-code='{code}']").wait_for(state="visible")


def test_a_key_lent_and_returned_offline_by_scanning_reaches_the_register(
    browser, live_server, key_tag, tmp_path
):
    """Lend a key and take it back with no network, each by scanning its tag with the camera:
    do both wait in the outbox, reach the server once the network is back, and does the
    register show the lend and the return?"""
    facts, video = key_tag
    ctx = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=support.chromium_path(),
        args=support.CHROMIUM_FLAGS + support.fake_camera_flags(video),
        base_url=live_server.url,
        **support.PHONE,
    )
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    problems = support.watch(page)
    try:
        # The service worker first, then the desk logs in: its home gets the phone a token
        # and the estate's keys.
        _desk_offline(page, ctx)

        # Lend, by scanning: the key's state on the phone turns to out, waiting to sync.
        page.goto("/app/keys#lend")
        page.wait_for_selector("#keys-app[data-ready='1'][data-mode='lend']")
        lend_button = page.locator("[data-keys-submit=lend]")
        assert lend_button.inner_text() == "先掃描要借出的鑰匙"  # never "借出 0 把鑰匙"
        _scan_into(page, "lend", facts["code"])
        assert lend_button.inner_text() == "借出 1 把鑰匙"
        item = page.locator(f"[data-basket='lend'] [data-code='{facts['code']}']")
        assert facts["label"] in item.inner_text()
        page.fill("#keys-borrower", "離線借用人")
        page.click(".choice-contractor")
        page.click(".keys-check")
        page.fill("#keys-purpose", "更換燈管")
        page.click(".keys-quick .keys-chip >> nth=0")
        page.click("[data-keys-submit=lend]")
        page.wait_for_selector("#keys-app[data-saved='1']")
        assert lend_button.inner_text() == "先掃描要借出的鑰匙"  # the basket emptied by the save

        # Return, by scanning the same tag: the phone knows it is out.
        page.goto("/app/keys#return")
        page.wait_for_selector("#keys-app[data-ready='1'][data-mode='return']")
        _scan_into(page, "return", facts["code"])
        state = page.locator(
            f"[data-basket='return'] [data-code='{facts['code']}'] [data-status]"
        ).get_attribute("data-status")
        assert state == "out"
        page.click("[data-keys-submit=return]")
        page.wait_for_selector("#keys-app[data-saved='2']")

        entries = page.evaluate(OUTBOX)
        assert [(e["type"], e["code"]) for e in entries] == [
            ("key.lend", facts["code"]),
            ("key.return", facts["code"]),
        ]
        lend = entries[0]["payload"]
        assert lend["borrower_name"] == "離線借用人" and lend["borrower_type"] == "contractor"
        assert lend["id_checked"] is True and lend["due_back"]

        # The home lists both as waiting.
        page.goto("/app/keys")
        page.wait_for_selector("#keys-app[data-ready='1'][data-mode='home']")
        assert page.locator(".keys-waiting .keys-entry.is-pending").count() == 2

        # The network is back: they sync, and the register shows both.
        ctx.unroute("**/*")
        ctx.set_offline(False)
        page.evaluate("async () => (await import('/static/build/sync.js')).sync()")
        _until(page, SENT)
        page.goto(f"/keys/ledger?key={facts['code']}")
        # The lend and its return: one line of the loan record, time back filled.
        (line,) = page.locator(f"tr.keys-line[data-key='{facts['id']}']").all()
        assert "keys-line-lend" in line.get_attribute("class")
        text = line.inner_text()
        assert "離線借用人" in text and "更換燈管" in text and "未歸還" not in text
        with live_server.app.app_context():
            events = db.session.scalars(
                sa.select(KeyEvent).where(KeyEvent.key_id == facts["id"]).order_by(KeyEvent.seq)
            ).all()
            assert [e.action for e in events] == ["lend", "return"]
            assert events[0].borrower_name == "離線借用人" and events[0].id_checked is True
            assert db.session.get(Key, facts["id"]).status == "in"
    finally:
        ctx.close()
    assert problems == []


def _codes(app, key_class: str, n: int) -> list[dict]:
    """Untouched keys of the first estate of a class, with their codes."""
    return support.first_estate_keys(app, key_class, n)


def _type_code(page, short: str, basket: str | None = None, code: str | None = None) -> None:
    page.fill("[data-keys-manual] input", short)
    page.click("[data-keys-manual] button")
    if basket:
        page.locator(f"[data-basket='{basket}'] [data-code='{code}']").wait_for()


def test_an_owner_issue_with_a_drawn_signature_and_a_stocktake_offline(
    page, context, live_server, tmp_path
):
    """With no network: is an owner key issued with the owner's signature drawn on the canvas
    (a non-owner key refused), the signature synced as a PNG linked to the issue; and does a
    stocktake list exactly the keys not scanned and the scanned key recorded as issued?"""
    app = live_server.app
    owner = _codes(app, "owner", 1)[0]
    public = _codes(app, "public_area", 1)[0]
    _desk_offline(page, context)

    page.goto("/app/keys#issue")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='issue']")
    _type_code(page, public["short"])
    # The refusal is said once the store has been read (asynchronously): wait for it, then
    # check the basket stayed empty.
    page.wait_for_function(
        "label => (document.querySelector('.keys-said:not([hidden])')?.innerText || '')"
        ".includes(label)",
        arg=public["label"],
    )
    assert page.locator("[data-basket='issue'] [data-code]").count() == 0
    _type_code(page, owner["short"], "issue", owner["code"])
    page.fill("#keys-owner", "簽名的業主")
    # The ID checked: its type, and only the last 4 of its number (a whole number is refused
    # and cleared; the field holds 4 characters, a paste past it is what a script could send).
    error = page.locator("[data-keys-form=issue] .field-error")
    page.click("[data-keys-submit=issue]")  # no ID type yet: refused
    error.wait_for(state="visible")
    assert error.inner_text() == "請選擇已核驗的證件。"
    page.select_option("#keys-id-type", "passport")
    page.evaluate("() => document.querySelector('#keys-id-last4').removeAttribute('maxlength')")
    page.fill("#keys-id-last4", "K1234567")
    page.click("[data-keys-submit=issue]")
    page.wait_for_function(
        "() => document.querySelector('[data-keys-form=issue] .field-error')"
        ".textContent.includes('全號不予保存')"
    )
    assert page.input_value("#keys-id-last4") == ""
    page.fill("#keys-id-last4", "k567")
    page.click("[data-keys-submit=issue]")  # no signature yet: refused
    page.wait_for_function(
        "() => document.querySelector('[data-keys-form=issue] .field-error')"
        ".textContent.includes('簽名')"
    )
    canvas = page.locator("[data-signature]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 120)
    page.mouse.down()
    for x, y in ((80, 50), (130, 150), (180, 60), (240, 140)):
        page.mouse.move(box["x"] + x, box["y"] + y, steps=5)
    page.mouse.up()
    page.screenshot(path=str(tmp_path / "phone-issue.png"), full_page=True)
    page.click("[data-keys-submit=issue]")
    page.wait_for_selector("#keys-app[data-saved='1']")
    (entry,) = page.evaluate(OUTBOX)
    assert entry["type"] == "key.issue" and entry["payload"]["owner_name"] == "簽名的業主"
    assert (entry["payload"]["id_type"], entry["payload"]["id_last4"]) == ("passport", "K567")
    sha = entry["payload"]["signature"]
    photo = page.evaluate(
        "async (sha) => { const p = await (await import('/static/build/store.js')).getPhoto(sha);"
        " return p && {mime: p.mime, size: p.data.byteLength}; }",
        sha,
    )
    assert photo["mime"] == "image/png" and photo["size"] > 500
    # The last resort, "export unsynced to a file", carries the signature with the issue.
    with page.expect_download() as download:
        page.evaluate("async () => (await import('/static/build/status.js')).exportUnsynced()")
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert [op["type"] for op in exported["ops"]] == ["key.issue"]
    assert exported["photos"][sha]["mime"] == "image/png"
    assert base64.b64decode(exported["photos"][sha]["base64"])[:4] == b"\x89PNG"

    # Stocktake: every key the phone has in the cabinet but two, and the key just issued.
    page.goto("/app/keys#stocktake")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='stocktake']")
    keys = page.evaluate(
        """async () => { const s = await import('/static/build/store.js');
          const rows = await s.withDB((db) => db.getAllFromIndex('objects', 'type', 'key'));
          const estate = Math.min(...rows.map((r) => r.data.estate_id));
          return rows.filter((r) => r.data.estate_id === estate)
            .map((r) => ({code: r.code, short: r.short_code, status: r.data.status})); }"""
    )
    cabinet = [k for k in keys if k["status"] == "in" and k["code"] != owner["code"]]
    left_out, scanned = cabinet[:2], cabinet[2:]
    page.evaluate(
        """async (shorts) => {
          const input = document.querySelector('[data-keys-manual] input');
          const button = document.querySelector('[data-keys-manual] button');
          for (const s of shorts) { input.value = s; button.click();
            await new Promise((r) => setTimeout(r, 10)); }
        }""",
        [k["short"] for k in scanned] + [owner["short"]],
    )
    page.wait_for_function(
        "n => document.querySelector('[data-stock-progress]').dataset.scanned === String(n)",
        arg=len(scanned) + 1,
    )
    page.click("[data-stock-compare]")
    result = page.locator("[data-stock-result]")
    result.wait_for(state="visible")
    missing = result.locator("[data-missing] li").all_inner_texts()
    assert len(missing) == 2
    unexpected = result.locator("[data-unexpected] li").all_inner_texts()
    assert len(unexpected) == 1 and owner["label"] in unexpected[0]
    assert result.locator("[data-handover-offline]").count() == 1
    kept = page.evaluate(
        "async () => (await import('/static/build/store.js')).getMeta('keys_stocktakes')"
    )
    assert {m["code"] for m in kept[0]["missing"]} == {k["code"] for k in left_out}
    assert [u["code"] for u in kept[0]["unexpected"]] == [owner["code"]]
    assert kept[0]["unknown"] == []

    # Back online: the issue and its signature reach the server.
    context.unroute("**/*")
    context.set_offline(False)
    page.evaluate("async () => (await import('/static/build/sync.js')).sync()")
    _until(page, SENT)
    with app.app_context():
        from webapp.models.sync import PhotoBlob, PhotoLink

        event = db.session.scalar(
            sa.select(KeyEvent).where(KeyEvent.key_id == owner["id"], KeyEvent.action == "issue")
        )
        assert event is not None and event.borrower_name == "簽名的業主"
        assert (event.id_type, event.id_last4) == ("passport", "K567")
        link = db.session.scalar(
            sa.select(PhotoLink).where(
                PhotoLink.record_type == "key_event", PhotoLink.record_id == event.id
            )
        )
        assert link is not None and link.sha256 == sha
        blob = db.session.get(PhotoBlob, sha)
        assert blob is not None and blob.content_type == "image/png"
    page.goto("/keys/?status=issued")
    assert page.locator(f".keys-signed img[src$='{sha}']").count() == 1


def test_an_engineers_phone_counts_keys_and_offers_no_lending(page, live_server):
    """Engineering approves an equipment-room lend and does not make one (the server refuses
    its key ops): does the engineer's phone offer only the stocktake, say who lends, and send
    a typed #lend back home? (The desk's phone lends, returns and issues in the walks above.)"""
    page.goto("/app/keys")
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=45_000,
    )
    log_in(page, "engineer")
    page.goto("/app/keys")
    _until(page, HAS_TOKEN)  # the phone knows whose it is (the token's user and role)
    page.reload()
    page.locator("#keys-app[data-ready='1'] [data-not-handler]").wait_for()
    actions = page.locator(".keys-actions-grid a").evaluate_all(
        "links => links.map((a) => a.getAttribute('href'))"
    )
    assert actions == ["#stocktake"]
    assert page.locator("[data-tab=lend]").is_hidden()
    assert "主管" in page.locator("[data-not-handler]").inner_text()
    page.goto("/app/keys#lend")
    page.wait_for_function("() => document.querySelector('#keys-app').dataset.mode === 'home'")
    assert page.locator("[data-basket=lend]").count() == 0
