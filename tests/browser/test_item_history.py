"""The item's recent history on the phone with no network: pulled checks and findings (from any
phone of the estate) beside the phone's own entries, in real Chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser import support
from tests.browser.support import IDLE, OUTBOX
from tests.browser.support import until as _until
from tests.browser.test_phone_sync import (
    _log_in_and_pull,
    _offline,
    _online,
    _record_check,
    _units,
)
from tests.sync.conftest import check_op, finding_op, issue_device
from webapp.extensions import db
from webapp.models import User, utcnow
from webapp.models.sync import Finding
from webapp.review import workflow

pytestmark = pytest.mark.browser

ALL_SENT = "async () => (await (await import('/static/build/sync.js')).status()).pending === 0"

ROWS = """() => [...document.querySelectorAll('#phone-history .phone-entry')].map((li) => ({
  record: li.dataset.record, state: li.dataset.state, kind: li.dataset.kind,
  text: li.textContent,
  status: li.querySelector('.finding-status')?.dataset.status || null,
}))"""


def _push_as_other_device(app, ops) -> None:
    """Ops recorded on another phone of the estate (the supervisor's), through the real API."""
    device_id, token = issue_device(app, "supervisor", "desk phone")
    response = app.test_client().post(
        "/api/sync/push",
        json={"device_id": device_id, "ops": ops},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_json()
    assert [r["status"] for r in response.get_json()["results"]] == ["applied"] * len(ops)


def _rows(page) -> list[dict]:
    return page.evaluate(ROWS)


def test_offline_item_page_shows_pulled_history_beside_own_entries(page, context, live_server):
    """Offline, does the item page show another phone's check and finding (status as the
    server last said) beside this phone's own pending entry — newest first, never a check
    older than 30 days, no duplicate once synced, and the finding's move after the next pull?"""
    app = live_server.app
    (unit,) = _units(app, 1, skip=12)
    now = utcnow()
    theirs_check = check_op(
        unit["code"], at=now - timedelta(hours=2), result="issue", note="另一台手機：門鎖鬆動"
    )
    theirs_finding = finding_op(
        unit["code"], at=now - timedelta(hours=1), severity="high", note="另一台手機：走廊漏水"
    )
    too_old = check_op(unit["code"], at=now - timedelta(days=40), note="四十天前的檢查")
    _push_as_other_device(app, [theirs_check, theirs_finding, too_old])
    check_id = theirs_check["payload"]["id"]
    finding_id = theirs_finding["payload"]["id"]

    _log_in_and_pull(page)
    _offline(context)
    _until(page, IDLE)  # no pull can run from here on, so nothing prunes what comes next
    # A check that was recent when pulled and has aged out since (the server sends nothing
    # then): the store still holds it, the page must not show it.
    aged = page.evaluate(
        """async (code) => {
          const store = await import('/static/build/store.js');
          const at = new Date(Date.now() - 31 * 24 * 3600 * 1000).toISOString();
          const gen = await store.getMeta('gen');
          await store.applyPage([{type: 'check', id: 'aged-check', version: 1, deleted: false,
            data: {code, item_type: 'unit', item_id: 0, result: 'ok', note: '三十一天前',
                   occurred_at: at, photos: [], op_id: 'aged-op', by: '某人'}}], {}, gen);
          return (await store.recordsFor(code, null, Date.now() - 2 * 24 * 3600 * 1000))
            .some((r) => r.id === 'aged-check');
        }""",
        unit["code"],
    )
    assert aged  # it is in the store (seen from two days ago), so hiding it is what the page does

    page.goto(f"/q/{unit['code']}")
    page.locator("#item-view").wait_for(state="visible")
    page.wait_for_function(
        "() => document.querySelectorAll('#phone-history .phone-entry').length >= 2"
    )
    rows = _rows(page)
    by_record = {r["record"]: r for r in rows}
    assert by_record[check_id]["kind"] == "check" and "門鎖鬆動" in by_record[check_id]["text"]
    assert by_record[finding_id]["kind"] == "finding" and by_record[finding_id]["status"] == "open"
    assert "走廊漏水" in by_record[finding_id]["text"]
    with app.app_context():
        supervisor = db.session.scalar(db.select(User).where(User.username == "supervisor"))
        assert (supervisor.display_name or supervisor.username) in by_record[finding_id]["text"]
    assert too_old["payload"]["id"] not in by_record and "aged-check" not in by_record
    still_held = (
        "async () => (await import('/static/build/store.js')).objectOf('check', 'aged-check')"
    )
    assert page.evaluate(still_held) is not None  # held, yet hidden by the page
    assert not any("四十天前" in r["text"] or "三十一天前" in r["text"] for r in rows)

    # The phone's own check, with no network: pending, beside the pulled ones, newest first.
    _record_check(page, None, result="no_access", note="本機離線：住戶不在")
    page.locator("#phone-history .phone-entry.is-pending").wait_for()
    (own,) = page.evaluate(OUTBOX)
    own_id = own["payload"]["id"]
    rows = _rows(page)
    order = [r["record"] for r in rows]
    assert order.index(own_id) < order.index(finding_id) < order.index(check_id)
    assert next(r for r in rows if r["record"] == own_id)["state"] == "pending"
    shots = support.screenshot_dir()
    if shots:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(shots / "phone-item-history-390x844.png"), full_page=True)

    # Meanwhile the desk dispatches the finding.
    with app.app_context():
        boss = db.session.scalar(db.select(User).where(User.username == "supervisor"))
        finding = db.session.get(Finding, finding_id)
        workflow.move(db.session, boss, finding, "dispatched", department="engineering")
        db.session.commit()

    # Network back: the own entry syncs and comes back in the pull — one row, not two; the
    # finding shows its new status once pulled.
    _online(context)
    page.evaluate("async () => (await import('/static/build/sync.js')).sync()")
    _until(page, ALL_SENT)
    page.wait_for_function(
        """(id) => document.querySelector(
             `#phone-history .phone-entry[data-record="${id}"] .finding-status`
           )?.dataset.status === 'dispatched'""",
        arg=finding_id,
    )
    page.wait_for_function(
        """(id) => {
          const sel = `#phone-history .phone-entry[data-record="${id}"]`;
          const rows = document.querySelectorAll(sel);
          return rows.length === 1 && rows[0].dataset.state !== 'pending';
        }""",
        arg=own_id,
    )
    stored = page.evaluate(
        """async (code) => {
          const store = await import('/static/build/store.js');
          return {ids: (await store.recordsFor(code)).map((r) => r.id),
                  aged: await store.objectOf('check', 'aged-check')};
        }""",
        unit["code"],
    )
    assert own_id in stored["ids"]  # the pulled copy is there: the single row is deduplication
    assert stored["aged"] is None  # a check past the window is dropped after a pull

    # Offline again, a fresh page: the same, from the store alone.
    _offline(context)
    page.reload()
    page.locator("#item-view").wait_for(state="visible")
    page.wait_for_function(
        "(n) => document.querySelectorAll('#phone-history .phone-entry').length >= n", arg=3
    )
    rows = _rows(page)
    assert [r["record"] for r in rows].count(own_id) == 1
    assert {r["record"]: r for r in rows}[finding_id]["status"] == "dispatched"
    assert "工程" in {r["record"]: r for r in rows}[finding_id]["text"]
    assert "aged-check" not in [r["record"] for r in rows]
    _online(context)


def test_a_version_1_store_is_upgraded_with_its_records_found_by_item(page):
    """Does a phone's store from before the history (version 1, checks and findings already
    pulled, an entry waiting) open as version 2 with those records found by item, and the
    waiting entry kept?"""
    page.goto("/static/build/store.js")  # same origin, none of the app's scripts running
    answer = page.evaluate(
        """async () => {
          const at = new Date(Date.now() - 3600e3).toISOString();
          await new Promise((resolve, reject) => {
            const request = indexedDB.open('rounds', 1);
            request.onupgradeneeded = () => {
              const db = request.result;
              const objects = db.createObjectStore('objects', {keyPath: 'key'});
              for (const name of ['code', 'short_code', 'type', 'estate_id', 'gen']) {
                objects.createIndex(name, name);
              }
              const outbox = db.createObjectStore('outbox', {keyPath: 'op_id'});
              outbox.createIndex('code', 'code');
              outbox.createIndex('created_at', 'created_at');
              db.createObjectStore('photos', {keyPath: 'sha256'});
              const journal = db.createObjectStore('journal', {keyPath: 'op_id'});
              journal.createIndex('code', 'code');
              journal.createIndex('synced_at', 'synced_at');
              db.createObjectStore('meta');
              objects.put({key: 'check:c1', type: 'check', id: 'c1', version: 1, gen: 1,
                estate_id: 1, data: {code: 'OLDLABEL', item_type: 'unit', item_id: 5,
                result: 'ok', occurred_at: at, op_id: 'op-c1'}});
              objects.put({key: 'finding:f1', type: 'finding', id: 'f1', version: 2, gen: 1,
                estate_id: 1, data: {code: 'NEWLABEL', item_type: 'unit', item_id: 5,
                status: 'dispatched', occurred_at: at, op_id: 'op-f1'}});
              outbox.put({op_id: 'waiting', code: 'NEWLABEL', created_at: 1, state: 'pending',
                type: 'check.record', payload: {id: 'w1', photos: []}});
            };
            request.onsuccess = () => { request.result.close(); resolve(); };
            request.onerror = () => reject(request.error);
          });
          const store = await import('/static/build/store.js');
          const byKey = await store.recordsFor('NEWLABEL', 'unit:5');
          const byCode = await store.recordsFor('OLDLABEL');
          const version = await store.withDB(async (db) => db.version);
          return {version, byKey: byKey.map((r) => r.id), byCode: byCode.map((r) => r.id),
                  outbox: (await store.outboxEntries()).map((e) => e.op_id)};
        }"""
    )
    assert answer["version"] >= 2
    assert sorted(answer["byKey"]) == ["c1", "f1"]  # the old label's check found by the item
    assert answer["byCode"] == ["c1"]
    assert answer["outbox"] == ["waiting"]
