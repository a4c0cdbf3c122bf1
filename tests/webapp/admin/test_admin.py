"""Admin: users (create, role and estates, deactivate) and estate settings (name, timezone)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Estate, User


@pytest.fixture
def admin(client, auth, seed):
    auth.login("admin")
    return client


def user_named(username) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def test_an_admin_creates_a_user_who_can_then_log_in(app, admin, auth, seed):
    """Does a new user get the role and estates chosen, and can they log in?"""
    token = auth.csrf("/")
    response = admin.post(
        "/admin/users",
        data={
            "username": "night-guard",
            "display_name": "夜班管理員",
            "role": "patroller",
            "estates": [seed.estate_ids[0]],
            "password": "a-long-password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    assert "night-guard" in admin.get("/admin/users").get_data(as_text=True)
    with app.app_context():
        user = user_named("night-guard")
        assert (user.role, user.estate_ids) == ("patroller", [seed.estate_ids[0]])
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.create"))
        assert event.actor_id == seed.user_ids["admin"] and "password" not in event.after
    auth.logout()
    assert auth.login("night-guard", "a-long-password").status_code == 303


def test_a_bad_new_user_is_refused_with_each_problem_beside_its_field(app, admin, auth, seed):
    """Are a taken username, a short password and no estate each reported, and nothing saved?"""
    response = admin.post(
        "/admin/users",
        data={
            "username": "patrol",
            "role": "patroller",
            "password": "short",
            "csrf_token": auth.csrf("/"),
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "此帳號已被使用" in page
    assert "至少 10 個字元" in page
    assert "請至少選擇一個小區" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(seed.user_ids)


def _make_admin(app, username: str, estate_ids: list[int]) -> None:
    with app.app_context():
        user = User(username=username, role="admin", display_name=username)
        user.set_password("admin-pass-long")
        user.estates = [db.session.get(Estate, i) for i in estate_ids]
        db.session.add(user)
        db.session.commit()


def _join_both(app, seed, username: str) -> int:
    with app.app_context():
        user = user_named(username)
        user.estates = [db.session.get(Estate, i) for i in seed.estate_ids]
        db.session.commit()
        return user.id


def _device_of(app, username: str) -> str:
    from webapp.models import Device

    with app.app_context():
        device, _token = Device.issue(user_named(username), "phone")
        db.session.add(device)
        db.session.commit()
        return device.id


def test_an_admin_of_one_estate_cannot_manage_a_user_of_two(app, client, auth, seed):
    """Could an estate-1 admin reset the password (and so take over estate 2) of a user of
    estates 1 and 2, or an estate-2 admin deactivate them? Only an admin of all of a user's
    estates manages them: users, their devices, their active flag."""
    user_id = _join_both(app, seed, "patrol")
    device_id = _device_of(app, "patrol")
    _make_admin(app, "admin-two", [seed.estate_ids[1]])
    for username, password in (("admin", None), ("admin-two", "admin-pass-long")):
        auth.login(username, password)
        token = auth.csrf("/")
        assert client.get(f"/admin/users/{user_id}/edit").status_code == 404
        takeover = {
            "display_name": "x",
            "role": "admin",
            "estates": seed.estate_ids,
            "password": "taken-over-now",
            "csrf_token": token,
        }
        assert client.post(f"/admin/users/{user_id}/edit", data=takeover).status_code == 404
        response = client.post(
            f"/admin/users/{user_id}/active", data={"active": "0", "csrf_token": token}
        )
        assert response.status_code == 404
        response = client.post(
            "/devices/revoke", data={"device_id": device_id, "csrf_token": token}
        )
        assert response.status_code == 404
        assert device_id not in client.get("/devices/").get_data(as_text=True)
        assert ">patrol<" not in client.get("/admin/users").get_data(as_text=True)
        auth.logout()
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.active and user.role == "patroller" and user.check_password("patrol-demo")


def test_an_admin_of_every_estate_of_a_user_manages_them(app, client, auth, seed):
    user_id = _join_both(app, seed, "patrol")
    _make_admin(app, "admin-both", seed.estate_ids)
    auth.login("admin-both", "admin-pass-long")
    response = client.post(
        f"/admin/users/{user_id}/edit",
        data={
            "display_name": "陳主管",
            "role": "supervisor",
            "estates": [seed.estate_ids[0]],
            "password": "",
            "csrf_token": auth.csrf("/"),
        },
    )
    assert response.status_code == 303
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.role == "supervisor" and user.estate_ids == [seed.estate_ids[0]]
    auth.logout()
    auth.login("admin")  # now all of the user's estates are the estate-1 admin's
    assert client.get(f"/admin/users/{user_id}/edit").status_code == 200


def test_a_deactivated_user_cannot_log_in_and_admins_cannot_lock_themselves_out(
    app, admin, auth, client, seed
):
    """Is a deactivated user refused at login, and is an admin stopped from deactivating
    themselves or changing their own role?"""
    token = auth.csrf("/")
    desk = seed.user_ids["desk"]
    assert (
        admin.post(
            f"/admin/users/{desk}/active", data={"active": "0", "csrf_token": token}
        ).status_code
        == 303
    )
    me = seed.user_ids["admin"]
    admin.post(f"/admin/users/{me}/active", data={"active": "0", "csrf_token": token})
    own_role = admin.post(
        f"/admin/users/{me}/edit",
        data={"role": "patroller", "estates": [seed.estate_ids[0]], "csrf_token": token},
    )
    assert own_role.status_code == 422
    with app.app_context():
        assert db.session.get(User, desk).active is False
        assert db.session.get(User, me).active is True
        assert db.session.get(User, me).role == "admin"
    auth.logout()
    assert auth.login("desk").status_code == 401


def test_estate_timezone_is_checked_against_the_iana_database(app, admin, auth, seed):
    """Is an unknown timezone refused beside its field, and a real one saved and audited?"""
    estate = seed.estate_ids[0]
    token = auth.csrf("/")
    bad = admin.post(
        f"/admin/estates/{estate}/edit",
        data={"name": "翠湖花園", "timezone": "Asia/Atlantis", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert 'id="estate-timezone-error"' in bad.get_data(as_text=True)
    good = admin.post(
        f"/admin/estates/{estate}/edit",
        data={"name": "翠湖花園二期", "timezone": "Asia/Hong_Kong", "csrf_token": token},
    )
    assert good.status_code == 303
    taken = admin.post(
        f"/admin/estates/{estate}/edit",
        data={"name": "港灣豪庭", "timezone": "Asia/Taipei", "csrf_token": token},
    )
    assert taken.status_code == 422
    with app.app_context():
        saved = db.session.get(Estate, estate)
        assert (saved.name, saved.timezone) == ("翠湖花園二期", "Asia/Hong_Kong")
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "estate.update"))
        assert event.after == {"name": "翠湖花園二期", "timezone": "Asia/Hong_Kong"}


def test_a_new_estate_is_visible_to_the_admin_who_added_it(app, client, auth, seed):
    """Does the organisation admin who adds an estate see it straight away in the registry?"""
    auth.login("hq")
    admin = client
    response = admin.post(
        "/admin/estates",
        data={"name": "新城一期", "timezone": "Asia/Taipei", "csrf_token": auth.csrf("/")},
    )
    assert response.status_code == 303
    with app.app_context():
        estate_id = db.session.scalar(sa.select(Estate.id).where(Estate.name == "新城一期"))
    assert admin.get(f"/registry/estates/{estate_id}").status_code == 200


def test_only_admins_reach_the_admin_screens_and_only_their_estates_users(app, client, auth, seed):
    """Are supervisors refused (403), and is another estate's user hidden (404) from an admin?"""
    auth.login("supervisor")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/estates").status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "patrol2" not in page and "supervisor" in page
    assert client.get(f"/admin/users/{seed.user_ids['patrol2']}/edit").status_code == 404
    assert client.get(f"/admin/estates/{seed.estate_ids[1]}/edit").status_code == 404


def test_devices_pending_means_waiting_to_upload(app, client, auth, seed):
    """Does the devices page name its count of unsent entries 待上傳, not a round window's 待檢?"""
    _device_of(app, "patrol")
    auth.login("admin")
    html = client.get("/devices/").get_data(as_text=True)
    assert ">待上傳</th>" in html
    assert "待檢" not in html
