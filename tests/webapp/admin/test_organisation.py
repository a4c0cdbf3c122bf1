"""The organisation above the estates: the organisation admin (an admin with every estate,
present and future), regional supervisors, and estate admins held to their estates — every
way an estate admin might reach past them is refused without telling anything."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Device, Estate, User
from webapp.scoping import manageable_user_ids, visible_estate_ids


def user_named(username) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def add_estate(app, name: str) -> int:
    with app.app_context():
        estate = Estate(name=name, timezone="Asia/Taipei")
        db.session.add(estate)
        db.session.commit()
        return estate.id


def new_user(auth, client, **fields):
    data = {"display_name": "", "password": "a-long-password", "csrf_token": auth.csrf("/")}
    return client.post("/admin/users", data=data | fields)


def test_the_organisation_admin_sees_every_estate_including_one_added_later(
    app, client, auth, seed
):
    """Is 'every estate' resolved when asked — an estate added after the login is on the
    estates page, its registry and the dashboard's picker at once — and never a list?"""
    auth.login("hq")
    later = add_estate(app, "新竹科學園區社區")
    page = client.get("/admin/estates").get_data(as_text=True)
    assert "新竹科學園區社區" in page and "翠湖花園" in page and "港灣豪庭" in page
    assert client.get(f"/registry/estates/{later}").status_code == 200
    assert client.get(f"/admin/estates/{later}/edit").status_code == 200
    assert "新竹科學園區社區" in client.get("/review/dashboard").get_data(as_text=True)
    with app.app_context():
        hq = user_named("hq")
        assert hq.estates == []  # no rows: nothing to keep up to date
        assert visible_estate_ids(hq) == [*seed.estate_ids, later]
        db.session.get(Estate, later).active = False
        db.session.commit()
        assert visible_estate_ids(hq) == seed.estate_ids  # a closed estate is no one's


def test_the_organisation_admin_adds_an_estate_and_appoints_its_supervisor(app, client, auth, seed):
    """Can the organisation admin add an estate, then add a supervisor appointed to it who
    sees that estate alone, with every step audited?"""
    auth.login("hq")
    token = auth.csrf("/")
    response = client.post(
        "/admin/estates", data={"name": "新城一期", "timezone": "Asia/Taipei", "csrf_token": token}
    )
    assert response.status_code == 303
    with app.app_context():
        estate_id = db.session.scalar(sa.select(Estate.id).where(Estate.name == "新城一期"))
        assert user_named("hq").estates == []  # seen as every estate is, not appended
    form = client.get(f"/admin/users?estate={estate_id}&add=1").get_data(as_text=True)
    assert re.search(rf'<input checked [^>]*value="{estate_id}"', form)  # ticked for us
    response = new_user(
        auth,
        client,
        username="xc-sup",
        role="supervisor",
        estates=[estate_id],
        display_name="新主管",
    )
    assert response.status_code == 303
    estates_page = client.get("/admin/estates").get_data(as_text=True)
    row = estates_page.split(f'id="estate-{estate_id}"')[1].split("</tr>")[0]
    assert "新主管" in row
    with app.app_context():
        made = user_named("xc-sup")
        assert (made.role, made.estate_ids, made.all_estates) == ("supervisor", [estate_id], False)
        created = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "estate.create")
        )
        assert created.actor_id == seed.user_ids["hq"]
    auth.logout()
    auth.login("xc-sup", "a-long-password")
    page = client.get("/").get_data(as_text=True)
    assert "新城一期" in page and "翠湖花園" not in page


def test_an_estate_name_longer_once_folded_is_refused_beside_the_field(app, client, auth, seed):
    """A name of ten ﷺ is 10 characters typed and 180 once folded (NFKC, as names are kept):
    the length was checked before folding, and PostgreSQL refused the 180 with a 500. Is it
    refused beside the field, nothing added, on both databases?"""
    auth.login("hq")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Estate))
    response = client.post(
        "/admin/estates",
        data={"name": "\ufdfa" * 10, "timezone": "Asia/Taipei", "csrf_token": auth.csrf("/")},
    )
    assert response.status_code == 422
    assert "不能超過 120 個字" in response.get_data(as_text=True)  # as a name typed too long
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Estate)) == before


