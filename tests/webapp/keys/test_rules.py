"""The register's rules through the sync merge: equipment-room approvals, owner issue, and a
supervisor's resolution of a dispute."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.keys import APPROVERS
from tests.sync.conftest import T0, lend_op, minutes, return_op
from tests.webapp.keys.conftest import key_codes, key_of, op, push_one
from webapp.extensions import db
from webapp.models.keys import KeyApproval
from webapp.models.sync import KeyEvent, QuarantinedOp


def _events(app, code):
    key = key_of(app, code)
    with app.app_context():
        return [
            (e.action, e.unapproved, e.inconsistent)
            for e in db.session.scalars(
                sa.select(KeyEvent).where(KeyEvent.key_id == key.id).order_by(KeyEvent.seq)
            )
        ]


def test_an_equipment_room_lend_without_approval_is_stored_and_flagged(app, make_phone, seed):
    """Is an offline lend of an equipment-room key with no approval stored, flagged unapproved?"""
    desk = make_phone("desk", "desk")
    (code,) = key_codes(app, seed.estate_ids[0], "equipment_room")
    result = push_one(desk, lend_op(code, T0, name="陳師傅"))
    assert result["status"] == "applied"
    assert "unapproved" in result["data"]["flags"]
    assert key_of(app, code).status == "out"
    assert _events(app, code) == [("lend", True, False)]


def test_an_approval_before_the_lend_lets_it_out_once(app, make_phone, seed):
    """Does engineering's approval (given before, device time) clear one lend, and only one?"""
    engineer, desk = make_phone("engineer", "eng"), make_phone("desk", "desk")
    (code,) = key_codes(app, seed.estate_ids[0], "equipment_room")
    assert (
        push_one(engineer, op("key.approve", T0, code=code, note="水泵檢修"))["status"] == "applied"
    )
    first = push_one(desk, lend_op(code, T0 + minutes(5)))
    assert "unapproved" not in first.get("data", {}).get("flags", [])
    push_one(desk, return_op(code, T0 + minutes(60)))
    second = push_one(desk, lend_op(code, T0 + minutes(90)))
    assert "unapproved" in second["data"]["flags"]
    assert _events(app, code) == [
        ("lend", False, False),
        ("return", False, False),
        ("lend", True, False),
    ]
    with app.app_context():
        used = db.session.scalars(sa.select(KeyApproval.used_by_event_id)).all()
        assert len(used) == 1 and used[0] is not None


def test_an_approval_after_the_lend_does_not_count(app, make_phone, seed):
    """Is a lend flagged when the only approval was given after it (approval comes first)?"""
    engineer, desk = make_phone("engineer", "eng"), make_phone("desk", "desk")
    (code,) = key_codes(app, seed.estate_ids[0], "equipment_room")
    push_one(engineer, op("key.approve", T0 + minutes(10), code=code))
    assert "unapproved" in push_one(desk, lend_op(code, T0))["data"]["flags"]


@pytest.mark.parametrize("username", ["patrol", "supervisor", "admin", "desk"])
def test_only_engineering_approves_through_sync(app, make_phone, seed, username):
    """Is a key.approve from anyone but engineering (a supervisor and an admin included: the
    rulebook names engineering alone) refused (quarantined, forbidden), not stored?"""
    phone = make_phone(username, "p")
    (code,) = key_codes(app, seed.estate_ids[0], "equipment_room")
    result = push_one(phone, op("key.approve", T0, code=code))
    assert (result["status"], result["error"]) == ("rejected", "forbidden")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KeyApproval)) == 0


@pytest.mark.parametrize("username", ["engineer", "admin"])
def test_keys_are_handed_out_only_by_who_handles_them(app, make_phone, seed, username):
    """Engineering approves an equipment-room lend and must not make one (the approver lending
    to itself); an estate's admin keeps the registry. Is a lend, a return or an owner issue
    pushed from their phones refused (quarantined, forbidden: kept, never applied), and the
    key untouched — while the patrol's and the desk's go through?"""
    phone = make_phone(username, "p")
    (unit_key,) = key_codes(app, seed.estate_ids[0], "public_area")
    (owner_key,) = key_codes(app, seed.estate_ids[0], "owner")
    for attempt in (
        lend_op(unit_key, T0),
        return_op(unit_key, T0 + minutes(5)),
        op("key.issue", T0, code=owner_key, owner_name="陳美玲"),
    ):
        result = push_one(phone, attempt)
        assert (result["status"], result["error"]) == ("rejected", "forbidden"), attempt["type"]
        assert "engineering approves" in result["message"]
    assert key_of(app, unit_key).status == "in" and key_of(app, owner_key).status == "in"
    assert _events(app, unit_key) == [] and _events(app, owner_key) == []
    with app.app_context():
        kept = db.session.scalars(
            sa.select(QuarantinedOp.error).where(QuarantinedOp.device_id == phone.device_id)
        ).all()
        assert kept == ["forbidden"] * 3
    for handler in ("patrol", "desk"):
        (code,) = key_codes(app, seed.estate_ids[0], "public_area")
        assert push_one(make_phone(handler, "h"), lend_op(code, T0))["status"] == "applied"


def test_the_protocol_doc_names_the_approvers_the_code_uses():
    """Does docs/sync-protocol.md name as approvers exactly the roles of sync.keys.APPROVERS?"""
    doc = (Path(__file__).parents[3] / "docs" / "sync-protocol.md").read_text(encoding="utf-8")
    (row,) = [line for line in doc.splitlines() if line.startswith("| `key.approve` |")]
    said = row.split("from ", 1)[1].split("(", 1)[0]
    assert set(re.findall(r"`(\w+)`", said)) == set(APPROVERS)


