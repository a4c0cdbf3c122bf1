"""The phone half of sync in real Chromium: offline store, outbox, recording, indicator, logout."""

from __future__ import annotations

import base64
import io
import json
import random
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from sync import photos as blob_files
from tests.browser import support
from tests.browser.conftest import log_in_and_pull
from tests.browser.support import OUTBOX, READY
from tests.browser.support import first_estate_units as _units
from tests.browser.support import until as _until
from webapp.extensions import db
from webapp.models import Device, utcnow
from webapp.models.sync import Check, PhotoBlob, PhotoLink

pytestmark = pytest.mark.browser

STATUS = "async () => (await import('/static/build/sync.js')).status()"


@pytest.fixture(scope="module")
def camera_photo(tmp_path_factory) -> str:
    """A 2400 x 1800 JPEG, as a phone camera would hand over (bigger than what is kept)."""
    rng = random.Random(7)
    image = Image.new("RGB", (2400, 1800), (90, 120, 130))
    pixels = image.load()
    for _ in range(4000):
        x, y = rng.randrange(2400), rng.randrange(1800)
        pixels[x, y] = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    path = tmp_path_factory.mktemp("photos") / "camera.jpg"
    path.write_bytes(out.getvalue())
    return str(path)


def _launch(browser, live_server, profile, video=None):
    flags = support.CHROMIUM_FLAGS + (support.fake_camera_flags(video) if video else [])
    ctx = browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=support.chromium_path(),
        args=flags,
        base_url=live_server.url,
        **support.PHONE,
    )
    ctx.set_default_timeout(20_000)
    return ctx


def _offline(ctx) -> None:
    ctx.set_offline(True)
    ctx.route("**/*", lambda route: route.abort())


def _online(ctx) -> None:
    ctx.unroute("**/*")
    ctx.set_offline(False)


def _log_in_and_pull(page, username: str = "patrol") -> None:
    log_in_and_pull(page, username)
    page.goto("/app")


def _record_check(
    page, photo: str | None, result: str = "ok", note: str = "", reason: str = "label_unreadable"
) -> None:
    """Record a check on the item shown; an item opened by a typed code or a pick asks why it
    was not scanned (the reason picker), answered with `reason`."""
    view = page.locator("#item-view")
    view.wait_for(state="visible")
    saved_before = int(page.locator("#record").get_attribute("data-saved") or 0)
    if page.locator("#record [data-reason-picker]").count():
        page.locator(f"#record .reason-tile[data-value={reason}]").click()
    page.locator(f"#record .choice-{result}").click()
    if note:
        page.fill("#record-note", note)
    if photo:
        page.set_input_files("[data-record-photo]", photo)
        page.wait_for_function(
            "() => document.querySelector('.record-form').dataset.photos === '1'"
        )
    page.click(".record-save")
    page.wait_for_function(
        "n => Number(document.getElementById('record').dataset.saved || 0) > n",
        arg=saved_before,
    )


def _open_by_short_code(page, unit) -> None:
    page.goto("/app")
    page.fill("#manual-code", unit["short"])
    page.click("#manual-form button[type=submit]")
    page.wait_for_url(f"**/q/{unit['code']}")


