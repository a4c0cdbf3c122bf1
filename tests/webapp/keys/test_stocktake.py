"""Stocktake at the shift handover: exact differences; both shifts sign; logged."""

from __future__ import annotations

import sqlalchemy as sa

from tests.sync.conftest import T0, lend_op
from tests.webapp.keys.conftest import key_codes, key_of, op, push_one
from webapp.extensions import db
from webapp.keys.stocktake import compare
from webapp.models import Key
from webapp.models.keys import Handover


def test_differences_are_exact_for_in_out_issued_and_missing():
    """Are the lists exactly: in-but-unscanned, and scanned-but-out/issued/disputed?"""
    statuses = {1: "in", 2: "in", 3: "in", 4: "out", 5: "issued", 6: "disputed", 7: "out"}
    diff = compare(statuses, scanned={1, 2, 4, 5}, unknown=["ZZZ"])
    assert diff.missing == [3]
    assert diff.unexpected == [4, 5]
    assert diff.unknown == ["ZZZ"]
    assert compare(statuses, scanned={1, 2, 3}).missing == []


def test_a_handover_is_signed_by_both_shifts_and_logged(app, client, auth, make_phone, seed):
    """Does a handover with a key out, one issued, one missing log exact differences?"""
    desk = make_phone("desk", "desk")
    estate = seed.estate_ids[0]
    out_code, scanned_in = key_codes(app, estate, "public_area", 2)
    (issued_code,) = key_codes(app, estate, "owner")
    push_one(desk, lend_op(out_code, T0))
    push_one(desk, op("key.issue", T0, code=issued_code, owner_name="業主"))
    with app.app_context():
        in_ids = list(
            db.session.scalars(
                sa.select(Key.id).where(Key.estate_id == estate, Key.status == "in", Key.active)
            )
        )
    missing_id = key_of(app, scanned_in).id
    ticked = [i for i in in_ids if i != missing_id]
    auth.login("desk")
    token = auth.csrf("/keys/handover")
    form = {
        "csrf_token": token,
        "estate": str(estate),
        "key": [str(i) for i in ticked] + [str(key_of(app, issued_code).id)],
        "codes": out_code,
        "incoming_username": "supervisor",
        "incoming_password": "wrong",
    }
    assert client.post("/keys/handover", data=form).status_code == 422
    form["incoming_password"] = "supervisor-demo"
    assert client.post("/keys/handover", data=form).status_code == 303
    away = sorted([key_of(app, out_code).id, key_of(app, issued_code).id])
    with app.app_context():
        (entry,) = db.session.scalars(sa.select(Handover)).all()
        assert entry.missing == [missing_id]
        assert entry.unexpected == away
        assert entry.incoming_name == "林淑芬"
    page = client.get("/keys/handover").get_data(as_text=True)
    assert "前臺交接日志" in page and "林淑芬" in page


def test_a_ticked_key_that_is_no_plain_number_is_left_out(app, client, auth, seed):
    """Was a ticked key of "²" (isdigit, but no int) a 500 instead of the form again?"""
    auth.login("desk")
    token = auth.csrf("/keys/handover")
    form = {"csrf_token": token, "key": ["²", "99999999999999999999", "x"], "codes": ""}
    response = client.post("/keys/handover", data=form)
    assert response.status_code == 422  # nobody signed for the incoming shift
