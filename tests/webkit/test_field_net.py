"""Issue 15 in Safari's engine: no console noise from the CSP or the worker, and a header
that says the server is not answering when it is down."""

from __future__ import annotations

import pytest

from tests.webkit.test_offline_core import CONTROLLED, log_in

pytestmark = pytest.mark.webkit

REACH_IS = "return document.getElementById('shell-network')?.dataset.reach === arguments[0];"


def test_no_csp_warning_nor_worker_rejection_while_the_server_is_down(phone, relay):
    """WebKit logged `Unrecognized Content-Security-Policy directive 'manifest-src'` on every
    page and an unhandled rejection from the worker for each /api call with the server down.
    Neither now; and with the server down the header says 離線, never 在線."""
    log_in(phone)
    phone.goto("/app")
    assert phone.js(CONTROLLED)
    phone.until(REACH_IS, "up", what="the server answers")
    relay.cut()
    for path in ("/app", "/app/rounds", "/app"):
        phone.goto(path)  # from the precache; each page's sync asks /api and fails
        phone.until(
            REACH_IS,
            "down",
            timeout=30,
            what=f"{path}: the header says the server does not answer",
        )
        assert phone.find("#shell-network").text == "離線"
    relay.restore()
    lines = phone.console_lines()
    assert [line for line in lines if "Unrecognized Content-Security-Policy" in line] == []
    assert [line for line in lines if "Unhandled Promise Rejection" in line] == []