def test_twenty_checks_offline_across_reload_and_restart_all_reach_the_server(
    browser, live_server, printed_label, camera_photo, tmp_path
):
    """Do 20 checks with photos, made with no network across a reload and a browser restart,
    all reach the server with their photos once the network is back, leaving the outbox empty?"""
    label, video, _png = printed_label
    app = live_server.app
    units = [u for u in _units(app, 21) if u["code"] != label.code][:19]
    profile = tmp_path / "profile"
    ctx = _launch(browser, live_server, profile, video)
    page = ctx.new_page()
    problems = support.watch(page)
    _log_in_and_pull(page)
    assert page.evaluate(STATUS)["items"] >= 24
    _offline(ctx)

    # 1: the camera reads the printed label; the item opens from the store.
    page.goto("/scan")
    page.wait_for_url(f"**/q/{label.code}", timeout=30_000)
    page.locator("#item-view").wait_for(state="visible")
    assert label.unit_label in page.locator("#item-title").inner_text()
    _record_check(page, camera_photo, note="掃描後檢查")

    for i, unit in enumerate(units, start=1):
        if i == 8:
            page.reload()  # a reload with no network: everything still there
            assert page.evaluate(STATUS)["pending"] == 8
        if i == 14:  # the browser is closed and opened again, still with no network
            ctx.close()
            ctx = _launch(browser, live_server, profile)
            _offline(ctx)
            page = ctx.new_page()
            problems += support.watch(page)
        if i % 2:
            _open_by_short_code(page, unit)
        else:
            page.goto(f"/q/{unit['code']}")
        assert unit["label"] in page.locator("#item-title").inner_text()
        _record_check(page, camera_photo, result="issue" if i % 5 == 0 else "ok")
        # The item's history on the phone marks the entry as waiting.
        page.locator("#phone-history .phone-entry.is-pending").first.wait_for()

    entries = page.evaluate(OUTBOX)
    assert len(entries) == 20
    page.wait_for_selector("#sync-chip[data-pending='20']")
    op_ids = {e["op_id"]: e["payload"]["photos"] for e in entries}
    assert all(len(shas) == 1 for shas in op_ids.values())

    _online(ctx)
    page.goto("/app")
    _until(
        page, "async () => (await (await import('/static/build/sync.js')).status()).pending === 0"
    )
    assert page.evaluate(OUTBOX) == []
    ctx.close()
    assert problems == []

    with app.app_context():
        checks = db.session.scalars(sa.select(Check).where(Check.op_id.in_(op_ids))).all()
        assert len(checks) == 20
        assert {c.method for c in checks} == {"scan", "typed"}
        # A short code typed from the label says why it was not scanned (the picker's answer).
        assert {c.manual_reason for c in checks if c.method == "typed"} == {"label_unreadable"}
        assert {c.manual_reason for c in checks if c.method == "scan"} == {None}
        for check in checks:
            (sha,) = op_ids[check.op_id]
            link = db.session.scalar(
                sa.select(PhotoLink).where(PhotoLink.record_id == check.id, PhotoLink.sha256 == sha)
            )
            assert link is not None
            blob = db.session.get(PhotoBlob, sha)
            assert blob is not None and max(blob.width, blob.height) == 1600
            assert blob_files.blob_path(app.config["BLOB_DIR"], sha).exists()


def test_a_revoked_token_keeps_the_entries_asks_for_a_login_then_syncs(page, context, live_server):
    """With the token revoked while offline: do the entries survive, is a login asked for,
    and do they reach the server after it?"""
    app = live_server.app
    units = _units(app, 2, skip=21)
    _log_in_and_pull(page)
    device_id = page.evaluate(
        "async () => (await import('/static/build/store.js')).getMeta('device_id')"
    )
    _offline(context)
    for unit in units:
        page.goto(f"/q/{unit['code']}")
        _record_check(page, None, note="token revoked")
    with app.app_context():
        device = db.session.get(Device, device_id)
        device.revoked_at = utcnow()
        db.session.commit()
    context.clear_cookies()  # the session is gone too: only a login helps

    _online(context)
    page.goto("/app")
    banner = page.locator("[data-login-needed]")
    banner.wait_for(state="visible")
    assert page.evaluate(STATUS)["pending"] == 2
    assert page.locator("#sync-chip").get_attribute("data-state") == "auth"
    banner.locator("a").click()
    page.wait_for_url("**/login**")
    page.fill("input[name=username]", "patrol")
    page.fill("input[name=password]", "patrol-demo")
    page.click("form:has(input[name=password]) button[type=submit]")
    _until(
        page,
        "async () => { const s = await (await import('/static/build/sync.js')).status();"
        " return s.pending === 0 && !s.authNeeded; }",
    )
    with app.app_context():
        notes = db.session.scalars(
            sa.select(Check).where(Check.note == "token revoked", Check.device_id != device_id)
        ).all()
        assert len(notes) == 2


