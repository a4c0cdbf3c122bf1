"""A required text of nothing visible is no text, at every door text comes in by: a page's form
(the field's own "required" message beside it), /api (422 naming the field), a phone's sync op
(rejected, kept in quarantine), a command line. Outside testers named a building "\\u200b", an
estate "\\ufeff", a borrower "\\u3000": each was stored, a name no one can read or find."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token_from
from tests.sync.conftest import T0, codes_of, finding_op, issue_device, lend_op
from tests.webapp.review.conftest import make_finding
from tests.webapp.text_doors import LEND, LOAN_REQUEST, estate_id, first_unit, round_form
from webapp.extensions import db
from webapp.models import Estate, User
from webapp.models.sync import KeyEvent

# A sample of the invisible values (tests/webapp/test_text.py has the table).
BLANKS = ["\u200b", "\ufeff\u00ad", " \u3000\u00a0\u2060 "]


def _finding(app, seed) -> str:
    with app.app_context():
        return make_finding(estate_id(seed))


# Each door: who posts, where, the form with ``value`` in its one required text, and the
# message that field answers when it is empty.
def building(app, seed, value):
    return f"/registry/estates/{estate_id(seed)}/buildings", {"name": value, "floors": "3"}


def unit_entrance(app, seed, value):
    unit = first_unit(app, seed)
    data = {"building_id": unit.building_id, "entrance": value, "floor": "30", "room": "3001"}
    return f"/registry/estates/{estate_id(seed)}/units", {**data, "status": "occupied"}


def unit_room(app, seed, value):
    unit = first_unit(app, seed)
    data = {"building_id": unit.building_id, "entrance": "1", "floor": "30", "room": value}
    return f"/registry/estates/{estate_id(seed)}/units", {**data, "status": "occupied"}


def sign(app, seed, value):
    return f"/registry/estates/{estate_id(seed)}/signs", {
        "category": "elevator",
        "location": value,
        "building_id": first_unit(app, seed).building_id,
        "floor": "9",
    }


def equipment_key(app, seed, value):
    return f"/registry/estates/{estate_id(seed)}/keys", {
        "key_class": "equipment_room",
        "equipment_room": value,
        "copies": "1",
        "building_id": "0",
    }


def estate(app, seed, value):
    return "/admin/estates", {"name": value, "timezone": "Asia/Taipei"}


def round_name(app, seed, value):
    return round_form(app, seed, value)


def lend(app, seed, value):
    url, data = LEND
    return url, {**data, "borrower_name": value}


def loan_request(app, seed, value):
    url, data = LOAN_REQUEST
    return url, {**data, "purpose": value}


def permit_number(app, seed, value):
    return f"/renovation/estates/{estate_id(seed)}/permits/new", {
        "unit": first_unit(app, seed).label,
        "number": value,
        "starts_on": "2026-01-05",
        "ends_on": "2099-03-31",
        "deposit": "0",
    }


def comment(app, seed, value):
    return f"/review/findings/{_finding(app, seed)}/comments", {"body": value}


DOORS = [
    ("admin", building, "此欄必填"),
    ("admin", unit_entrance, "此欄必填"),
    ("admin", unit_room, "此欄必填"),
    ("admin", sign, "此欄必填"),
    ("admin", equipment_key, "請輸入設備房"),
    ("hq", estate, "此欄必填"),
    ("supervisor", round_name, "請為巡查命名"),
    ("desk", lend, "請填寫借用人"),
    ("desk", loan_request, "請填寫用途"),
    ("supervisor", permit_number, "此欄必填"),
    ("supervisor", comment, "請先填寫留言"),
]


@pytest.mark.parametrize(("user", "door", "message"), DOORS, ids=[d[1].__name__ for d in DOORS])
def test_a_required_text_of_nothing_visible_is_refused_beside_its_field(
    app, client, auth, seed, user, door, message
):
    """Is a required text of invisible characters answered with the field's "required"
    message, as an empty one is, and a real value not?"""
    auth.login(user)
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    url, data = door(app, seed, "東側")
    control = client.post(url, data={**data, "csrf_token": token})
    assert message not in control.get_data(as_text=True)
    for value in BLANKS:
        url, data = door(app, seed, value)
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 422, (value, response.status_code)
        assert message in response.get_data(as_text=True), value


def test_a_display_name_of_nothing_visible_is_no_display_name(app, client, auth, seed):
    """Is an invisible display name kept as none (the username shows), not as a name no one
    can read?"""
    auth.login("admin")
    token = csrf_token_from(client.get("/admin/users").get_data(as_text=True))
    response = client.post(
        "/admin/users",
        data={
            "username": "night-guard",
            "display_name": "\u200b\u3000",
            "role": "patroller",
            "estates": str(estate_id(seed)),
            "password": "a-long-password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "night-guard"))
        assert user.display_name in ("", None)


def test_a_device_name_of_nothing_visible_is_a_422_naming_it(client, seed):
    """Under /api: is an invisible device name a 422 with ``device_name`` in ``fields``?"""
    for value in BLANKS:
        response = client.post(
            "/api/auth/device",
            json={"username": "patrol", "password": "patrol-demo", "device_name": value},
        )
        assert response.status_code == 422, value
        assert "device_name" in response.get_json()["fields"]


def test_a_username_with_invisible_ends_is_the_same_at_every_door(app, client, auth, seed):
    """Does a username pasted with invisible ends log in by the token door (/api) as by the
    login page (whose form trims it): the same account, not "wrong username or password"?"""
    for name in ["patrol\u200b", "\ufeffpatrol\u3000"]:
        response = client.post(
            "/api/auth/device",
            json={"username": name, "password": "patrol-demo", "device_name": "phone"},
        )
        assert response.status_code == 201, (name, response.get_json())
        assert response.get_json()["user"]["username"] == "patrol"
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        page = client.post(
            "/login", data={"username": name, "password": "patrol-demo", "csrf_token": token}
        )
        assert page.status_code == 303, name
        auth.logout()


def _push(client, app, username, op):
    device_id, token = issue_device(app, username)
    return client.post(
        "/api/sync/push",
        json={"device_id": device_id, "ops": [op]},
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()["results"][0]


def test_a_phone_op_naming_nobody_visible_is_rejected(app, client, seed):
    """Is a phone's lend to an invisible borrower, an issue to an invisible owner, a finding of
    an invisible category rejected (kept in quarantine), the field named — and a name with
    invisible ends stored trimmed?"""
    keys = codes_of(app, estate_id(seed), "key", n=4, status="in")
    units = codes_of(app, estate_id(seed), "unit", n=1)
    for value in BLANKS:
        result = _push(client, app, "desk", lend_op(keys[0], name=value))
        assert result["status"] == "rejected", value
        assert "borrower_name" in str(result), result
        finding = finding_op(units[0], category=value)
        result = _push(client, app, "patrol", finding)
        assert result["status"] == "rejected", value
        assert "category" in str(result), result
    issue = {
        "op_id": str(uuid.uuid4()),
        "type": "key.issue",
        "occurred_at": T0.isoformat(),
        "payload": {"id": str(uuid.uuid4()), "code": keys[1], "owner_name": "\u3000\u200b"},
    }
    result = _push(client, app, "desk", issue)
    assert result["status"] == "rejected" and "owner_name" in str(result), result
    result = _push(client, app, "desk", lend_op(keys[2], name="\u200b林試用\u3000"))
    assert result["status"] == "applied", result
    with app.app_context():
        names = set(db.session.scalars(sa.select(KeyEvent.borrower_name)))
        assert "林試用" in names and "\u200b林試用\u3000" not in names


def test_the_command_line_refuses_an_invisible_username(app, seed):
    """Does ``create-user`` refuse a name of invisible characters, or one holding them, as it
    refuses spaces?"""
    runner = app.test_cli_runner()
    for name in ["\u200b", "\u3000", "ab\u200bcd", "\ufeff\u2060", "x\u00ady"]:
        result = runner.invoke(
            args=["create-user", name, "--role", "admin"], input="long-enough\nlong-enough\n"
        )
        assert result.exit_code != 0, name
        assert "no spaces" in result.output, result.output
    with app.app_context():
        names = set(db.session.scalars(sa.select(User.username)))
        assert not any("\u200b" in n or "\ufeff" in n or not n.strip() for n in names)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Estate)) == 2


def test_every_op_schema_reads_its_names_trimmed():
    """Do the renovation chain's ops read their words the same way: an acceptance's engineer
    of nothing visible refused, a signer's name and a note trimmed?"""
    from marshmallow import ValidationError

    from sync.renovation_schemas import AcceptanceRecordSchema, NoticeDeliverSchema
    from webapp import vocab

    checklist = vocab.ACCEPTANCE_CHECKLISTS[vocab.ACCEPTANCE_CHECKLIST_VERSION]
    acceptance = {
        "id": str(uuid.uuid4()),
        "code": "X",
        "checklist_version": vocab.ACCEPTANCE_CHECKLIST_VERSION,
        "answers": {i["key"]: "yes" for i in checklist},
        "result": "passed",
    }
    for value in BLANKS:
        with pytest.raises(ValidationError) as refused:
            AcceptanceRecordSchema().load({**acceptance, "engineer": value})
        assert "engineer" in refused.value.messages
    kept = AcceptanceRecordSchema().load(
        {**acceptance, "engineer": "\u200b林工程師 ", "note": "\u3000"}
    )
    assert (kept["engineer"], kept["note"]) == ("林工程師", "")
    delivered = NoticeDeliverSchema().load(
        {"id": str(uuid.uuid4()), "notice_id": str(uuid.uuid4()), "method": "owner",
         "recipient": "\ufeff陳美玲\u200b"}
    )  # fmt: skip
    assert delivered["recipient"] == "陳美玲"
