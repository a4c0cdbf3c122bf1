"""The organisation in real Chromium at a desk's size, in zh-TW: the organisation admin adds an
estate and appoints its supervisor; a regional supervisor sees the estates side by side on
the dashboard and opens one. ROUNDS_SCREENSHOTS=<dir> keeps the screenshots to look at."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser import support
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _shot(page, name: str, tmp_path) -> None:
    folder = support.screenshot_dir() or tmp_path
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_the_organisation_admin_adds_an_estate_and_appoints_its_supervisor(desk_page, tmp_path):
    page = desk_page
    name = f"新竹園區 {uuid.uuid4().hex[:4]}"
    username = f"hsinchu-{uuid.uuid4().hex[:4]}"
    log_in(page, "hq")
    page.goto("/admin/estates")
    page.click("#estate-new summary")
    page.fill("#estate-new-name", name)
    page.fill("#estate-new-timezone", "Asia/Taipei")
    page.click("#estate-new button[type=submit]")
    page.wait_for_url("**/admin/estates")
    row = page.locator("tr", has_text=name)
    row.wait_for()
    assert "—" in row.inner_text()  # nobody runs it yet
    _shot(page, "org-estates", tmp_path)

    row.get_by_role("link", name="新增人員").click()
    form = page.locator("#user-new")
    assert form.get_attribute("open") is not None
    assert form.get_by_label(name).is_checked()  # the estate it was opened from
    page.fill("#user-new-username", username)
    page.fill("#user-new-display_name", "新竹主管")
    page.select_option("#user-new-role", "supervisor")
    page.fill("#user-new-password", "hsinchu-password")
    _shot(page, "org-appoint", tmp_path)
    page.click("#user-new button[type=submit]")
    page.wait_for_url("**/admin/users")
    assert page.locator("tr", has_text=username).filter(has_text=name).count() == 1

    page.goto("/admin/estates")
    assert "新竹主管" in page.locator("tr", has_text=name).inner_text()

    # The new supervisor sees the new estate, and it alone.
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "hsinchu-password")
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))
    summary = page.locator(".estate-grid").inner_text()
    assert name in summary and "翠湖花園" not in summary


def test_a_regional_supervisor_sees_both_estates_and_opens_one(desk_page, tmp_path):
    page = desk_page
    log_in(page, "regional")
    page.goto("/")
    table = page.locator(".estate-table")
    table.wait_for()
    lines = table.locator("tbody tr")
    assert lines.count() == 2
    assert "翠湖花園" in lines.nth(0).inner_text() and "港灣豪庭" in lines.nth(1).inner_text()
    # The coverage column fills from the coverage request (out of band): a percentage or "—".
    for n in range(2):
        cell = lines.nth(n).locator("td").first
        support.until(
            page,
            "(n) => !document.querySelectorAll('.estate-table tbody tr')[n]"
            ".querySelector('td').textContent.includes('…')",
            arg=n,
        )
        assert re.fullmatch(r"\d+%|—", cell.inner_text().strip()), cell.inner_text()
    _shot(page, "regional-dashboard", tmp_path)

    lines.nth(1).get_by_role("link", name="港灣豪庭").click()
    page.wait_for_url(re.compile(r"/\?estate=\d+"))
    assert page.locator(".estate-table").count() == 0
    current = page.locator(".estate-tabs a[aria-current=page]")
    assert current.inner_text().strip() == "港灣豪庭"
    page.locator("#review-dashboard .cov-today .cov-window").first.wait_for()
    _shot(page, "regional-one-estate", tmp_path)
