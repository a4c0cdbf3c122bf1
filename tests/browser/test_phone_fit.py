"""The patrol screens on a narrow phone held in one hand: 360 and 320 px wide, in both
languages — the words in sight, nothing wider than the screen, every tap a thumb's."""

from __future__ import annotations

import pytest

from tests.browser import support
from tests.browser.conftest import log_in_and_pull
from tests.browser.test_phone_truth import CHIP_STATES

pytestmark = pytest.mark.browser

WIDTHS = (360, 320)
LANGUAGES = {"zh": "zh-TW", "en": "en-US"}

# The header's controls as a thumb meets them, and the sync chip's words: cut short when the
# box is narrower than its text.
HEADER = """() => {
  const bar = document.querySelector('.topbar');
  const main = document.querySelector('#sync-chip [data-chip-main]');
  const controls = [...bar.querySelectorAll('a, button')].filter((e) => e.checkVisibility());
  return {
    chip: main && main.checkVisibility()
      ? [main.textContent, main.scrollWidth, main.clientWidth] : null,
    small: controls.map((e) => [e.textContent.trim() || e.getAttribute('aria-label'),
                                Math.round(e.getBoundingClientRect().width),
                                Math.round(e.getBoundingClientRect().height)])
                   .filter(([, w, h]) => w < 44 || h < 44),
    wide: [document.documentElement.scrollWidth, innerWidth],
  };
}"""


@pytest.fixture(params=list(LANGUAGES))
def narrow_page(request, browser, live_server):
    """A phone page in one language (the reader has chosen none: the phone's says)."""
    ctx = browser.new_context(
        base_url=live_server.url, **{**support.PHONE, "locale": LANGUAGES[request.param]}
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.problems = problems = support.watch(page)
    yield page
    ctx.close()
    assert problems == [], problems


def test_the_header_says_the_sync_state_in_words_with_thumb_sized_controls(narrow_page):
    """On a patroller's server pages (home, alerts) at 360 and 320 px: are the sync chip's
    words in sight — they were cut to 「已全…」 at 360 and to nothing at 320, beside the brand,
    language, bell and log-out — is every header control at least 44 px, and does the header
    keep its height whatever the chip says?"""
    page = narrow_page
    log_in_and_pull(page)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 740})
        for path in ("/", "/alerts"):
            page.goto(path)
            page.locator("#sync-chip").wait_for()
            page.wait_for_function(
                "() => document.querySelector('#sync-chip [data-chip-main]').textContent"
            )
            seen = page.evaluate(HEADER)
            text, needed, shown = seen["chip"]
            assert needed <= shown, (width, path, text, needed, shown)
            assert seen["small"] == [], (width, path)
            assert seen["wide"][0] <= seen["wide"][1], (width, path)
        heights = page.evaluate(CHIP_STATES)
        assert len({height for height, _chip in heights}) == 1, (width, heights)
