"""The phone's JavaScript tells the truth (issue 15, finishing it), in real Chromium: a replaced
label offline, the key screens' server status, take-back that never races a push, saves that
cannot reach the store, and a checklist saved without the phone's user record."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.browser.conftest import log_in, log_in_and_pull
from tests.browser.support import (
    OWN,
    READY,
    SYNC,
    add_patroller,
    add_round,
    first_estate_units,
    until,
)
from webapp.extensions import db
from webapp.labels.codes import ensure_codes, retire_and_replace
from webapp.models import Building, Estate, LabelCode, Sign, Unit, utcnow
from webapp.models.sync import Check

pytestmark = pytest.mark.browser


def _offline(context) -> None:
    context.set_offline(True)
    context.route("**/*", lambda route: route.abort())


def _worker(page) -> None:
    page.goto("/app")
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=45_000,
    )


# ---------------------------------------------------------------- defect 6: a replaced label


def _replaced_sign(app) -> dict:
    """The last sign of the first estate, its label reprinted: the old code and the new."""
    with app.app_context():
        first = sa.select(sa.func.min(Sign.estate_id)).scalar_subquery()
        sign = db.session.scalars(
            sa.select(Sign).where(Sign.estate_id == first).order_by(Sign.id.desc()).limit(1)
        ).one()
        old = db.session.scalar(
            sa.select(LabelCode).where(
                LabelCode.item_type == "sign", LabelCode.item_id == sign.id, LabelCode.active
            )
        )
        new = retire_and_replace(db.session, old, "label torn")
        db.session.commit()
        return {"old": old.code, "old_short": old.short_code, "new": new.code, "label": sign.label}


def test_a_replaced_label_offline_says_so_and_opens_its_item(page, context, live_server):
    """Offline after a complete sync, a label since reprinted — scanned (its /q/ URL) or its
    short code typed: does the phone say the label was replaced and open the item it belonged
    to, instead of calling it a stranger?"""
    sign = _replaced_sign(live_server.app)
    _worker(page)
    log_in(page)
    until(page, READY, timeout_s=45)
    _offline(context)
    page.goto(f"/q/{sign['old']}")
    notice = page.locator("#item-view [data-replaced]")
    notice.wait_for()
    assert "此標籤已更換" in notice.inner_text()
    assert page.locator("#item-title").inner_text() == sign["label"]
    assert page.locator("#shell-not-on-phone").is_hidden()
    # Its new label opens the item with no such notice (and nothing stray in its place:
    # replaceChildren writes a null as "null").
    page.goto(f"/q/{sign['new']}")
    page.locator("#item-title").wait_for()
    assert page.locator("#item-view [data-replaced]").count() == 0
    assert "null" not in page.locator("#item-view").inner_text()

    page.goto("/app")
    page.fill("#manual-code", sign["old_short"])
    page.press("#manual-code", "Enter")
    page.locator("#item-view [data-replaced]").wait_for()
    assert page.locator("#item-title").inner_text() == sign["label"]
    # A check made here is about the item (its active code), as the online page records it.
    stored = page.evaluate(
        "async (c) => (await import('/static/build/store.js')).itemByCode(c)", sign["old"]
    )
    assert stored["code"] == sign["new"] and stored["retired"]["code"] == sign["old"]


ROOT = Path(__file__).resolve().parents[2]
STORE_VERSION = int(
    re.search(r"^const VERSION = (\d+);", (ROOT / "static/js/store.js").read_text(), re.M)[1]
)


def test_a_version_2_store_keeps_its_outbox_and_pulls_retired_codes_afresh(page):
    """Does a phone's store from before retired codes (version 2: items, a cursor, an entry
    waiting) open at the store's current version (4 since permits) with its items and outbox
    kept, a fresh snapshot due (its rows lack retired codes, so it no longer claims to hold
    every label), and a pulled item's old label found by its long and its short code?"""
    page.goto("/static/build/store.js")  # same origin, none of the app's scripts running
    answer = page.evaluate(
        """async () => {
          await new Promise((resolve, reject) => {
            const request = indexedDB.open('rounds', 2);
            request.onupgradeneeded = () => {
              const db = request.result;
              const objects = db.createObjectStore('objects', {keyPath: 'key'});
              for (const name of ['code', 'short_code', 'type', 'estate_id', 'gen', 'item_code',
                                  'item_key', 'check_at']) {
                objects.createIndex(name, name);
              }
              const outbox = db.createObjectStore('outbox', {keyPath: 'op_id'});
              outbox.createIndex('code', 'code');
              outbox.createIndex('created_at', 'created_at');
              db.createObjectStore('photos', {keyPath: 'sha256'});
              const journal = db.createObjectStore('journal', {keyPath: 'op_id'});
              journal.createIndex('code', 'code');
              journal.createIndex('synced_at', 'synced_at');
              const meta = db.createObjectStore('meta');
              objects.put({key: 'unit:9', type: 'unit', id: '9', version: 1, gen: 4, estate_id: 1,
                code: 'NEWLABEL', short_code: 'AB', label: '1棟-1樓-101室',
                data: {code: 'NEWLABEL', short_code: 'AB', label: '1棟-1樓-101室', estate_id: 1}});
              outbox.put({op_id: 'waiting', code: 'NEWLABEL', created_at: 1, state: 'pending',
                type: 'check.record', payload: {id: 'w1', photos: []}});
              meta.put('somewhere', 'cursor');
              meta.put(4, 'gen');
              meta.put(Date.now(), 'last_pull_at');
              meta.put(Date.now(), 'last_sync_at');
            };
            request.onsuccess = () => { request.result.close(); resolve(); };
            request.onerror = () => reject(request.error);
          });
          const store = await import('/static/build/store.js');
          const version = await store.withDB(async (db) => db.version);
          const meta = await store.getMetas(['cursor', 'gen', 'snapshotting']);
          const kept = await store.itemByCode('NEWLABEL');
          const outbox = (await store.outboxEntries()).map((e) => e.op_id);
          await store.applyPage([{type: 'unit', id: '9', version: 2, deleted: false,
            data: {code: 'NEWLABEL', short_code: 'AB', label: '1棟-1樓-101室', estate_id: 1,
                   retired_codes: [{code: 'OLDLABEL', short_code: 'CD',
                                    retired_at: '2026-12-01T08:00:00+00:00'}]}}], {}, 5);
          const byOld = await store.itemByCode('OLDLABEL');
          const byShort = await store.itemSource.byShortCode('CD');
          const unknown = await store.itemByCode('NOSUCHLABEL');
          return {version, meta, kept: kept && kept.code, outbox,
                  byOld: byOld && [byOld.code, byOld.retired.code],
                  byShort: byShort && [byShort.code, byShort.retired.code], unknown};
        }"""
    )
    assert answer["version"] == STORE_VERSION
    # The cursor gone, a new generation: the next pull is a fresh snapshot.
    assert answer["meta"] == {"cursor": None, "gen": 5, "snapshotting": True}
    assert answer["kept"] == "NEWLABEL" and answer["outbox"] == ["waiting"]
    assert answer["byOld"] == ["NEWLABEL", "OLDLABEL"]
    assert answer["byShort"] == ["NEWLABEL", "OLDLABEL"]
    assert answer["unknown"] is None


