"""Accessibility of the patrol pages at a phone's size (what Lighthouse failed: `bench a11y`)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

PATROL_PAGES = ["/app", "/scan", "/app/rounds", "/app/keys"]

# WCAG's contrast ratio of an element's text colour against the first opaque background up
# its ancestors.
CONTRAST = """el => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) { bg = c.slice(0, 3); break; }
    node = node.parentElement;
  }
  bg = bg || [255, 255, 255];
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


@pytest.mark.parametrize("path", PATROL_PAGES)
def test_patrol_pages_name_their_brand_link_and_keep_muted_text_readable(page, live_server, path):
    """At 390 px, does the brand link (its name hidden from sight) keep an accessible name, do
    the pages say their language, and is every visible muted text at least 4.5:1?"""
    # The package's fake camera shows a label: /scan would read it and leave for the item.
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => "
        "Promise.reject(new DOMException('no camera here', 'NotAllowedError'))"
    )
    log_in(page, "patrol")
    # The worker first: its taking control may reload a page while it is read.
    page.goto("/app")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=45_000)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    brand = page.locator("a.brand")
    assert brand.is_visible()
    expect(brand).to_have_accessible_name("巡查")
    assert page.evaluate("document.documentElement.lang").startswith("zh")
    assert page.locator("main").count() == 1
    # In one pass: the pages redraw from the store while they are read.
    ratios = page.eval_on_selector_all(
        ".muted",
        f"els => els.filter(e => e.checkVisibility() && e.textContent.trim())"
        f".map(e => [e.textContent.trim(), ({CONTRAST})(e)])",
    )
    low = [(text, ratio) for text, ratio in ratios if ratio < 4.5]
    assert low == [], (path, low)
