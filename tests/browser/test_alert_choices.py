"""The alert choices (/account/alerts) as a phone draws them at 390 x 844: a preference table
that reads from the left, each choice a thumb's tap (saved when ROUNDS_SCREENSHOTS is set)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser import support
from tests.browser.conftest import log_in
from webapp.extensions import db
from webapp.models import User

pytestmark = pytest.mark.browser

# Each checkbox: its left edge and where its row starts reading (a table cell: its column's
# heading text; a choice with words: the field it is in), the tap target around it (its
# label), and where its words start (right of the box, on its line).
MEASURE = """() => [...document.querySelectorAll(
    '.alert-choices input[type=checkbox]')].map((box) => {
  const b = box.getBoundingClientRect();
  const label = box.closest('label');
  const cell = box.closest('td');
  let row;
  if (cell) {
    const head = cell.closest('table').tHead.rows[0].cells[cell.cellIndex];
    row = head.getBoundingClientRect().left + parseFloat(getComputedStyle(head).paddingLeft);
  } else {
    row = box.closest('.field').getBoundingClientRect().left;
  }
  const words = [...(label ? label.childNodes : [])].find(
    (n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
  let text = null;
  if (words) {
    const range = document.createRange();
    range.selectNodeContents(words);
    const r = range.getClientRects()[0];
    text = {left: r.left, top: r.top};
  }
  const t = label ? label.getBoundingClientRect() : b;
  return {name: box.name, left: b.left, right: b.right, bottom: b.bottom, row,
          target: [t.width, t.height], text};
})"""


def test_the_choices_read_from_the_left_with_big_tap_targets(page, live_server):
    """The supervisor's choices at phone width, in both languages: is the page no wider than
    the phone and every channel in sight; does each box start where its row or column reads
    from (it sat centred in its cell, and a choice with words had its box centred over them),
    with its words beside it on its line; and is each a 44 px target?"""
    with live_server.app.app_context():
        supervisor = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        chosen = supervisor.locale
    try:
        _measure(page)
    finally:  # the language is the person's (saved): the next test's supervisor reads Chinese
        with live_server.app.app_context():
            db.session.get(User, supervisor.id).locale = chosen
            db.session.commit()


def _measure(page) -> None:
    log_in(page, "supervisor")
    page.goto("/account/alerts")
    target = support.screenshot_dir()
    for language in ("zh-Hant", "en"):
        if language == "en":
            page.click(".langswitch button[value=en]")
            page.wait_for_selector("html[lang=en]")
        page.wait_for_load_state("load")
        width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        if target is not None:
            shot = target / f"chromium-alert-choices-{language}.png"
            page.screenshot(path=str(shot), full_page=True)
        assert width[0] <= width[1], (language, width)
        table = page.evaluate(
            "(t => [t.scrollWidth, t.clientWidth])(document.querySelector('.table-scroll'))"
        )
        assert table[0] <= table[1], (language, "a channel is scrolled out of sight", table)
        boxes = page.evaluate(MEASURE)
        assert len(boxes) >= 12 * 3 + 3  # kinds × channels, the quiet hours' and the digests'
        for box in boxes:
            assert abs(box["left"] - box["row"]) <= 1, (language, box)
            assert box["target"][0] >= 44 and box["target"][1] >= 44, (language, box)
            if box["text"] is not None:
                beside = box["text"]["left"] > box["right"] and box["text"]["top"] < box["bottom"]
                assert beside, (language, box)
        worded = [box["name"] for box in boxes if box["text"] is not None]
        assert worded == ["urgent_through_quiet", "digest_daily", "digest_weekly"]