FAKE_ITEM = """async ({code, short}) => {
  const store = await import('/static/build/store.js');
  const gen = await store.getMeta('gen');
  await store.applyPage([{type: 'unit', id: '990001', version: 1, deleted: false,
    data: {estate_id: null, code, short_code: short, label: '測試棟-9單元-9樓-999室',
           status: 'occupied'}}], {}, gen);
}"""


def test_a_refused_entry_stays_on_screen_until_marked_seen_and_blocks_logout(page, context):
    """Is an op the server rejects shown to the user, kept across reloads until acknowledged,
    and does logout refuse while it (or anything unsynced) is there?"""
    _log_in_and_pull(page)
    # An item the phone believes in but the server does not know: its check is rejected.
    page.evaluate(FAKE_ITEM, {"code": "Z" * 26, "short": "ZZZZZZZ0"})
    _offline(context)
    page.goto(f"/q/{'Z' * 26}")
    _record_check(page, None, result="issue", note="refused on purpose")

    # Logout refuses while the entry is unsynced.
    _online(context)
    page.goto("/")
    page.wait_for_selector("[data-refused]", timeout=30_000)
    refused = page.locator("[data-refused]")
    assert "測試棟-9單元-9樓-999室" in refused.inner_text()
    page.click("form.logout button")
    page.locator("#logout-refused").wait_for(state="visible")
    assert not page.url.endswith("/login")

    page.reload()
    page.locator("[data-refused]").wait_for(state="visible")
    page.goto("/app")  # the shell shows it as well
    page.locator("[data-refused]").wait_for(state="visible")
    page.click("[data-refused] [data-ack]")
    page.locator("[data-refused]").wait_for(state="detached")
    page.reload()
    _until(page, READY)
    page.wait_for_selector("#sync-chip[data-state='ok']")
    assert page.locator("[data-refused]").count() == 0
    assert page.evaluate(OUTBOX) == []

    # Nothing unsynced: logout goes through and the phone forgets the user's data.
    page.goto("/")
    page.click("form.logout button")
    page.wait_for_url("**/login")
    assert (
        page.evaluate("async () => (await import('/static/build/store.js')).getMeta('token')")
        is None
    )


def test_an_expired_cursor_pulls_a_fresh_snapshot_and_keeps_the_outbox(page):
    """When the server answers 410 cursor_expired, does the phone pull a fresh snapshot,
    drop what the snapshot no longer holds, and keep every outbox entry?"""
    _log_in_and_pull(page)
    result = page.evaluate(
        """async () => {
          const store = await import('/static/build/store.js');
          const sync = await import('/static/build/sync.js');
          await sync.sync();  // let the page's own sync on load finish first
          const gen = await store.getMeta('gen');
          await store.applyPage([{type: 'unit', id: '990002', version: 1, deleted: false,
            data: {estate_id: 1, code: 'STALESTALESTALE0', short_code: 'STALE00',
                   label: 'gone'}}], {}, gen);
          await store.saveOp({op_id: '00000000-0000-4000-8000-000000000001',
            type: 'check.record', occurred_at: '2026-11-27T10:00:00+08:00',
            payload: {id: '00000000-0000-4000-8000-000000000002', code: 'X', method: 'scan',
                      result: 'ok', answers: {}, photos: []},
            code: 'X', item: {label: 'x'}, username: 'someone-else', created_at: Date.now(),
            state: 'pending'});
          await store.setMeta('cursor', 'not-a-cursor.0000');
          const before = await store.getMeta('gen');
          const out = await sync.sync();
          return {out, before, after: await store.getMeta('gen'),
                  stale: await store.itemByCode('STALESTALESTALE0'),
                  outbox: (await store.outboxEntries()).length,
                  status: await sync.status()};
        }"""
    )
    assert result["out"]["ok"] is True
    assert result["after"] == result["before"] + 1
    assert result["stale"] is None
    assert result["outbox"] == 1
    assert result["status"]["items"] >= 24
    assert result["status"]["waitingForOthers"] == 1


