"""Sessions end when they should: logout, sign-out elsewhere, password and role changes.

Each browser session is a row on the server (webapp/auth/sessions.py); the signed cookie
only names it. A cookie replayed after the row ended is worth nothing.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import AuthActions
from webapp.extensions import db
from webapp.models import Device, User, utcnow


def _session_cookie(client) -> str:
    cookie = client.get_cookie("rounds_session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def _replay(app, value: str):
    """A fresh browser carrying a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("rounds_session", value)
    return thief


def _token_for(client, auth) -> dict:
    response = client.post(
        "/api/auth/device",
        json={"device_name": "巡查手機"},
        headers={"X-CSRFToken": auth.csrf("/")},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _logged_in(app, username: str):
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.login(username).status_code == 303
    return client, auth


# ---------------------------------------------------------------- the cookie (issue 15, 4)


def test_the_session_cookie_lasts_a_shift_across_a_browser_restart(app, client, auth, seed):
    """Does the login cookie carry an expiry (12 hours), so a browser restart keeps it?"""
    response = auth.login("patrol")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if "rounds_session=" in h)
    assert "Expires=" in cookie
    morsel = client.get_cookie("rounds_session")
    left = morsel.expires - utcnow()
    assert timedelta(hours=11, minutes=50) < left <= timedelta(hours=12, minutes=1)


def test_the_cookie_is_renewed_on_use(app, client, auth, seed):
    """Is the cookie sent again on a later request (re-signed, its expiry refreshed)?"""
    auth.login("patrol")
    response = client.get("/")
    assert response.status_code == 200
    assert any("rounds_session=" in h for h in response.headers.getlist("Set-Cookie"))


def test_a_session_ends_when_its_lifetime_is_over_whatever_the_cookie_says(app, client, auth, seed):
    """Is a session refused by the server once its lifetime since login is over?"""
    from webapp.models import UserSession

    auth.login("patrol")
    assert client.get("/").status_code == 200
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get("/").status_code == 302


def test_a_lifetime_can_be_configured(database_url, instance_dir, _migrated, seed):
    """Does SESSION_LIFETIME_HOURS set the cookie's lifetime?"""
    from webapp.config import from_env

    assert from_env({"SESSION_LIFETIME_HOURS": "8"})["PERMANENT_SESSION_LIFETIME"] == 8 * 3600
    assert from_env({})["PERMANENT_SESSION_LIFETIME"] == 12 * 3600


# ---------------------------------------------------------------- logout


def test_a_cookie_replayed_after_logout_is_refused(app, client, auth, seed):
    """After POST /logout, does a copy of the old cookie still open pages? (It must not.)"""
    auth.login("patrol")
    stolen = _session_cookie(client)
    assert _replay(app, stolen).get("/").status_code == 200
    assert auth.logout().status_code == 303
    assert _replay(app, stolen).get("/").status_code == 302
    assert _replay(app, stolen).get("/api/sync/pull").status_code == 401


def test_logout_ends_the_token_this_browser_minted_and_no_other(app, client, auth, seed):
    """Does logout revoke the device token this session got, and leave other phones alone?"""
    auth.login("patrol")
    mine = _token_for(client, auth)
    other, other_auth = _logged_in(app, "patrol")
    theirs = _token_for(other, other_auth)
    auth.logout()
    assert client.get("/api/sync/pull", headers=_bearer(mine["token"])).status_code == 401
    assert client.get("/api/sync/pull", headers=_bearer(theirs["token"])).status_code == 200
    assert other.get("/").status_code == 200


# ---------------------------------------------------------------- networks


