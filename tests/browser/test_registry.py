"""The desktop registry in real Chromium: search as you type, inline edit with errors, status."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser import support
from tests.browser.conftest import log_in
from webapp.extensions import db
from webapp.models import AuditEvent, Building, Estate, Unit

pytestmark = pytest.mark.browser


def _estate_and_unit(app):
    with app.app_context():
        estate = db.session.scalar(sa.select(Estate).order_by(Estate.id))
        unit = db.session.scalar(
            sa.select(Unit)
            .join(Building)
            .where(Unit.estate_id == estate.id, Building.name == "1棟", Unit.floor >= 3)
            # Not under renovation: that status comes from permits (the menu opens one).
            .where(Unit.status.in_(("occupied", "vacant")))
            .order_by(Unit.id)
        )
        return estate.id, unit.id, unit.status


def test_search_edit_and_status_in_the_browser(desk_page, live_server):
    """Does typing filter the list, does a bad inline edit show its errors in place (422 swapped
    under the CSP), does a good one save, does the status menu save and audit at once, and does
    choosing 裝修中 open a permit for the unit?"""
    page = desk_page
    estate_id, unit_id, status = _estate_and_unit(live_server.app)
    log_in(page, "supervisor")
    page.goto(f"/registry/estates/{estate_id}/units")
    results = page.locator("#unit-results")
    everything = int(results.get_attribute("data-total"))
    page.locator("#unit-q").press_sequentially("1棟 3樓", delay=40)
    page.wait_for_function(
        "n => document.querySelector('#unit-results').dataset.total != n", arg=str(everything)
    )
    assert int(page.locator("#unit-results").get_attribute("data-total")) < everything
    assert "q=" in page.url, "the search is in the address bar, so it can be shared and reloaded"

    row = page.locator(f"#unit-{unit_id}")
    row.locator("a.btn", has_text="編輯").click()
    editing = page.locator(f"tr#unit-{unit_id}.is-editing")
    editing.wait_for()
    editing.locator("input[name=room]").fill("")
    editing.locator(".reg-edit-form button[type=submit]").click()
    page.locator(f"#unit-{unit_id}-room-error").wait_for()
    assert "必填" in page.locator(f"#unit-{unit_id}-room-error").inner_text()
    if shots := support.screenshot_dir():
        page.screenshot(path=str(shots / "registry-inline-edit-error-1440x900.png"))

    editing.locator("input[name=room]").fill("399")
    editing.locator(".reg-edit-form button[type=submit]").click()
    page.locator(f"tr#unit-{unit_id}:not(.is-editing)").wait_for()
    assert "-399室" in page.locator(f"#unit-{unit_id}").inner_text()

    new_status = "vacant" if status != "vacant" else "occupied"
    page.locator(f"#unit-{unit_id} select[name=status]").select_option(new_status)
    page.locator(f"#unit-{unit_id} form.status-{new_status}").wait_for()
    with live_server.app.app_context():
        assert db.session.get(Unit, unit_id).status == new_status
        events = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.object_type == "unit", AuditEvent.object_id == str(unit_id)
            )
        ).all()
        assert {e.action for e in events} == {"unit.update", "unit.status"}
    # 裝修中 is not set by hand: choosing it opens a new permit for the unit.
    page.locator(f"#unit-{unit_id} select[name=status]").select_option("renovating")
    page.wait_for_url(f"**/permits/new?unit={unit_id}")


def test_a_row_swapped_in_is_live_the_moment_it_is_shown(desk_page, live_server):
    """A row htmx swaps in answers a change at once: its hx- attributes are read in the swap
    itself, not a settle delay later (htmx's default 20 ms, during which a quick choice in the
    new row's menu was lost and the test above waited forever for the permit's form)."""
    page = desk_page
    estate_id, unit_id, status = _estate_and_unit(live_server.app)
    log_in(page, "supervisor")
    page.goto(f"/registry/estates/{estate_id}/units")
    # Record, in the microtask after the row is inserted, whether htmx had processed it yet
    # (it marks new content htmx-added until it has).
    page.evaluate(
        """() => {
        window.__added = [];
        new MutationObserver((changes) => {
          for (const change of changes)
            for (const node of change.addedNodes)
              if (node.nodeType === 1 && node.matches('tr[id^="unit-"]'))
                window.__added.push(node.className);
        }).observe(document.querySelector('#unit-results'), {childList: true, subtree: true});
    }"""
    )
    new_status = "vacant" if status != "vacant" else "occupied"
    page.locator(f"#unit-{unit_id} select[name=status]").select_option(new_status)
    page.locator(f"#unit-{unit_id} form.status-{new_status}").wait_for()
    added = page.evaluate("window.__added")
    assert added, "the row was swapped in"
    assert not any("htmx-added" in c for c in added), added
