"""Finding an item by its address on the phone (the damaged-label path, issue 15 defect 7),
in headless Chromium with 10,000 items in the phone's store: the one read of the items into
memory (on the field's first focus), then each keystroke's search."""

from __future__ import annotations

import statistics

from bench._live import live_app, wait
from bench.bench_phone import FILL, STATUS, STORE_ITEMS, _log_in
from bench.common import Row
from webapp.demo import DemoOptions

QUERIES = ["1", "10", "102", "9棟", "9棟 1單元", "9棟 55", "5555", "電梯廳", "不存在", "Y1"]
ROUNDS = 5
SEARCH = """async (queries) => {
  const items = await import('/static/build/items.js');
  const t0 = performance.now();
  await items.warm();
  const load = performance.now() - t0;
  const times = [];
  let found = 0;
  for (const q of queries) {
    const t = performance.now();
    found += (await items.suggest(q)).length;
    times.push(performance.now() - t);
  }
  return {load, times, found};
}"""


def rows() -> list[Row]:
    demo = DemoOptions(estates=1, units_per_estate=200, days=1)
    with live_app("bench_finder", demo) as live:
        if live is None:
            return []
        ctx = live.browser.new_context(viewport={"width": 390, "height": 844})
        page = ctx.new_page()
        _log_in(page, live.url)
        n = max(0, STORE_ITEMS - page.evaluate(STATUS)["items"])
        total = page.evaluate(FILL, {"n": n, "records": 0, "spread": n, "code": live.code})
        loads, times = [], []
        for _ in range(ROUNDS):
            page.goto(live.url + "/app")  # a fresh page: nothing in memory yet
            wait(page, "async () => (await import('/static/build/items.js')).hasItemSource()")
            result = page.evaluate(SEARCH, QUERIES)
            loads.append(result["load"])
            times.extend(result["times"])
        ctx.close()
    load = statistics.median(loads)
    each = statistics.median(times)
    return [
        Row(
            f"address search: the store's items read into memory ({total:,} items), "
            f"once per page, median of {ROUNDS}",
            load,
            "ms",
            target="< 1000 ms",
            met=load < 1000,
        ),
        Row(
            f"  then one keystroke's search ({len(QUERIES)} queries x {ROUNDS}), median",
            each,
            "ms",
            target="< 50 ms",
            met=each < 50,
        ),
        # Shown, not judged: on a shared 2-core host one keystroke in 50 meets a GC or a neighbour.
        Row("  the slowest keystroke", max(times), "ms"),
    ]