# ---------------------------------------------------------------- the key screens

REACH = "async () => (await import('/static/build/sync.js')).reachability().state"
# The first estate's keys in the cabinet, as the phone holds them.
CABINET = """async () => { const s = await import('/static/build/store.js');
  const rows = await s.withDB((db) => db.getAllFromIndex('objects', 'type', 'key'));
  const estate = Math.min(...rows.map((r) => r.data.estate_id));
  return rows.filter((r) => r.data.estate_id === estate && r.data.status === 'in')
    .map((r) => ({code: r.code, short: r.short_code})); }"""


def _desk_ready(page) -> None:
    log_in(page, "desk")
    page.goto("/")
    until(page, READY, timeout_s=45)


def test_the_handover_is_not_offered_while_the_server_does_not_answer(page, live_server):
    """The phone has a network (navigator.onLine) but the server answers nothing: after a
    stocktake, does the key screen say the handover needs the server — as the header says
    離線 — instead of offering a link that cannot load?"""
    _desk_ready(page)
    key = page.evaluate(CABINET)[0]
    page.route("**/api/**", lambda route: route.abort())
    page.goto("/app/keys#stocktake")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='stocktake']")
    page.evaluate(SYNC)
    assert page.evaluate(REACH) == "down"
    assert page.evaluate("navigator.onLine") is True
    page.fill("[data-keys-manual] input", key["short"])
    page.press("[data-keys-manual] input", "Enter")
    page.wait_for_selector("[data-stock-progress][data-scanned='1']")
    page.click("[data-stock-compare]")
    result = page.locator("[data-stock-result]")
    result.wait_for(state="visible")
    assert result.locator("[data-handover-offline]").count() == 1
    assert result.locator("[data-handover]").count() == 0
    assert page.locator(".keys-past a").count() == 0
    page.unroute("**/api/**")


