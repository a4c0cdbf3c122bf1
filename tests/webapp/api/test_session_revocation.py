"""A phone's browser session ends when an admin revokes the device it minted."""

from __future__ import annotations


def _token_from_session(client, auth):
    token = auth.csrf("/")
    response = client.post(
        "/api/auth/device", json={"device_name": "巡查手機"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_revoked_device_cannot_mint_a_new_token_with_its_session(app, client, auth, seed):
    """After an admin revokes a phone, can its still-open session get a fresh token? (No.)"""
    auth.login("patrol")
    minted = _token_from_session(client, auth)

    admin = app.test_client()
    from tests.conftest import AuthActions

    admin_auth = AuthActions(admin)
    admin_auth.login("admin")
    revoked = admin.post(
        "/devices/revoke",
        data={"device_id": minted["device_id"], "csrf_token": admin_auth.csrf("/devices/")},
    )
    assert revoked.status_code in (302, 303)

    bearer = client.get("/api/sync/pull", headers={"Authorization": f"Bearer {minted['token']}"})
    assert bearer.status_code == 401
    # The session that minted the revoked token is over: no page, no new token.
    assert client.get("/").status_code == 302
    again = client.post("/api/auth/device", json={"device_name": "巡查手機"})
    assert again.status_code in (400, 401)


def test_own_logout_revocation_leaves_the_session_to_the_logout_form(app, client, auth, seed):
    """When the phone revokes its own token (its logout), is the page session left usable?"""
    auth.login("patrol")
    minted = _token_from_session(client, auth)
    response = client.delete(
        "/api/auth/device", headers={"Authorization": f"Bearer {minted['token']}"}
    )
    assert response.status_code == 204
    assert client.get("/").status_code == 200
    assert auth.logout().status_code == 303


def test_a_session_that_minted_nothing_is_unaffected_by_other_revocations(app, client, auth, seed):
    """Does revoking one phone leave the same user's other sessions alone?"""
    phone = app.test_client()
    from tests.conftest import AuthActions

    phone_auth = AuthActions(phone)
    phone_auth.login("patrol")
    minted = _token_from_session(phone, phone_auth)
    auth.login("patrol")  # a desktop session of the same user
    admin = app.test_client()
    admin_auth = AuthActions(admin)
    admin_auth.login("admin")
    admin.post(
        "/devices/revoke",
        data={"device_id": minted["device_id"], "csrf_token": admin_auth.csrf("/devices/")},
    )
    assert client.get("/").status_code == 200
    assert phone.get("/").status_code == 302
