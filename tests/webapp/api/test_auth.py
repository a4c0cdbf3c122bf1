"""Device tokens: issued for credentials or a session, hashed, revocable, rate-limited."""

from __future__ import annotations

import json

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Device


def _login(client, username="patrol", password="patrol-demo", name="手機"):  # noqa: S107
    return client.post(
        "/api/auth/device",
        json={"username": username, "password": password, "device_name": name},
    )


def test_credentials_give_a_token_that_is_stored_only_hashed(app, client, seed):
    """Do credentials give 201 with the documented fields, and is the token never stored?"""
    response = _login(client)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"device_id", "token", "user", "estates"}
    assert body["user"] == {"username": "patrol", "role": "patroller"}
    assert [e["id"] for e in body["estates"]] == [seed.estate_ids[0]]
    with app.app_context():
        device = db.session.get(Device, body["device_id"])
        assert device.token_hash != body["token"] and body["token"] not in device.token_hash
    pull = client.get("/api/sync/pull", headers={"Authorization": f"Bearer {body['token']}"})
    assert pull.status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_401(client, seed):
    """Are a wrong password and an unknown user answered with one 401 message?"""
    wrong, unknown = _login(client, password="nope"), _login(client, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    # The same but for the request id each error carries.
    assert wrong.get_json().pop("request_id") != unknown.get_json().pop("request_id")
    assert {k: v for k, v in wrong.get_json().items() if k != "request_id"} == {
        k: v for k, v in unknown.get_json().items() if k != "request_id"
    }


def test_too_many_failed_tries_get_429(client, seed):
    """Is the device login rate-limited like /login (429 after repeated failures)?"""
    codes = [_login(client, password=f"bad{i}").status_code for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[-1] == 429
    assert codes[-1] == 429 and _login(client).status_code == 429


def test_a_logged_in_page_gets_a_token_with_its_csrf_token_only(client, auth, seed):
    """Can a logged-in page get a token with its session and CSRF token, and not without?"""
    auth.login("patrol")
    token = auth.csrf("/")
    without = client.post("/api/auth/device", json={"device_name": "安裝的App"})
    assert without.status_code == 400 and without.get_json()["error"] == "csrf"
    response = client.post(
        "/api/auth/device", json={"device_name": "安裝的App"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201 and response.get_json()["user"]["username"] == "patrol"


def test_missing_wrong_and_revoked_tokens_get_401(client, seed):
    """Are missing, wrong and revoked tokens all 401 (and DELETE revokes the caller's own)?"""
    token = _login(client).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/sync/pull").status_code == 401
    assert client.get("/api/sync/pull", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/sync/pull", headers={"Authorization": "Basic x"}).status_code == 401
    assert client.delete("/api/auth/device", headers=headers).status_code == 204
    response = client.get("/api/sync/pull", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_an_admin_revokes_a_phone_from_the_devices_page(app, client, auth, seed):
    """Does the devices page list a phone with its user and pending count, and revoke it?"""
    body = _login(client, name="巡查手機一號").get_json()
    headers = {"Authorization": f"Bearer {body['token']}"}
    client.post(
        "/api/sync/push",
        json={"device_id": body["device_id"], "pending": 4, "ops": [{"op_id": "x"}]},
        headers=headers,
    )
    auth.login("admin")
    page = client.get("/devices/").get_data(as_text=True)
    assert "巡查手機一號" in page and "陳志明" in page and ">4<" in page
    token = auth.csrf("/devices/")
    response = client.post(
        "/devices/revoke", data={"device_id": body["device_id"], "csrf_token": token}
    )
    assert response.status_code == 303
    assert client.get("/api/sync/pull", headers=headers).status_code == 401
    with app.app_context():
        assert db.session.get(Device, body["device_id"]).revoked_at is not None


def test_an_admin_of_another_estate_cannot_revoke(app, client, auth, seed):
    """Is a device of another estate's user invisible (404) to an admin?"""
    from webapp.models import Estate, User

    device_id = _login(client, username="patrol2", password="patrol2-demo").get_json()["device_id"]
    auth.login("admin")
    assert "patrol2" not in client.get("/devices/").get_data(as_text=True)
    token = auth.csrf("/devices/")
    assert (
        client.post("/devices/revoke", data={"device_id": device_id, "csrf_token": token})
    ).status_code == 404
    with app.app_context():
        assert db.session.get(Device, device_id).revoked_at is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) >= 6
        assert Estate is not None


def test_only_supervisors_and_admins_see_the_quarantine(app, client, auth, phone, seed):
    """Does a supervisor see a rejected op in the quarantine list, and a patroller get 403?"""
    phone.push([{"op_id": "not-a-uuid", "type": "check.record"}])
    auth.login("supervisor")
    page = client.get("/quarantine/").get_data(as_text=True)
    assert "not-a-uuid" in page and "validation" in page
    auth.logout()
    auth.login("patrol")
    assert client.get("/quarantine/").status_code == 403


def test_the_quarantine_shows_nothing_of_another_estate(app, client, auth, make_phone, seed):
    """Does a supervisor of one estate not see ops rejected for another estate's people?"""
    from webapp.models import Estate, User

    other = make_phone("patrol2")
    other.push([{"op_id": "from-the-other-estate", "type": "check.record"}])
    with app.app_context():
        boss = User(username="boss2", role="supervisor")
        boss.set_password("boss2-pass")
        boss.estates = [db.session.get(Estate, seed.estate_ids[1])]
        db.session.add(boss)
        db.session.commit()
    auth.login("supervisor")
    assert "from-the-other-estate" not in client.get("/quarantine/").get_data(as_text=True)
    auth.logout()
    auth.login("boss2", "boss2-pass")
    assert "from-the-other-estate" in client.get("/quarantine/").get_data(as_text=True)


def test_logging_in_again_with_a_revoked_token_still_sent_works(client, seed):
    """Can a phone whose token was revoked log in again even if it still sends the old one?"""
    token = _login(client).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/auth/device", headers=headers).status_code == 204
    response = client.post(
        "/api/auth/device",
        json={"username": "patrol", "password": "patrol-demo", "device_name": "再登入"},
        headers=headers,
    )
    assert response.status_code == 201


def _estates_pulled(response) -> set:
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    return {json.dumps(c, sort_keys=True) for c in response.get_json()["changes"]}


def test_a_token_decides_the_caller_whatever_session_cookie_rides_along(app, client, auth, seed):
    """Is a call with a one-estate patroller's token theirs, though the browser is an admin's?"""
    with app.app_context():
        from webapp.extensions import db
        from webapp.models import Estate, User

        patroller = User(username="patrol-b", role="patroller", display_name="乙")
        patroller.set_password("patrol-b-pass")
        patroller.estates = [db.session.get(Estate, seed.estate_ids[1])]
        db.session.add(patroller)
        db.session.commit()
    phone = app.test_client()
    token = phone.post(
        "/api/auth/device",
        json={"username": "patrol-b", "password": "patrol-b-pass", "device_name": "手機"},
    ).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    auth.login("admin")
    as_admin = _estates_pulled(client.get("/api/sync/pull?limit=1000"))
    as_token = _estates_pulled(phone.get("/api/sync/pull?limit=1000", headers=bearer))
    both = _estates_pulled(client.get("/api/sync/pull?limit=1000", headers=bearer))
    assert as_token != as_admin
    assert both == as_token
    pushed = client.post("/api/sync/push", json={"device_id": "x", "ops": []}, headers=bearer)
    assert pushed.status_code != 403  # no CSRF token asked of a token's call
