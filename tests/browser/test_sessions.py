"""Sessions on a real phone browser: signed in across a restart; a token ended on the server
(password changed elsewhere, the user deactivated) loses nothing recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.browser import support
from tests.browser.support import OUTBOX, READY
from tests.browser.support import until as _until
from tests.browser.test_phone_sync import (
    STATUS,
    _launch,
    _offline,
    _online,
    _record_check,
    _units,
)
from tests.conftest import AuthActions
from webapp.extensions import db
from webapp.models import Estate, User
from webapp.models.sync import Check

pytestmark = pytest.mark.browser

DRAINED = (
    "async () => { const s = await (await import('/static/build/sync.js')).status();"
    " return s.pending === 0 && !s.authNeeded; }"
)


def _patroller(app, username: str, password: str) -> None:
    """A patroller of the first estate of our own (the live server is shared by the package)."""
    with app.app_context():
        if db.session.scalar(sa.select(User).where(User.username == username)):
            return
        estate = db.session.scalars(sa.select(Estate).order_by(Estate.id)).first()
        user = User(username=username, display_name="測試巡查員", role="patroller")
        user.set_password(password)
        user.estates.append(estate)
        db.session.add(user)
        db.session.commit()


def _log_in(page, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=password]) button[type=submit]")


def _set_up_phone(page, username: str, password: str) -> None:
    page.goto("/app")
    support_wait_for_worker(page)
    _log_in(page, username, password)
    page.wait_for_url(lambda url: "/login" not in url)
    _until(page, READY)


def support_wait_for_worker(page) -> None:
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=45_000,
    )


def test_a_browser_restart_keeps_the_patroller_signed_in(browser, live_server, tmp_path):
    """After the browser is closed and opened again, does an online scan open the item
    (not the login page)?"""
    app = live_server.app
    _patroller(app, "restart-patrol", "restart-patrol-pass")
    unit = _units(app, 1, skip=3)[0]
    profile = tmp_path / "profile"
    ctx = _launch(browser, live_server, profile)
    page = ctx.new_page()
    problems = support.watch(page)
    _set_up_phone(page, "restart-patrol", "restart-patrol-pass")
    ctx.close()

    ctx = _launch(browser, live_server, profile)
    page = ctx.new_page()
    problems += support.watch(page)
    cookie = next(c for c in ctx.cookies() if c["name"] == "rounds_session")
    assert cookie["expires"] > 0, "the session cookie outlives the browser"
    response = page.goto(f"/q/{unit['code']}")
    assert "/login" not in page.url
    assert response.status == 200
    # The server's own item page (it needs the session), not the phone's offline copy.
    assert unit["label"] in page.locator("article.item-page h1.page-title").inner_text()
    ctx.close()
    assert problems == []


def test_a_token_ended_by_a_password_change_keeps_the_outbox_and_drains_after_login(
    page, context, live_server
):
    """When the patroller changes their password on another browser, does the phone keep
    what it recorded offline, ask for a login, and send it after one, with the same op ids?"""
    app = live_server.app
    _patroller(app, "moving-patrol", "moving-patrol-pass")
    units = _units(app, 2, skip=5)
    _set_up_phone(page, "moving-patrol", "moving-patrol-pass")
    old_device = page.evaluate(
        "async () => (await import('/static/build/store.js')).getMeta('device_id')"
    )
    _offline(context)
    for unit in units:
        page.goto(f"/q/{unit['code']}")
        _record_check(page, None, note="password changed elsewhere")
    op_ids = sorted(e["op_id"] for e in page.evaluate(OUTBOX))
    assert len(op_ids) == 2

    # On a desktop: the same user changes their password (the phone's session and token end).
    desk = app.test_client()
    desk_auth = AuthActions(desk)
    assert desk_auth.login("moving-patrol", "moving-patrol-pass").status_code == 303
    changed = desk.post(
        "/account/password",
        data={
            "current_password": "moving-patrol-pass",
            "new_password": "moving-patrol-new-pass",
            "confirm": "moving-patrol-new-pass",
            "csrf_token": desk_auth.csrf("/account/password"),
        },
    )
    assert changed.status_code == 303

    _online(context)
    page.goto("/app")
    banner = page.locator("[data-login-needed]")
    banner.wait_for(state="visible")
    assert page.evaluate(STATUS)["pending"] == 2
    assert sorted(e["op_id"] for e in page.evaluate(OUTBOX)) == op_ids
    banner.locator("a").click()
    page.wait_for_url("**/login**")
    page.fill("input[name=username]", "moving-patrol")
    page.fill("input[name=password]", "moving-patrol-new-pass")
    page.click("form:has(input[name=password]) button[type=submit]")
    _until(page, DRAINED)
    with app.app_context():
        checks = db.session.scalars(sa.select(Check).where(Check.op_id.in_(op_ids))).all()
        assert sorted(c.op_id for c in checks) == op_ids
        assert {c.device_id for c in checks} != {old_device}, "sent under the new token"
        assert all(c.note == "password changed elsewhere" for c in checks)


def test_a_deactivated_users_phone_keeps_its_records_and_offers_their_export(
    page, context, live_server
):
    """When the user is deactivated, does the phone keep what is waiting and offer to export
    it where it asks for the login?"""
    app = live_server.app
    _patroller(app, "leaving-patrol", "leaving-patrol-pass")
    units = _units(app, 2, skip=8)
    _set_up_phone(page, "leaving-patrol", "leaving-patrol-pass")
    _offline(context)
    for unit in units:
        page.goto(f"/q/{unit['code']}")
        _record_check(page, None, note="recorded before leaving")
    op_ids = sorted(e["op_id"] for e in page.evaluate(OUTBOX))

    admin = app.test_client()
    admin_auth = AuthActions(admin)
    assert admin_auth.login("admin").status_code == 303
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "leaving-patrol"))
    response = admin.post(
        f"/admin/users/{user_id}/active",
        data={"active": "0", "csrf_token": admin_auth.csrf("/")},
    )
    assert response.status_code == 303

    _online(context)
    page.goto("/app")
    banner = page.locator("[data-login-needed]")
    banner.wait_for(state="visible")
    # The login is refused; the records stay and the banner offers them as a file.
    _log_in(page, "leaving-patrol", "leaving-patrol-pass")
    assert "帳號或密碼錯誤" in page.content()
    banner = page.locator("[data-login-needed]")
    banner.wait_for(state="visible")
    assert page.evaluate(STATUS)["pending"] == 2
    with page.expect_download() as download:
        banner.locator("[data-export]").click()
    doc = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert sorted(op["op_id"] for op in doc["ops"]) == op_ids
    assert sorted(e["op_id"] for e in page.evaluate(OUTBOX)) == op_ids