def test_the_organisation_admin_gives_a_head_office_supervisor_every_estate(
    app, client, auth, seed
):
    """Does ticking 'every estate' make a supervisor see every estate, present and future;
    is it refused beside the field for a role other than admin or supervisor?"""
    auth.login("hq")
    refused = new_user(auth, client, username="hq-guard", role="patroller", all_estates="y")
    assert refused.status_code == 422
    assert "只有系統管理員或主管可以看到所有小區" in refused.get_data(as_text=True)
    response = new_user(auth, client, username="hq-sup", role="supervisor", all_estates="y")
    assert response.status_code == 303
    later = add_estate(app, "後來的小區")
    with app.app_context():
        assert user_named("hq-guard") is None
        made = user_named("hq-sup")
        assert made.all_estates and made.estate_ids == [*seed.estate_ids, later]
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.create"))
        assert event.after["all_estates"] is True
    auth.logout()
    auth.login("hq-sup", "a-long-password")
    assert "後來的小區" in client.get("/").get_data(as_text=True)


def test_the_organisation_admin_cannot_give_up_every_estate_on_their_own_form(
    app, client, auth, seed
):
    auth.login("hq")
    me = seed.user_ids["hq"]
    response = client.post(
        f"/admin/users/{me}/edit",
        data={"role": "admin", "estates": [seed.estate_ids[0]], "csrf_token": auth.csrf("/")},
    )
    assert response.status_code == 422
    with app.app_context():
        assert user_named("hq").all_estates


@pytest.fixture
def estate_admin(client, auth, seed):
    auth.login("admin")  # the first estate's admin
    return client


def test_an_estate_admin_cannot_add_an_estate(app, estate_admin, auth, seed):
    page = estate_admin.get("/admin/estates").get_data(as_text=True)
    assert 'id="estate-new"' not in page
    response = estate_admin.post(
        "/admin/estates",
        data={"name": "私設小區", "timezone": "Asia/Taipei", "csrf_token": auth.csrf("/")},
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(Estate.id).where(Estate.name == "私設小區")) is None


def test_an_estate_admin_cannot_appoint_into_an_estate_they_lack(app, estate_admin, auth, seed):
    """A new user, or an edited one, posted with the other estate's id: refused beside the
    field, nothing saved, the other estate's name nowhere on the answer — the same answer as
    for an id that names no estate at all."""
    mine, theirs = seed.estate_ids
    answers = []
    for estate_id in (theirs, 999_999):
        response = new_user(
            auth,
            estate_admin,
            username=f"sneak{estate_id}",
            role="supervisor",
            estates=[mine, estate_id],
        )
        assert response.status_code == 422
        answers.append(response.get_data(as_text=True).replace(str(estate_id), "N"))
        assert "港灣豪庭" not in answers[-1]
    assert answers[0].count("field-error") == answers[1].count("field-error")
    patrol = seed.user_ids["patrol"]
    response = estate_admin.post(
        f"/admin/users/{patrol}/edit",
        data={"role": "patroller", "estates": [mine, theirs], "csrf_token": auth.csrf("/")},
    )
    assert response.status_code == 422
    with app.app_context():
        assert user_named(f"sneak{theirs}") is None
        assert user_named("patrol").estate_ids == [mine]
    assert estate_admin.get(f"/admin/users?estate={theirs}").status_code == 404
    assert estate_admin.get(f"/admin/estates/{theirs}/edit").status_code == 404
    renamed = estate_admin.post(
        f"/admin/estates/{theirs}/edit",
        data={"name": "改名", "timezone": "UTC", "csrf_token": auth.csrf("/")},
    )
    assert renamed.status_code == 404