@pytest.mark.parametrize("username", ["supervisor", "admin"])
def test_only_engineering_approves_at_the_desk(app, client, auth, seed, username):
    """Is the desk's approval form refused to a supervisor and an admin (403), and not
    offered to a supervisor on the desk page, while engineering's approval is stored?"""
    (code,) = key_codes(app, seed.estate_ids[0], "equipment_room")
    auth.login(username)
    page = client.get("/keys/desk")
    if page.status_code == 200:
        assert 'action="/keys/approve"' not in page.get_data(as_text=True)
    token = auth.csrf("/") if username == "admin" else auth.csrf("/keys/desk")
    response = client.post("/keys/approve", data={"csrf_token": token, "code": code})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KeyApproval)) == 0
    auth.logout()
    auth.login("engineer")
    token = auth.csrf("/keys/desk")
    response = client.post("/keys/approve", data={"csrf_token": token, "code": code})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KeyApproval)) == 1


def test_the_approval_rule_holds_online_at_the_desk(app, client, auth, seed):
    """Does the desk's online lend of an unapproved equipment-room key get refused with a reason?"""
    (code,) = key_codes(app, seed.estate_ids[0], "equipment_room")
    auth.login("desk")
    response = client.post(
        "/keys/lend",
        data={
            "csrf_token": auth.csrf("/keys/"),
            "code": code,
            "borrower_name": "陳師傅",
            "borrower_type": "contractor",
            "purpose": "檢修",
        },
    )
    assert response.status_code == 422
    assert key_of(app, code).status == "in"


def test_an_owner_key_is_issued_at_move_in(app, make_phone, seed):
    """Does key.issue mark an owner key issued to its owner, and a later lend conflict?"""
    desk = make_phone("desk", "desk")
    (code,) = key_codes(app, seed.estate_ids[0], "owner")
    result = push_one(desk, op("key.issue", T0, code=code, owner_name="李大文"))
    assert result["status"] == "applied"
    key = key_of(app, code)
    assert (key.status, key.holder_name, key.holder_type) == ("issued", "李大文", "owner")
    assert push_one(desk, lend_op(code, T0 + minutes(5)))["status"] == "conflict"
    assert key_of(app, code).status == "disputed"


def test_only_owner_keys_are_issued(app, make_phone, seed):
    """Is issuing an equipment-room key to an owner refused and nothing stored?"""
    desk = make_phone("desk", "desk")
    (code,) = key_codes(app, seed.estate_ids[0], "equipment_room")
    assert (
        push_one(desk, op("key.issue", T0, code=code, owner_name="李大文"))["status"] == "rejected"
    )
    assert _events(app, code) == []
    assert key_of(app, code).status == "in"


def test_a_supervisor_resolves_a_dispute_and_both_events_stay(app, client, auth, make_phone, seed):
    """Does resolving keep both conflicting events, settle the key, and keep the chain whole?"""
    one, two = make_phone("patrol", "one"), make_phone("desk", "two")
    (code,) = key_codes(app, seed.estate_ids[0], "public_area")
    push_one(one, lend_op(code, T0, name="甲"))
    push_one(two, lend_op(code, T0 + minutes(10), name="乙"))
    key = key_of(app, code)
    assert key.status == "disputed"
    auth.login("supervisor")
    token = auth.csrf("/keys/disputes")
    refused = client.post(f"/keys/{key.id}/resolve", data={"csrf_token": token, "status": "in"})
    assert refused.status_code == 422 and key_of(app, code).status == "disputed"
    assert "請寫下說明" in refused.get_data(as_text=True)
    # A holder over the column was cut to 120 and stored: refused beside the field, kept.
    holder = "陳" * 120 + "尾"
    long = client.post(
        f"/keys/{key.id}/resolve",
        data={"csrf_token": token, "status": "out", "holder_name": holder, "note": "借出中"},
    )
    page = long.get_data(as_text=True)
    assert long.status_code == 422 and key_of(app, code).status == "disputed"
    assert "最多 120 個字元" in page and holder in page and "借出中" in page
    response = client.post(
        f"/keys/{key.id}/resolve",
        data={"csrf_token": token, "status": "in", "note": "兩把都已歸還，監控確認"},
    )
    assert response.status_code == 303
    assert key_of(app, code).status == "in"
    assert [a for a, _u, _i in _events(app, code)] == ["lend", "lend", "settle"]
    assert push_one(one, lend_op(code, T0 + minutes(600), name="丙"))["status"] == "applied"
    assert app.test_cli_runner().invoke(args=["keys", "verify-chain"]).exit_code == 0


def test_the_desk_may_not_resolve(app, client, auth, make_phone, seed):
    """Is a front-desk user refused the resolve action (supervisors resolve)?"""
    one, two = make_phone("patrol", "one"), make_phone("desk", "two")
    (code,) = key_codes(app, seed.estate_ids[0], "public_area")
    push_one(one, lend_op(code, T0))
    push_one(two, lend_op(code, T0 + minutes(1)))
    auth.login("desk")
    token = auth.csrf("/keys/disputes")
    response = client.post(
        f"/keys/{key_of(app, code).id}/resolve",
        data={"csrf_token": token, "status": "in", "note": "x"},
    )
    assert response.status_code == 403
    assert key_of(app, code).status == "disputed"