def test_recording_online_and_offline_on_a_phone_screen(page, context, live_server, camera_photo):
    """On the server's item page, does a finding go straight to the server; offline, does the
    item page show pending entries, and do the record form, the indicator and its panel fit
    390 x 844 with thumb-sized targets? (ROUNDS_SCREENSHOTS saves the screens to look at.)"""
    app = live_server.app
    online_unit, offline_unit = _units(app, 2, skip=3)
    shots = support.screenshot_dir()
    _log_in_and_pull(page)

    page.goto("/")
    page.wait_for_selector("#sync-chip[data-state='ok']")
    if shots:
        page.screenshot(path=str(shots / "phone-home-header-390x844.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Online: the server's item page carries the recorder and this phone's entries.
    page.goto(f"/q/{online_unit['code']}")
    page.locator("#record").wait_for(state="visible")
    page.click("#record [data-kind=finding]")
    page.locator("#record .choice-high").click()
    page.select_option("#record-category", "漏水")
    page.fill("#record-note", "天花板滲水，已通知工程部")
    page.set_input_files("[data-record-photo]", camera_photo)
    page.wait_for_function("() => document.querySelector('.record-form').dataset.photos === '1'")
    page.click(".record-save")
    _until(
        page, "async () => (await (await import('/static/build/sync.js')).status()).pending === 0"
    )
    page.reload()
    page.locator("#phone-history .phone-entry.is-applied").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    if shots:
        page.screenshot(path=str(shots / "phone-online-item-390x844.png"), full_page=True)
    with app.app_context():
        from webapp.models.sync import Finding

        finding = db.session.scalar(
            sa.select(Finding).where(Finding.note == "天花板滲水，已通知工程部")
        )
        assert finding is not None and finding.category == "漏水" and finding.severity == "high"

    # Offline: two checks wait on the phone; the item page marks them.
    _offline(context)
    page.goto(f"/q/{offline_unit['code']}")
    _record_check(page, camera_photo, result="issue", note="門口有雜物堆放")
    _record_check(page, None, result="no_access", note="住戶不在家")
    page.wait_for_function(
        "() => document.querySelectorAll('#phone-history .phone-entry.is-pending').length === 2"
    )
    page.wait_for_selector("#sync-chip[data-pending='2']")
    page.evaluate("window.scrollTo(0, 0)")
    if shots:
        page.screenshot(path=str(shots / "phone-item-pending-390x844.png"), full_page=True)
    # The record form, a finding with a photo being prepared.
    page.click("#record [data-kind=finding]")
    page.locator("#record .choice-medium").click()
    page.select_option("#record-category", "標識問題")
    page.fill("#record-note", "樓層標識脫落")
    page.set_input_files("[data-record-photo]", camera_photo)
    page.wait_for_function("() => document.querySelector('.record-form').dataset.photos === '1'")
    assert page.locator("#record .record-saved").is_hidden()  # a new entry is begun
    if shots:
        # As the phone shows it: the form's top just under the sticky header.
        page.evaluate(
            """() => {
              const top = document.getElementById('record').getBoundingClientRect().top;
              const header = document.querySelector('header')?.getBoundingClientRect().height || 0;
              window.scrollBy(0, top - header - 8);
            }"""
        )
        page.screenshot(path=str(shots / "phone-record-form-390x844.png"))
    # The indicator's panel.
    page.click("#sync-chip")
    page.locator("#sync-panel").wait_for(state="visible")
    assert "2" in page.locator("#sync-panel").inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    if shots:
        page.screenshot(path=str(shots / "phone-sync-panel-390x844.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The last resort: everything unsynced, photos included, as one JSON file.
    with page.expect_download() as download:
        page.click("#sync-panel [data-export]")
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["format"] == "rounds-unsynced/1"
    assert sorted(op["payload"]["note"] for op in exported["ops"]) == [
        "住戶不在家",
        "門口有雜物堆放",
    ]
    (photo,) = exported["photos"].values()
    assert photo["mime"] == "image/jpeg" and base64.b64decode(photo["base64"])[:2] == b"\xff\xd8"
    targets = "#record button, #record .btn, #record .record-choice, #sync-panel .btn, #sync-chip"
    small = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)]
            .filter((el) => el.offsetParent !== null)
            .map((el) => [el.textContent.trim(), el.getBoundingClientRect().height])
            .filter(([, h]) => h < 40)""",
        targets,
    )
    assert small == []
    _online(context)


def test_background_sync_drains_the_outbox_with_no_page_open(page, context, live_server):
    """With no page of the app open, does the service worker's Background Sync send the
    outbox (Chromium; the event is fired through DevTools as the browser would)?"""
    app = live_server.app
    (unit,) = _units(app, 1, skip=5)
    _log_in_and_pull(page)
    _offline(context)
    page.goto(f"/q/{unit['code']}")
    _record_check(page, None, note="background sync")
    # Let the page's own (offline, failing) attempt after the save end before closing it, so
    # no half-finished sync of that page is what the worker waits behind.
    _until(page, "async () => !(await (await import('/static/build/sync.js')).status()).syncing")
    blank = context.new_page()
    page.close()  # no page of the app is left to drain the outbox
    page = blank
    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    _online(context)
    for _ in range(50):
        if registrations:
            break
        page.wait_for_timeout(100)
    registration = next(r for r in registrations if r["scopeURL"].startswith(live_server.url))
    found = None
    with app.app_context():
        # Fired as the browser does, again after a failure (the worker may still see no network
        # for a moment after it returns; a failed sync event asks for a retry).
        # Up to a minute: past the 20 s the sync engine waits for a lock another context holds.
        for _ in range(40):
            cdp.send(
                "ServiceWorker.dispatchSyncEvent",
                {
                    "origin": live_server.url,
                    "registrationId": registration["registrationId"],
                    "tag": "rounds-outbox",
                    "lastChance": False,
                },
            )
            for _ in range(15):
                found = db.session.scalar(
                    sa.select(Check.id).where(Check.note == "background sync")
                )
                # Outside a request a transaction begins IMMEDIATE on SQLite (it may write): held
                # through the wait it kept the worker's push out for busy_timeout (a 503, twice,
                # in CI). Ended at once, the push finds the lock free.
                db.session.rollback()
                if found is not None:
                    break
                page.wait_for_timeout(100)
            if found is not None:
                break
    assert found is not None


def test_the_store_reopens_when_the_indexeddb_connection_is_lost(page):
    """When iOS drops the IndexedDB connection mid-use, does the store reopen and carry on?"""
    _log_in_and_pull(page)
    answer = page.evaluate(
        """async () => {
          const store = await import('/static/build/store.js');
          await (await import('/static/build/sync.js')).sync();  // the page's own sync first
          const real = IDBDatabase.prototype.transaction;
          let thrown = 0;
          IDBDatabase.prototype.transaction = function (...args) {
            if (thrown++ === 0) {
              throw new DOMException(
                'Connection to Indexed Database server lost. Refresh the page to try again',
                'UnknownError');
            }
            return real.apply(this, args);
          };
          try {
            return {device: await store.getMeta('device_id'), thrown};
          } finally {
            IDBDatabase.prototype.transaction = real;
          }
        }"""
    )
    assert answer["thrown"] >= 2  # it failed once, and was opened and tried again
    assert answer["device"]