def test_an_estate_admin_cannot_grant_every_estate(app, estate_admin, auth, seed):
    """A posted all_estates (the organisation admin's field) is not read from an estate
    admin's form: on a new user or on an edited one."""
    mine = seed.estate_ids[0]
    assert "all_estates" not in estate_admin.get("/admin/users").get_data(as_text=True)
    response = new_user(
        auth, estate_admin, username="would-be-hq", role="admin", estates=[mine], all_estates="y"
    )
    assert response.status_code == 303
    supervisor = seed.user_ids["supervisor"]
    response = estate_admin.post(
        f"/admin/users/{supervisor}/edit",
        data={
            "role": "supervisor",
            "estates": [mine],
            "all_estates": "y",
            "csrf_token": auth.csrf("/"),
        },
    )
    assert response.status_code == 303
    me = seed.user_ids["admin"]
    estate_admin.post(
        f"/admin/users/{me}/edit",
        data={"role": "admin", "estates": [mine], "all_estates": "y", "csrf_token": auth.csrf("/")},
    )
    with app.app_context():
        for name in ("would-be-hq", "supervisor", "admin"):
            assert not user_named(name).all_estates, name
            assert user_named(name).estate_ids == [mine], name


def test_an_estate_admin_cannot_touch_the_organisation_admin(app, estate_admin, auth, seed):
    """The organisation admin belongs to every estate, so to no estate admin: hidden from the
    list, 404 on their form, their active flag and their phones."""
    hq = seed.user_ids["hq"]
    with app.app_context():
        device, _token = Device.issue(user_named("hq"), "hq phone")
        db.session.add(device)
        db.session.commit()
        device_id = device.id
    token = auth.csrf("/")
    assert ">hq<" not in estate_admin.get("/admin/users").get_data(as_text=True)
    assert estate_admin.get(f"/admin/users/{hq}/edit").status_code == 404
    takeover = {"role": "admin", "estates": [seed.estate_ids[0]], "password": "taken-over-now"}
    response = estate_admin.post(f"/admin/users/{hq}/edit", data=takeover | {"csrf_token": token})
    assert response.status_code == 404
    response = estate_admin.post(
        f"/admin/users/{hq}/active", data={"active": "0", "csrf_token": token}
    )
    assert response.status_code == 404
    response = estate_admin.post(
        "/devices/revoke", data={"device_id": device_id, "csrf_token": token}
    )
    assert response.status_code == 404
    with app.app_context():
        hq_user = db.session.get(User, hq)
        assert hq_user.active and hq_user.check_password("hq-demo") and hq_user.all_estates
        assert db.session.get(Device, device_id).revoked_at is None


def test_an_all_estates_user_is_no_estate_admins_even_with_a_leftover_estate_row(app, seed):
    """An all-estates supervisor who still has a row for the first estate alone (from before
    the flag) is not that estate's admin's to manage: they see every estate."""
    with app.app_context():
        sup = user_named("supervisor")
        sup.all_estates = True
        db.session.commit()
        admin = user_named("admin")
        managed = set(db.session.scalars(manageable_user_ids(admin)))
        assert sup.id not in managed and user_named("patrol").id in managed
        assert set(db.session.scalars(manageable_user_ids(user_named("hq")))) == set(
            db.session.scalars(sa.select(User.id))
        )


def test_the_organisation_admin_manages_everyone_and_filters_users_by_estate(
    app, client, auth, seed
):
    auth.login("hq")
    page = client.get("/admin/users").get_data(as_text=True)
    for name in ("patrol", "patrol2", "admin2", "regional", "supervisor2"):
        assert f">{name}<" in page, name
    second = client.get(f"/admin/users?estate={seed.estate_ids[1]}").get_data(as_text=True)
    assert ">patrol2<" in second and ">admin2<" in second and ">regional<" in second
    assert ">patrol<" not in second and ">engineer<" not in second
    assert ">hq<" in second  # sees every estate, this one included
    response = client.post(
        f"/admin/users/{seed.user_ids['admin2']}/active",
        data={"active": "0", "csrf_token": auth.csrf("/")},
    )
    assert response.status_code == 303
    with app.app_context():
        assert not user_named("admin2").active
