"""Phone-sync rows, measured in headless Chromium against a live server on 127.0.0.1.

- a full first pull of a 2,000-unit estate (units, keys, signs, buildings) into the phone's
  IndexedDB store, through /api/sync/pull pages of 1,000, median of a few runs;
- time from a decoded code (the fake camera showing a printed label, no network at all) to
  the item shown from the store by the offline shell, with 10,000 items in the store.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.common import Row, bench_app
from tests.browser import support
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db
from webapp.models import LabelCode, Unit

UNITS = 2000
PULLS = 3
SCANS = 5
STORE_ITEMS = 10_000

STATUS = "async () => (await import('/static/build/sync.js')).status()"
READY = """async () => {
  const s = await (await import('/static/build/sync.js')).status();
  return s.hasToken && s.items > 0 && !s.firstPull && !s.syncing;
}"""
FULL_PULL = """async () => {
  const store = await import('/static/build/store.js');
  const sync = await import('/static/build/sync.js');
  await store.clearReference();
  await store.setMetas({cursor: undefined, snapshotting: undefined});
  const t0 = performance.now();
  const result = await sync.sync();
  const ms = performance.now() - t0;
  return {ms, result, items: (await store.itemSource.stats()).items};
}"""
# Synthetic items of another estate, so the store holds STORE_ITEMS unit/key/sign rows.
FILL = """async (n) => {
  const store = await import('/static/build/store.js');
  const gen = await store.getMeta('gen');
  const A = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const code = (i, len) => { let s = ''; let x = i * 7919 + 104729;
    for (let k = 0; k < len; k++) { s += A[x % 32]; x = Math.floor(x / 32) + k * 31 + i; }
    return s; };
  for (let start = 0; start < n; start += 1000) {
    const page = [];
    for (let i = start; i < Math.min(n, start + 1000); i++) {
      page.push({type: 'unit', id: String(900000 + i), version: 1, deleted: false,
        data: {estate_id: 99, code: 'Y' + code(i, 25), short_code: 'Y' + code(i, 6),
               label: `9棟-1單元-${i}室`, status: 'occupied', floor: 1, room: i}});
    }
    await store.applyPage(page, {}, gen);
  }
  return (await store.itemSource.stats()).items;
}"""


def _wait(page, script: str, timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if value:
            return value
        page.wait_for_timeout(100)
    raise TimeoutError(script)


def _log_in(page, url: str) -> None:
    page.goto(url + "/app")
    page.goto(url + "/login")
    page.fill("input[name=username]", "patrol")
    page.fill("input[name=password]", "patrol-demo")
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(lambda u: not u.endswith("/login"))
    _wait(page, READY)


def _pull_rows(browser, url: str) -> list[Row]:
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    _log_in(page, url)
    runs = [page.evaluate(FULL_PULL) for _ in range(PULLS)]
    ctx.close()
    ms = statistics.median(r["ms"] for r in runs)
    items = runs[-1]["items"]
    return [
        Row(
            f"full first pull of a {UNITS:,}-unit estate into IndexedDB ({items:,} items), "
            f"median of {PULLS}",
            ms,
            "ms",
            target="< 10000 ms",
            met=ms < 10_000,
        ),
        Row("  the same, per item", ms * 1000 / max(items, 1), "µs"),
    ]


def _scan_rows(browser, url: str, code: str) -> list[Row]:
    ctx = browser.new_context(permissions=["camera"], viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    _log_in(page, url)
    held = page.evaluate(STATUS)["items"]
    total = page.evaluate(FILL, max(0, STORE_ITEMS - held))
    page.goto(url + "/app")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60_000)
    ctx.set_offline(True)
    ctx.route("**/*", lambda route: route.abort())
    times = []
    for _ in range(SCANS):
        page.goto(url + "/scan")
        page.wait_for_url(f"**/q/{code}", timeout=30_000)
        page.wait_for_function("() => document.documentElement.dataset.itemShownMs", timeout=30_000)
        times.append(float(page.evaluate("document.documentElement.dataset.itemShownMs")))
    ctx.close()
    ms = statistics.median(times)
    return [
        Row(
            f"decoded code -> item shown offline from the store ({total:,} items), "
            f"median of {SCANS}",
            ms,
            "ms",
            target="< 1000 ms",
            met=ms < 1000,
        )
    ]


def rows() -> list[Row]:
    executable = support.chromium_path()
    if executable is None:
        print(f"  bench_phone: skipped — {support.INSTALL_HINT}", file=sys.stderr)
        return []
    from playwright.sync_api import sync_playwright

    out: list[Row] = []
    with bench_app(RATELIMIT_ENABLED=False) as app:
        build_demo(db.session, DemoOptions(estates=1, units_per_estate=UNITS, days=1))
        db.session.commit()
        server = support.LiveServer(app).start()
        try:
            unit = db.session.scalars(sa.select(Unit).order_by(Unit.id)).first()
            code = db.session.scalar(
                sa.select(LabelCode).where(
                    LabelCode.item_type == "unit", LabelCode.item_id == unit.id, LabelCode.active
                )
            )
            label = support.label_png(code, server.url)
            long_code = code.code
            db.session.commit()
            video = support.write_y4m(label, Path(tempfile.mkdtemp()) / "label.y4m")
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=executable,
                    args=support.CHROMIUM_FLAGS + support.fake_camera_flags(video),
                )
                try:
                    out += _pull_rows(browser, server.url)
                    out += _scan_rows(browser, server.url, long_code)
                finally:
                    browser.close()
        finally:
            server.stop()
    return out
