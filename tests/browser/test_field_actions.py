"""What a patroller's fingers do on a real phone (issue 15), in real Chromium: a double tap is
one entry, an entry still waiting can be taken back, an unknown code is told for what it is,
a damaged label is found by its address, and the small things the first day showed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser.conftest import log_in
from tests.browser.test_phone_sync import _units, _until
from webapp.extensions import db
from webapp.models import Key, LabelCode
from webapp.models.sync import Check, KeyEvent

pytestmark = pytest.mark.browser

READY = """async () => {
  const s = await (await import('/static/build/sync.js')).status();
  return s.hasToken && s.items > 0 && !s.firstPull && !s.syncing;
}"""
SENT = "async () => (await (await import('/static/build/sync.js')).status()).pending === 0"
HAS_TOKEN = "async () => (await (await import('/static/build/sync.js')).status()).hasToken"
IDLE = "async () => !(await (await import('/static/build/sync.js')).status()).syncing"
SYNC = "async () => (await import('/static/build/sync.js')).sync()"
# Every entry this phone made about a code: waiting (outbox) and settled or taken back (journal).
OWN = """async (code) => {
  const store = await import('/static/build/store.js');
  const [outbox, journal] = await Promise.all([store.outboxFor(code), store.journalFor(code)]);
  return [...outbox.map((e) => ({...e, where: 'outbox'})),
          ...journal.map((e) => ({...e, where: 'journal'}))];
}"""


def _settle(page) -> None:
    """Let a second save (if a double tap started one) finish before counting."""
    page.wait_for_timeout(600)
    _until(page, IDLE)


def _key(app, offset: int) -> dict:
    """A public-area key of the first estate, in the cabinet with no events (from the end of
    the list: test_keys takes the first one)."""
    with app.app_context():
        key, code = db.session.execute(
            sa.select(Key, LabelCode)
            .join(
                LabelCode,
                sa.and_(
                    LabelCode.item_type == "key", LabelCode.item_id == Key.id, LabelCode.active
                ),
            )
            .where(
                Key.key_class == "public_area",
                Key.status == "in",
                Key.estate_id == sa.select(sa.func.min(Key.estate_id)).scalar_subquery(),
                ~sa.exists().where(KeyEvent.key_id == Key.id),
            )
            .order_by(Key.id.desc())
            .offset(offset)
            .limit(1)
        ).one()
        return {"id": key.id, "code": code.code, "short": code.short_code, "label": key.label}


# ---------------------------------------------------------------- defect 3: one tap, one op


def test_double_tap_on_save_records_one_check(page, live_server):
    """Double-tapping 儲存 on an item page: is exactly one check kept and sent?"""
    app = live_server.app
    (unit,) = _units(app, 1, skip=16)
    log_in(page)
    page.goto(f"/q/{unit['code']}")
    page.locator("#record .choice-ok").click()
    page.fill("#record-note", "雙擊儲存")
    page.dblclick(".record-save")
    page.wait_for_function("() => Number(document.getElementById('record').dataset.saved) >= 1")
    _settle(page)
    entries = page.evaluate(OWN, unit["code"])
    assert len(entries) == 1, entries
    _until(page, HAS_TOKEN)
    page.evaluate(SYNC)
    _until(
        page, "async () => (await (await import('/static/build/sync.js')).status()).pending === 0"
    )
    with app.app_context():
        notes = db.session.scalars(sa.select(Check.note).where(Check.code == unit["code"])).all()
    assert notes.count("雙擊儲存") == 1


def test_double_tap_on_lend_lends_once(page, live_server):
    """Double-tapping the lend button: one key.lend op, and the key is out, not disputed?"""
    app = live_server.app
    key = _key(app, 0)
    log_in(page, "desk")
    page.goto("/")
    _until(page, READY, timeout_s=45)
    page.goto("/app/keys#lend")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='lend']")
    page.fill("[data-keys-manual] input", key["short"])
    page.press("[data-keys-manual] input", "Enter")
    page.locator(f"[data-basket='lend'] [data-code='{key['code']}']").wait_for()
    page.fill("#keys-borrower", "雙擊借用人")
    page.click(".choice-contractor")
    page.dblclick("[data-keys-submit='lend']")
    page.locator(".keys-saved").wait_for(state="visible")
    _settle(page)
    lends = [e for e in page.evaluate(OWN, key["code"]) if e["type"] == "key.lend"]
    assert len(lends) == 1, lends
    page.evaluate(SYNC)
    _until(
        page, "async () => (await (await import('/static/build/sync.js')).status()).pending === 0"
    )
    with app.app_context():
        assert db.session.get(Key, key["id"]).status == "out"
        events = db.session.scalars(sa.select(KeyEvent).where(KeyEvent.key_id == key["id"])).all()
        assert len(events) == 1


def test_a_waiting_check_can_be_taken_back_and_is_never_sent(page, live_server):
    """A check still waiting in the outbox: can the patroller take it back from the item's
    list, so that it leaves the outbox, stays on the phone marked as taken back, and never
    reaches the server?"""
    app = live_server.app
    (unit,) = _units(app, 1, skip=17)
    log_in(page)
    # The server cannot be reached for sending: the entry waits.
    page.route("**/api/sync/push", lambda route: route.abort())
    page.goto(f"/q/{unit['code']}")
    page.locator("#record .choice-issue").click()
    page.fill("#record-note", "記錯了，取回")
    page.click(".record-save")
    row = page.locator("#phone-history .phone-entry.is-pending")
    row.wait_for()
    row.locator("[data-take-back]").click()
    row.locator("[data-take-back-confirm]").click()
    page.locator("#phone-history .phone-entry.is-withdrawn").wait_for()
    entries = page.evaluate(OWN, unit["code"])
    assert [(e["where"], e["state"]) for e in entries] == [("journal", "withdrawn")]
    assert entries[0]["withdrawn_at"]
    status = "async () => (await import('/static/build/sync.js')).status()"
    assert page.evaluate(status)["pending"] == 0

    page.unroute("**/api/sync/push")
    _until(page, HAS_TOKEN)
    page.evaluate(SYNC)
    _until(page, IDLE)
    with app.app_context():
        assert db.session.scalar(sa.select(Check).where(Check.op_id == entries[0]["op_id"])) is None
    # It stays listed, as taken back, after a reload.
    page.reload()
    page.locator("#phone-history .phone-entry.is-withdrawn").wait_for()


def test_a_waiting_lend_can_be_taken_back_from_the_key_screens(page, live_server):
    """On the key screens' list of entries waiting to sync: does taking back a lend put the
    key back in the cabinet on the phone, and is the lend never sent?"""
    app = live_server.app
    key = _key(app, 1)
    log_in(page, "desk")
    page.goto("/")
    _until(page, READY, timeout_s=45)
    page.route("**/api/sync/push", lambda route: route.abort())
    page.goto("/app/keys#lend")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='lend']")
    page.fill("[data-keys-manual] input", key["short"])
    page.press("[data-keys-manual] input", "Enter")
    page.locator(f"[data-basket='lend'] [data-code='{key['code']}']").wait_for()
    page.fill("#keys-borrower", "借錯了")
    page.click(".choice-staff")
    page.click("[data-keys-submit='lend']")
    page.locator(".keys-saved").wait_for(state="visible")
    page.goto("/app/keys#home")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='home']")
    row = page.locator(f".keys-waiting .keys-entry[data-code='{key['code']}']")
    row.locator("[data-take-back]").click()
    row.locator("[data-take-back-confirm]").click()
    page.locator(f".keys-synced .keys-entry.is-withdrawn[data-code='{key['code']}']").wait_for()
    page.wait_for_selector(".keys-waiting[data-waiting='0']")
    page.unroute("**/api/sync/push")
    page.evaluate(SYNC)
    _until(page, IDLE)
    with app.app_context():
        assert db.session.get(Key, key["id"]).status == "in"
        assert not db.session.scalars(sa.select(KeyEvent).where(KeyEvent.key_id == key["id"])).all()