def test_a_phone_changing_networks_stays_logged_in(app, client, auth, seed):
    """Does a session survive a new client address (Wi-Fi to 4G), forwarded or not?"""
    auth.login("patrol")
    assert client.get("/", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    assert client.get("/").status_code == 200


# ---------------------------------------------------------------- the user's own actions


def test_a_user_changes_their_own_password(app, client, auth, seed):
    """Can a user change their password with the current one, ending their other sessions
    and tokens but not this one?"""
    auth.login("patrol")
    here = _token_for(client, auth)
    other, other_auth = _logged_in(app, "patrol")
    theirs = _token_for(other, other_auth)
    copied = _session_cookie(client)
    page = client.get("/account/password")
    assert page.status_code == 200
    assert "目前的密碼" in page.get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={
            "current_password": "patrol-demo",
            "new_password": "a-new-long-password",
            "confirm": "a-new-long-password",
            "csrf_token": auth.csrf("/account/password"),
        },
    )
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    assert client.get("/api/sync/pull", headers=_bearer(here["token"])).status_code == 200
    assert _replay(app, copied).get("/").status_code == 302, "this browser got a new session id"
    assert other.get("/").status_code == 302
    assert other.get("/api/sync/pull", headers=_bearer(theirs["token"])).status_code == 401
    auth.logout()
    assert auth.login("patrol").status_code == 401
    assert auth.login("patrol", "a-new-long-password").status_code == 303


def test_a_password_change_needs_the_current_password_and_a_good_new_one(app, client, auth, seed):
    """Are a wrong current password, a short new one and a mismatch each refused?"""
    auth.login("patrol")
    token = auth.csrf("/account/password")

    def change(current, new, confirm):
        return client.post(
            "/account/password",
            data={
                "current_password": current,
                "new_password": new,
                "confirm": confirm,
                "csrf_token": token,
            },
        )

    wrong = change("not-it", "a-new-long-password", "a-new-long-password")
    assert wrong.status_code == 422 and "目前的密碼不正確" in wrong.get_data(as_text=True)
    short = change("patrol-demo", "short", "short")
    assert short.status_code == 422 and "至少 10 個字元" in short.get_data(as_text=True)
    mismatch = change("patrol-demo", "a-new-long-password", "another-long-password")
    assert mismatch.status_code == 422 and "兩次輸入的新密碼不同" in mismatch.get_data(as_text=True)
    without_csrf = client.post(
        "/account/password",
        data={"current_password": "patrol-demo", "new_password": "x" * 12, "confirm": "x" * 12},
    )
    assert without_csrf.status_code == 400
    with app.app_context():
        assert db.session.get(User, seed.user_ids["patrol"]).check_password("patrol-demo")


