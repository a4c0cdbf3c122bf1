"""The phone's offline core in WebKit (Safari's engine), with its back/forward cache on:
login, the worker in control, pages offline, records kept across a reload and a browser
restart, and the outbox sent exactly once when the server answers again."""

from __future__ import annotations

import io
import random

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.browser.support import first_estate_units as units
from tests.conftest import AuthActions
from webapp.extensions import db
from webapp.models.sync import Check, PhotoBlob, PhotoLink

pytestmark = pytest.mark.webkit

STATUS = "return import('/static/build/sync.js').then((m) => m.status());"
READY = """return import('/static/build/sync.js').then((m) => m.status()).then(
  (s) => s.hasToken && s.items > 0 && !s.firstPull && !s.syncing);"""
OUTBOX = "return import('/static/build/store.js').then((m) => m.outboxEntries());"
DRAINED = """return import('/static/build/sync.js').then((m) => m.status()).then(
  (s) => s.pending === 0 && !s.syncing);"""
CONTROLLED = "return Boolean(navigator.serviceWorker && navigator.serviceWorker.controller);"


@pytest.fixture(scope="module")
def camera_photo(tmp_path_factory) -> str:
    """A 1600 x 1200 JPEG, as a phone camera would hand over."""
    rng = random.Random(11)
    image = Image.new("RGB", (1600, 1200), (120, 110, 90))
    pixels = image.load()
    for _ in range(3000):
        pixels[rng.randrange(1600), rng.randrange(1200)] = (rng.randrange(256),) * 3
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    path = tmp_path_factory.mktemp("photos") / "camera.jpg"
    path.write_bytes(out.getvalue())
    return str(path)


def log_in(phone, username: str = "patrol") -> None:
    """The worker first, then the login through the real form, the token and the first pull."""
    phone.goto("/app")
    phone.until(CONTROLLED, timeout=45, what="the service worker controls /app")
    phone.goto("/login")
    phone.fill("input[name=username]", username)
    phone.fill("input[name=password]", AuthActions.PASSWORDS[username])
    phone.click("form:has(input[name=password]) button[type=submit]")
    phone.until("return !location.pathname.startsWith('/login');", what="left /login")
    phone.until(READY, timeout=45, what="token and first pull")


RAW_PROBE = """return Promise.race([new Promise((resolve) => {
  const req = indexedDB.open('rounds');
  req.onsuccess = () => {
    const db = req.result;
    const out = {};
    let left = 3;
    for (const name of ['meta', 'objects', 'outbox']) {
      const g = db.transaction(name).objectStore(name).count();
      g.onsuccess = () => { out[name] = g.result; if (!--left) { db.close(); resolve(out); } };
    }
  };
  req.onblocked = () => resolve('open blocked');
}), new Promise((r) => setTimeout(() => r('no answer in 3 s'), 3000))]);"""


def until_or_diagnose(phone, script, *args, **kw):
    """phone.until, and when it fails, what the store answers to a fresh connection."""
    try:
        return phone.until(script, *args, **kw)
    except AssertionError as error:
        raise AssertionError(f"{error}; the store to a fresh connection: {probe(phone)}") from None


def probe(phone) -> object:
    """What a fresh connection gets from the store (a diagnosis for a failure message)."""
    try:
        return phone.js(RAW_PROBE)
    except Exception as problem:  # noqa: BLE001 - a diagnosis, whatever happens
        return repr(problem)


CHOSEN = """return Boolean(document.querySelector(
  '#record input[name=result][value=' + arguments[0] + ']:checked'));"""


def choose(phone, result: str) -> None:
    """Tap a result and see that it took (the tap once landed beside it: the header grew a row
    as the sync chip's words changed, and the page moved under the finger)."""
    phone.click(f"#record .choice-{result}")
    assert phone.js(CHOSEN, result), f"the tap on '{result}' did not check it"


def record_check(phone, photo: str | None = None, result: str = "ok", what: str = "") -> None:
    """Record a check on the open item page and wait until the page says it is saved."""
    phone.wait_visible("#record .record-save")
    before = int(phone.find("#record").get_attribute("data-saved") or 0)
    choose(phone, result)
    if photo:
        phone.find("[data-record-photo]").send_keys(photo)
        phone.until(
            "return document.querySelector('.record-form').dataset.photos === '1';",
            what="photo attached",
        )
    phone.click(".record-save")
    outcome = until_or_diagnose(
        phone,
        """const r = document.getElementById('record');
        if (Number(r.dataset.saved || 0) > arguments[0]) return 'saved';
        const e = r.querySelector('.field-error');
        return e && !e.hidden ? 'error: ' + e.textContent : null;""",
        before,
        timeout=20,
        what=f"the page says saved {what}",
    )
    if outcome != "saved":
        raise AssertionError(f"{what}: {outcome}; the store to a fresh connection: {probe(phone)}")


def test_login_puts_the_worker_in_control_and_fills_the_phone(phone):
    """Does a login in WebKit end with the worker in control, a token and the items stored?"""
    log_in(phone)
    status = phone.js(STATUS)
    assert status["hasToken"] and status["items"] >= 24
    phone.goto("/app")
    assert phone.js(CONTROLLED)
    phone.wait_visible("#shell-status [data-held]")