# Counts the store's index reads by index name and key: "type:unit" is the finder's read of
# the whole registry, "short_code" a typed short code resolved.
COUNT_READS = """(() => {
  window.__reads = {};
  for (const method of ['get', 'getAll']) {
    const original = IDBIndex.prototype[method];
    IDBIndex.prototype[method] = function (...args) {
      const typed = typeof args[0] === 'string' && this.name === 'type';
      const what = typed ? `type:${args[0]}` : this.name;
      window.__reads[what] = (window.__reads[what] || 0) + 1;
      return original.apply(this, args);
    };
  }
})();"""


def test_the_key_search_warms_up_on_focus_and_enter_resolves_once(page, live_server):
    """On the lend screen: is the registry read into memory when the code field is touched
    (not on the first keystroke), and does Enter on a short code look it up once, not twice?"""
    _desk_ready(page)
    key = page.evaluate(CABINET)[-1]
    page.add_init_script(COUNT_READS)
    page.goto("/app/keys#lend")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='lend']")
    page.evaluate("window.__reads = {}")
    page.focus("[data-keys-manual] input")
    page.wait_for_function("() => (window.__reads['type:unit'] || 0) >= 1", timeout=5000)
    page.evaluate("window.__reads = {}")
    page.fill("[data-keys-manual] input", key["short"])
    page.press("[data-keys-manual] input", "Enter")
    page.locator(f"[data-basket='lend'] [data-code='{key['code']}']").wait_for()
    reads = page.evaluate("window.__reads")
    assert reads.get("short_code") == 1, reads
    assert "type:unit" not in reads, reads


FAIL_STOCKTAKE_SAVE = """() => {
  window.__put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    if (this.name === 'meta' && args[1] === 'keys_stocktakes') {
      throw new DOMException('the store did not answer', 'UnknownError');
    }
    return window.__put.apply(this, args);
  };
}"""


def test_a_stocktake_the_phone_cannot_keep_says_so_and_keeps_the_reads(page, live_server):
    """When the phone's store refuses the stocktake, does 比對 say loudly that nothing was
    saved and keep the keys read, so a second tap keeps it?"""
    _desk_ready(page)
    key = page.evaluate(CABINET)[1]
    page.goto("/app/keys#stocktake")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='stocktake']")
    page.fill("[data-keys-manual] input", key["short"])
    page.press("[data-keys-manual] input", "Enter")
    page.wait_for_selector("[data-stock-progress][data-scanned='1']")
    page.evaluate(FAIL_STOCKTAKE_SAVE)
    page.click("[data-stock-compare]")
    error = page.locator(".keys-stock-actions ~ .field-error, .field-error[role=alert]").first
    error.wait_for(state="visible")
    assert "未儲存" in error.inner_text()
    assert page.locator("[data-stock-result]").is_hidden()
    assert page.locator("[data-stock-progress]").get_attribute("data-scanned") == "1"

    page.evaluate("() => { IDBObjectStore.prototype.put = window.__put; }")
    page.click("[data-stock-compare]")
    page.locator("[data-stock-result]").wait_for(state="visible")
    assert error.is_hidden()
    kept = page.evaluate(
        "async () => (await import('/static/build/store.js')).getMeta('keys_stocktakes')"
    )
    assert len(kept) == 1 and kept[0]["scanned"] == [key["code"]]


# ---------------------------------------------------------------- take-back and the sync lock


