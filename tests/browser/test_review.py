"""The supervisor's dashboard in real Chromium: today's round windows load into their own card."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_todays_windows_load_into_their_card_and_the_dashboard_stays(desk_page, live_server):
    """Does the coverage card fill itself in place (not replace the dashboard it sits in), and
    does a 30 s poll of the dashboard bring the card back filled?"""
    page = desk_page
    log_in(page, "supervisor")
    page.goto("/")
    windows = page.locator("#review-dashboard .cov-today .cov-window")
    windows.first.wait_for()
    assert windows.count() >= 2  # the signage check's morning and afternoon at least
    assert page.locator("#review-dashboard").count() == 1
    cards = page.locator("#review-dashboard .dash-card").count()
    assert cards > 4
    # The dashboard's own poll, now rather than in 30 s: the card reloads inside it again.
    page.evaluate(
        "() => htmx.ajax('GET', document.querySelector('#review-dashboard').getAttribute('hx-get'),"
        " {target: '#review-dashboard', swap: 'outerHTML'})"
    )
    page.locator("#review-dashboard .cov-today .cov-window").first.wait_for()
    assert page.locator("#review-dashboard .dash-card").count() == cards
    assert page.locator("#review-dashboard").count() == 1
