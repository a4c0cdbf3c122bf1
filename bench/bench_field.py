"""Field rows (issue 15), measured in headless Chromium against a live server on 127.0.0.1.

- an item page on a signal that answers nothing: every request accepted and never answered
  (Playwright routes that never fulfil, the service worker's own fetches included); the time
  from the navigation's start to the item shown from the phone's store, median of a few
  opens. Baseline: the same with the network cut outright (every request refused at once);
- the same signal, once the patrol page knows the server is not answering (its badge says
  so): a code typed or scanned there shows its item in place — from openItem() to the item
  shown, median of a few.
"""

from __future__ import annotations

import statistics

from bench._live import install_and_sign_in, live_app, wait
from bench.common import Row
from tests.browser.support import READY
from webapp.demo import DemoOptions

OPENS = 5


def _open_item(page, url: str, code: str) -> float:
    page.goto(url + f"/q/{code}", wait_until="commit", timeout=30_000)
    page.wait_for_function("() => document.documentElement.dataset.itemShownNavMs", timeout=30_000)
    return float(page.evaluate("document.documentElement.dataset.itemShownNavMs"))


def _stalled_rows(browser, url: str, code: str) -> list[Row]:
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    install_and_sign_in(page, url)
    wait(page, READY)
    page.goto(url + "/app")

    held: list = []
    ctx.route("**/*", lambda route: held.append(route))  # accepted, never answered
    stalled = [_open_item(page, url, code) for _ in range(OPENS)]
    in_place = []
    for _ in range(OPENS):
        page.goto(url + "/app", wait_until="commit", timeout=30_000)
        page.locator("#shell-network[data-reach=stalled]").wait_for(timeout=30_000)
        page.evaluate(
            "async (code) => (await import('/static/build/shell.js')).openItem(code, 'typed')",
            code,
        )
        page.wait_for_function("() => document.documentElement.dataset.itemShownMs", timeout=30_000)
        in_place.append(float(page.evaluate("document.documentElement.dataset.itemShownMs")))
    ctx.unroute("**/*")
    ctx.route("**/*", lambda route: route.abort())  # cut outright
    cut = [_open_item(page, url, code) for _ in range(OPENS)]
    ctx.close()
    ms, cut_ms = statistics.median(stalled), statistics.median(cut)
    place_ms = statistics.median(in_place)
    return [
        Row(
            f"item shown on a stalled network (requests hang; from the tap), median of {OPENS}",
            ms,
            "ms",
            "the network cut outright",
            cut_ms,
            target="<= 1000 ms",
            met=ms <= 1000,
        ),
        Row(
            f"  the same, the page knowing the server does not answer: code -> item in place, "
            f"median of {OPENS}",
            place_ms,
            "ms",
            "item shown on a stalled network (the row above)",
            ms,
            target="<= 1000 ms",
            met=place_ms <= 1000,
        ),
    ]


def rows() -> list[Row]:
    demo = DemoOptions(estates=1, units_per_estate=200, days=1)
    with live_app("bench_field", demo) as live:
        if live is None:
            return []
        return _stalled_rows(live.browser, live.url, live.code)