def test_saves_keep_working_when_pages_are_left_and_reloaded_while_syncing(phone, live_server):
    """Leave, come back to (back/forward cache) and reload item pages while each save syncs,
    eight times: does every save still say saved and reach the server exactly once? (WebKit's
    IndexedDB stopped answering for 30 s+ after such a cycle in 5 of 9 tries: 8 in a row
    cannot pass by luck.)"""
    app = live_server.app
    items = units(app, 8)
    with app.app_context():
        before = set(db.session.scalars(sa.select(Check.op_id)))
    log_in(phone)
    saved = 0
    for i, unit in enumerate(items):
        phone.goto(f"/q/{unit['code']}")
        record_check(phone, result="issue" if i % 3 == 0 else "ok", what=f"(round {i}, opened)")
        saved += 1
        # Leave while the save's sync runs, then come back from the back/forward cache...
        phone.goto("/app")
        phone.driver.back()
        phone.until("return location.pathname.startsWith('/q/');", what="back on the item")
        record_check(phone, what=f"(round {i}, back from the cache)")
        saved += 1
        # ...and reload while that one syncs.
        phone.driver.refresh()
    phone.goto("/app")
    phone.until(DRAINED, timeout=60, what="outbox drained")
    with app.app_context():
        checks = db.session.scalars(sa.select(Check).where(Check.op_id.not_in(before))).all()
        assert len(checks) == saved
        assert {c.code for c in checks} == {u["code"] for u in items}


HOLD_THE_OUTBOX = """
  // Another holder of the outbox's lock that never lets go (what a page frozen in the
  // back/forward cache did): a transaction kept alive by request after request.
  window.__hold = true;
  return new Promise((resolve) => {
    const req = indexedDB.open('rounds');
    req.onsuccess = () => {
      const tx = req.result.transaction(['outbox', 'photos'], 'readwrite');
      const again = () => {
        if (window.__hold) tx.objectStore('outbox').count().onsuccess = again;
      };
      again();
      resolve(true);
    };
  });
"""


def test_a_save_the_store_cannot_take_says_so_and_keeps_the_form(phone, live_server):
    """When the phone's store does not answer, does tapping Save say it was NOT saved and keep
    what was typed — and does Save work once the store answers again?"""
    unit = units(live_server.app, 1)[0]
    log_in(phone)
    phone.goto(f"/q/{unit['code']}")
    phone.wait_visible("#record .record-save")
    phone.js(HOLD_THE_OUTBOX)
    phone.click("#record .choice-issue")
    phone.fill("#record-note", "門鎖鬆脫")
    phone.click(".record-save")
    message = phone.until(
        "const e = document.querySelector('#record .field-error');"
        "return e && !e.hidden && e.textContent;",
        what="the save says it failed",
    )
    assert "未儲存" in message
    assert phone.find("#record").get_attribute("data-saved") in (None, "0")
    assert phone.js("return document.getElementById('record-note').value;") == "門鎖鬆脫"
    assert phone.js("return document.querySelector('#record .choice-issue input').checked;")

    phone.js("window.__hold = false;")
    phone.click(".record-save")
    phone.until(
        "return document.getElementById('record').dataset.saved === '1';", what="saved at last"
    )
    phone.until(DRAINED, what="sent")
    with live_server.app.app_context():
        notes = db.session.scalars(sa.select(Check.note).where(Check.code == unit["code"]))
        assert list(notes).count("門鎖鬆脫") == 1  # the failed try never landed later


def pending(phone) -> int:
    return (
        phone.until(
            "return import('/static/build/sync.js').then((m) => m.status())"
            ".then((s) => s.pending + 1);",
            what="status",
        )
        - 1
    )


def test_checks_with_photos_made_offline_survive_a_reload_and_a_restart_and_arrive_once(
    phone, live_server, relay, camera_photo
):
    """With the server out of reach: do pages open, do checks with photos stay on the phone
    across a reload and a browser restart, and reach the server exactly once, photos and all,
    when it answers again?"""
    app = live_server.app
    first, second = units(app, 2)
    log_in(phone)
    phone.goto("/app")
    relay.cut()

    phone.driver.refresh()  # /app with no network: from the worker
    phone.wait_visible("#shell-status [data-held]")
    phone.goto(f"/q/{first['code']}")
    phone.wait_visible("#item-view")
    assert first["label"] in phone.find("#item-title").text
    record_check(phone, camera_photo, result="issue", what="(offline)")

    phone.driver.refresh()  # a reload with no network: the entry is still there
    phone.wait_visible("#item-view")
    assert pending(phone) == 1
    record_check(phone, what="(offline, after the reload)")

    phone.restart()  # the browser closed and opened again, still with no network
    phone.goto(f"/q/{second['code']}")
    phone.wait_visible("#item-view")
    assert second["label"] in phone.find("#item-title").text
    record_check(phone, camera_photo, what="(offline, after the restart)")
    entries = phone.js(OUTBOX)
    assert len(entries) == 3
    photos = {e["op_id"]: e["payload"]["photos"] for e in entries}
    assert sorted(len(p) for p in photos.values()) == [0, 1, 1]

    relay.restore()
    phone.goto("/app")
    phone.until(DRAINED, timeout=60, what="outbox drained")
    assert phone.js(OUTBOX) == []
    # The page reloads and comes back a few times more: nothing goes twice.
    for _ in range(3):
        phone.driver.refresh()
        phone.until(DRAINED, what="still drained")
    with app.app_context():
        checks = db.session.scalars(sa.select(Check).where(Check.op_id.in_(photos))).all()
        assert len(checks) == 3
        for check in checks:
            links = db.session.scalars(
                sa.select(PhotoLink.sha256).where(PhotoLink.record_id == check.id)
            ).all()
            assert sorted(links) == sorted(photos[check.op_id])
            assert all(db.session.get(PhotoBlob, sha) is not None for sha in links)