def _waiting_check(page, app) -> dict:
    """A check recorded on an item page while pushes fail: it waits in the outbox, and pushes
    keep failing until the test lets them through (a background sync may start at any time:
    letting pushes through before the test is ready raced it)."""
    from tests.browser.test_phone_sync import _units

    (unit,) = _units(app, 1, skip=19)
    page.route("**/api/sync/push", lambda route: route.abort())
    page.goto(f"/q/{unit['code']}")
    page.locator("#record .choice-ok").click()
    page.click(".record-save")
    page.locator("#phone-history .phone-entry.is-pending").wait_for()
    return unit


HOLD_LOCK = """() => new Promise((held) => navigator.locks.request('rounds-sync', () => {
  held();
  return new Promise((release) => { window.__release = release; });
}))"""


def test_a_sync_that_cannot_get_the_lock_pulls_but_never_pushes(page, live_server):
    """Another tab holds the sync lock and never lets go (a frozen tab, mid take-back): does a
    sync, after waiting for it, leave the outbox alone — so a take-back can never race a push —
    and send the entry once the lock is free?"""
    app = live_server.app
    log_in(page)
    until(page, READY, timeout_s=45)
    unit = _waiting_check(page, app)
    page.evaluate(HOLD_LOCK)
    page.unroute("**/api/sync/push")  # only the lock stands between the entry and a push now
    page.evaluate(SYNC)  # waits out the lock (20 s), then goes on without it
    entries = page.evaluate(OWN, unit["code"])
    assert [(e["where"], e["state"]) for e in entries] == [("outbox", "pending")]
    with app.app_context():
        assert db.session.scalar(sa.select(Check).where(Check.op_id == entries[0]["op_id"])) is None
    page.evaluate("() => window.__release()")
    page.evaluate(SYNC)
    assert [e["where"] for e in page.evaluate(OWN, unit["code"])] == ["journal"]
    with app.app_context():
        assert db.session.scalar(sa.select(Check).where(Check.op_id == entries[0]["op_id"]))


def test_the_header_panel_takes_back_a_waiting_entry(page, live_server):
    """From the header's sync panel: can a waiting entry be taken back (asked once more), so
    that it stays on the phone marked taken back and never reaches the server?"""
    app = live_server.app
    log_in(page)
    until(page, READY, timeout_s=45)
    unit = _waiting_check(page, app)
    page.click("#sync-chip")
    entry = page.locator("#sync-panel [data-sync-waiting] li[data-op]")
    entry.wait_for()
    assert entry.count() == 1
    entry.locator("[data-take-back]").click()
    entry.locator("[data-take-back-confirm]").click()
    page.wait_for_selector("#sync-panel [data-sync-waiting] li[data-op]", state="detached")
    entries = page.evaluate(OWN, unit["code"])
    assert [(e["where"], e["state"]) for e in entries] == [("journal", "withdrawn")]
    page.unroute("**/api/sync/push")
    page.evaluate(SYNC)
    with app.app_context():
        assert db.session.scalar(sa.select(Check).where(Check.op_id == entries[0]["op_id"])) is None


# ---------------------------------------------------------------- a checklist without the user

WALKER, WALKER_PASSWORD = "truthwalker", "truthwalker-rounds-1"


@pytest.fixture(scope="module")
def vacant_round(live_server):
    """An estate with one vacant unit, a vacant-unit round all day, and its patroller."""
    app = live_server.app
    with app.app_context():
        estate = Estate(name=f"真話苑 {uuid.uuid4().hex[:6]}", timezone="Asia/Taipei")
        db.session.add(estate)
        db.session.flush()
        building = Building(estate_id=estate.id, name="1棟", sort_key=1, floors=5)
        db.session.add(building)
        db.session.flush()
        unit = Unit(
            estate_id=estate.id,
            building_id=building.id,
            entrance="1",
            floor=2,
            room="201",
            status="vacant",
        )
        db.session.add(unit)
        db.session.flush()
        code = ensure_codes(db.session, "unit", [unit])[unit.id].code
        today = utcnow().astimezone(ZoneInfo("Asia/Taipei")).date()
        template = add_round(
            estate,
            kind="vacant",
            name="空置房巡查",
            slots=[{"start": "00:00", "end": "00:00"}],
            anchor=today - timedelta(days=7),
        )
        add_patroller(estate, WALKER, WALKER_PASSWORD, "真話 測試")
        facts = {"round": template.id, "code": code}
        db.session.commit()
    return facts


