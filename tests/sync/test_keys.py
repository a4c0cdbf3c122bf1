"""Key lends and returns through push: conflicts stored, disputes set and cleared by history."""

from __future__ import annotations

import sqlalchemy as sa

from tests.sync.conftest import T0, codes_of, lend_op, minutes, return_op
from webapp.extensions import db
from webapp.models import Key, LabelCode
from webapp.models.sync import KeyEvent


def _key(app, code):
    with app.app_context():
        item_id = db.session.scalar(sa.select(LabelCode.item_id).where(LabelCode.code == code))
        key = db.session.get(Key, item_id)
        events = db.session.scalar(
            sa.select(sa.func.count()).select_from(KeyEvent).where(KeyEvent.key_id == item_id)
        )
        return key.status, key.holder, events


def _status(phone, op):
    response = phone.push([op])
    assert response.status_code == 200
    return response.get_json()["results"][0]["status"]


def test_double_lend_from_two_devices_in_both_orders_is_stored_and_disputed(app, make_phone, seed):
    """Is an offline double lend stored whole and the key disputed, whichever syncs first?"""
    one, two = make_phone("patrol", "one"), make_phone("desk", "two")
    for first_is_earlier in (True, False):
        code = codes_of(app, seed.estate_ids[0], "key", 2, status="in")[int(first_is_earlier)]
        early = lend_op(code, T0, name="甲")
        late = lend_op(code, T0 + minutes(10), name="乙")
        order = [(one, early), (two, late)] if first_is_earlier else [(two, late), (one, early)]
        answers = [_status(p, op) for p, op in order]
        assert answers == ["applied", "conflict"]
        status, holder, events = _key(app, code)
        assert (status, holder["name"], events) == ("disputed", "乙", 2)


def test_a_return_that_arrives_before_its_lend_clears_once_the_lend_arrives(app, phone, seed):
    """Does an early-arriving return dispute the key, and the late lend clear it?"""
    code = codes_of(app, seed.estate_ids[0], "key", 1, status="in")[0]
    assert _status(phone, return_op(code, T0 + minutes(30))) == "conflict"
    assert _key(app, code)[0] == "disputed"
    assert _status(phone, lend_op(code, T0)) == "applied"
    status, holder, events = _key(app, code)
    assert (status, holder, events) == ("in", None, 2)
    with app.app_context():
        key_id = db.session.scalar(sa.select(LabelCode.item_id).where(LabelCode.code == code))
        mine = sa.select(KeyEvent).where(KeyEvent.key_id == key_id)
        events = db.session.scalars(mine).all()
        assert [e.inconsistent for e in events] == [False, False]
        # The answer given at the time is kept: the return was answered conflict.
        assert sorted(e.conflict for e in events) == [False, True]


def test_a_lend_of_an_issued_key_is_a_conflict(app, phone, seed):
    """Is lending a key issued to its owner stored, answered conflict and disputed?"""
    code = codes_of(app, seed.estate_ids[0], "key", 1, status="issued")[0]
    assert _status(phone, lend_op(code, T0)) == "conflict"
    assert _key(app, code)[0] == "disputed"


def test_a_key_op_on_a_unit_code_is_rejected(app, phone, seed):
    """Is a lend naming a unit's code rejected (wrong_item) rather than applied somewhere?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    result = phone.push([lend_op(code)]).get_json()["results"][0]
    assert (result["status"], result["error"]) == ("rejected", "wrong_item")