def test_the_account_page_speaks_english_too(app, client, auth, seed):
    """Is the account page in English for an English reader?"""
    auth.login("patrol")
    page = client.get("/account/password", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "Current password" in text and "Sign out everywhere else" in text


def test_sign_out_everywhere_else(app, client, auth, seed):
    """Does "sign out everywhere else" end the user's other sessions and tokens only (and give
    this browser a new session id, so a copy of its cookie ends too)?"""
    auth.login("patrol")
    here = _token_for(client, auth)
    other, other_auth = _logged_in(app, "patrol")
    theirs = _token_for(other, other_auth)
    stranger, _ = _logged_in(app, "supervisor")
    copied = _session_cookie(client)
    response = client.post("/account/sessions/end", data={"csrf_token": auth.csrf("/")})
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    assert client.get("/api/sync/pull", headers=_bearer(here["token"])).status_code == 200
    assert _replay(app, copied).get("/").status_code == 302, "this browser got a new session id"
    assert other.get("/").status_code == 302
    assert other.get("/api/sync/pull", headers=_bearer(theirs["token"])).status_code == 401
    assert stranger.get("/").status_code == 200


# ---------------------------------------------------------------- an admin's actions


def _patrol_signed_in_everywhere(app):
    page, page_auth = _logged_in(app, "patrol")
    minted = _token_for(page, page_auth)
    phone = app.test_client()
    by_password = phone.post(
        "/api/auth/device",
        json={"username": "patrol", "password": "patrol-demo", "device_name": "手機"},
    )
    assert by_password.status_code == 201
    return page, [minted["token"], by_password.get_json()["token"]]


def _all_ended(page, tokens) -> bool:
    return page.get("/").status_code == 302 and all(
        page.get("/api/sync/pull", headers=_bearer(t)).status_code == 401 for t in tokens
    )


def _edit_user(client, auth, user_id, estates, **changes):
    """Post the admin's edit form for `user_id`: a patroller, no new password, unless `changes`."""
    fields = {"display_name": "", "role": "patroller", "password": ""} | changes
    return client.post(
        f"/admin/users/{user_id}/edit",
        data={**fields, "estates": estates, "csrf_token": auth.csrf("/")},
    )


def test_an_admin_password_reset_ends_every_session_and_token(app, client, auth, seed):
    """After an admin resets a user's password, do the user's sessions and tokens all end?"""
    page, tokens = _patrol_signed_in_everywhere(app)
    auth.login("admin")
    response = _edit_user(
        client, auth, seed.user_ids["patrol"], [seed.estate_ids[0]], password="a-reset-password"
    )
    assert response.status_code == 303
    assert _all_ended(page, tokens)
    assert client.get("/").status_code == 200, "the admin stays logged in"


def test_a_role_change_ends_every_session_and_token(app, client, auth, seed):
    """After an admin changes a user's role, do the user's sessions and tokens all end?"""
    page, tokens = _patrol_signed_in_everywhere(app)
    auth.login("admin")
    response = _edit_user(
        client, auth, seed.user_ids["patrol"], [seed.estate_ids[0]], role="supervisor"
    )
    assert response.status_code == 303
    assert _all_ended(page, tokens)


def test_a_name_change_ends_nothing(app, client, auth, seed):
    """Does changing only a user's display name leave them signed in?"""
    page, tokens = _patrol_signed_in_everywhere(app)
    auth.login("admin")
    _edit_user(client, auth, seed.user_ids["patrol"], [seed.estate_ids[0]], display_name="陳巡查")
    assert page.get("/").status_code == 200
    assert page.get("/api/sync/pull", headers=_bearer(tokens[1])).status_code == 200


def test_deactivating_ends_everything_and_reactivating_revives_nothing(app, client, auth, seed):
    """Are a deactivated user's sessions and tokens ended for good, even after reactivation?"""
    page, tokens = _patrol_signed_in_everywhere(app)
    auth.login("admin")
    patrol = seed.user_ids["patrol"]
    token = auth.csrf("/")
    client.post(f"/admin/users/{patrol}/active", data={"active": "0", "csrf_token": token})
    assert _all_ended(page, tokens)
    client.post(f"/admin/users/{patrol}/active", data={"active": "1", "csrf_token": token})
    assert _all_ended(page, tokens)
    with app.app_context():
        revoked = db.session.scalars(sa.select(Device).where(Device.user_id == patrol)).all()
        assert revoked and all(d.revoked_at is not None for d in revoked)


def test_an_admin_changing_their_own_password_stays_signed_in_here(app, client, auth, seed):
    """When an admin resets their own password on the admin page, is this session kept?"""
    auth.login("admin")
    elsewhere, _ = _logged_in(app, "admin")
    me = seed.user_ids["admin"]
    with app.app_context():
        estates = [e.id for e in db.session.get(User, me).estates]
    response = _edit_user(client, auth, me, estates, role="admin", password="my-new-admin-password")
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


def test_any_code_path_that_changes_a_password_ends_the_sessions(app, seed):
    """Does a change made outside the admin views (the CLI, a script) end sessions too?"""
    page, tokens = _patrol_signed_in_everywhere(app)
    with app.app_context():
        user = db.session.get(User, seed.user_ids["patrol"])
        user.set_password("set-by-a-script")
        db.session.commit()
    assert _all_ended(page, tokens)


def test_a_rehash_on_login_ends_nothing(app, seed, monkeypatch):
    """When login upgrades an aged hash, are the user's other sessions left alone?"""
    from argon2 import PasswordHasher

    import webapp.models.accounts as accounts

    page, tokens = _patrol_signed_in_everywhere(app)
    before = _hash_of(app, seed.user_ids["patrol"])
    # Stronger parameters than the suite's: the next good login upgrades the stored hash.
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=2, memory_cost=1024))
    _logged_in(app, "patrol")
    assert _hash_of(app, seed.user_ids["patrol"]) != before, "the hash was upgraded"
    assert page.get("/").status_code == 200
    assert page.get("/api/sync/pull", headers=_bearer(tokens[1])).status_code == 200


def _hash_of(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).password_hash