FAIL_USER_READ = """() => {
  const get = IDBObjectStore.prototype.get;
  IDBObjectStore.prototype.get = function (...args) {
    if (this.name === 'meta' && args[0] === 'user') {
      throw new DOMException('the store did not answer', 'UnknownError');
    }
    return get.apply(this, args);
  };
}"""


def test_a_checklist_is_saved_when_the_phones_user_record_cannot_be_read(
    page, live_server, vacant_round
):
    """The phone's record of who is logged in does not answer (WebKit's stuck meta store): is
    the checklist still saved to the outbox — the user is optional there, the server knows it
    from the token — and sent?"""
    page.goto("/login")
    page.fill("input[name=username]", WALKER)
    page.fill("input[name=password]", WALKER_PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))
    until(page, READY, timeout_s=45)
    code = vacant_round["code"]
    page.goto(f"/app/rounds#r/{vacant_round['round']}/c/{code}")
    page.wait_for_selector("#rp-check .rp-form")
    page.route("**/api/sync/push", lambda route: route.abort())
    page.evaluate(FAIL_USER_READ)
    page.click("#rp-check .reason-tile[data-value='camera_unavailable']")  # opened by its address
    page.click("#rp-check .rp-opt[data-value='nobody_home']")
    page.click("#rp-check .rp-save")
    page.wait_for_function("() => !location.hash.includes('/c/')")
    entries = [e for e in page.evaluate(OWN, code) if e["type"] == "check.record"]
    assert [(e["where"], e["state"]) for e in entries] == [("outbox", "pending")]
    page.unroute("**/api/sync/push")
    page.reload()  # the store answers again
    until(page, READY, timeout_s=45)
    page.evaluate(SYNC)
    with live_server.app.app_context():
        assert db.session.scalar(sa.select(Check).where(Check.op_id == entries[0]["op_id"]))


# ---------------------------------------------------------------- the header badge


def test_the_badge_resolves_while_another_tab_holds_the_sync_lock(page, context, live_server):
    """Another tab holds the sync lock, so this page's sync makes no request for 20 s: does the
    header badge still leave 連線檢查中… for 在線 at once (WebKit showed it stuck)?"""
    log_in_and_pull(page)
    other = context.new_page()
    other.goto("/static/build/store.js")
    other.evaluate(HOLD_LOCK)
    page.goto("/app")
    page.wait_for_function(
        "() => document.getElementById('shell-network').dataset.reach === 'up'", timeout=8000
    )
    assert page.locator("#shell-network").inner_text() == "在線"
    other.evaluate("() => window.__release()")
    other.close()


CHIP_STATES = """async () => {
  const bar = document.querySelector('.topbar');
  const chip = document.getElementById('sync-chip');
  const main = chip.querySelector('[data-chip-main]');
  const sub = chip.querySelector('[data-chip-sub]');
  const heights = [];
  chip.hidden = false;
  for (const [m, s] of [['已全部同步', '03:56'], ['同步中…', '正在送出：12／100'],
                        ['同步中…', '正在接收項目：12345'], ['3 筆待同步', '連線中斷，稍後重試'],
                        ['已全部同步', '']]) {
    main.textContent = m;
    sub.textContent = s;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    heights.push([bar.offsetHeight, chip.offsetWidth]);  // the chip's width for the record
  }
  return heights;
}"""


def test_the_phone_header_keeps_its_height_whatever_the_sync_chip_says(page, live_server):
    """Does the header of a phone's item page stay the same height while the sync chip's words
    change (synced at 03:56, sending 12 of 100, receiving, waiting)? It grew a row while
    syncing, and the page moved under a tap: the tap landed beside the result it was meant
    for (WebKit's offline test caught it)."""
    unit = first_estate_units(live_server.app, 1)[0]
    _worker(page)
    log_in(page)
    until(page, READY, timeout_s=45)
    page.goto(f"/q/{unit['code']}")
    page.locator("#record .record-save").wait_for()
    heights = page.evaluate(CHIP_STATES)
    assert len({height for height, _chip in heights}) == 1, heights
