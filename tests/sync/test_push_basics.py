"""Push: the four statuses, idempotency by op_id + content hash, clocks, and the quarantine."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.sync.conftest import T0, check_op, codes_of, finding_op, lend_op
from webapp.extensions import db
from webapp.models import Device
from webapp.models.sync import Check, Finding, QuarantinedOp, SyncOp


def _statuses(response):
    assert response.status_code == 200, response.get_json()
    return [r["status"] for r in response.get_json()["results"]]


def test_a_check_is_applied_once_and_a_replay_is_a_duplicate(app, phone, seed):
    """Is a check stored once, with a replay answered duplicate and nothing stored twice?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    op = check_op(code)
    assert _statuses(phone.push([op])) == ["applied"]
    assert _statuses(phone.push([op, op])) == ["duplicate", "duplicate"]
    with app.app_context():
        count = sa.select(sa.func.count()).select_from(Check).where(Check.op_id == op["op_id"])
        assert db.session.scalar(count) == 1
        check = db.session.get(Check, op["payload"]["id"])
        assert check.op_id == op["op_id"] and check.result == "ok"


def test_the_same_op_from_another_device_of_the_same_user_is_a_duplicate(app, make_phone, seed):
    """Does a second phone of the same user get duplicate for an op the first stored?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    op = check_op(code)
    one, two = make_phone("patrol", "a"), make_phone("patrol", "b")
    assert _statuses(one.push([op])) == ["applied"]
    assert _statuses(two.push([op])) == ["duplicate"]


def test_an_op_id_reused_with_other_content_is_rejected_and_quarantined(app, phone, seed):
    """Is the same op_id with other content rejected op_id_reused, and kept for review?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    op = check_op(code)
    assert _statuses(phone.push([op])) == ["applied"]
    other = copy.deepcopy(op)
    other["payload"]["result"] = "issue"
    result = phone.push([other]).get_json()["results"][0]
    assert (result["status"], result["error"]) == ("rejected", "op_id_reused")
    phone.push([other])
    with app.app_context():
        rows = db.session.scalars(sa.select(QuarantinedOp)).all()
        assert [(q.op_id, q.error) for q in rows] == [(op["op_id"], "op_id_reused")]
        assert db.session.get(Check, op["payload"]["id"]).result == "ok"


def test_an_unknown_code_and_another_estates_code_are_rejected_alike(app, phone, seed):
    """Are an unknown code and a code of an estate the user cannot see rejected the same way?"""
    foreign = codes_of(app, seed.estate_ids[1], "unit", 1)[0]
    results = phone.push([check_op("0" * 16), check_op(foreign)]).get_json()["results"]
    assert [(r["status"], r["error"]) for r in results] == [("rejected", "unknown_code")] * 2
    assert results[0]["message"] == results[1]["message"]


def test_one_bad_op_does_not_sink_the_others_and_results_keep_their_order(app, phone, seed):
    """Do results come one per op, in order, with a bad op rejected between good ones?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    bad = check_op(code, result="maybe")
    ops = [check_op(code), bad, {"op_id": "x"}, check_op(code)]
    results = phone.push(ops).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "applied"]
    assert [r["op_id"] for r in results] == [ops[0]["op_id"], bad["op_id"], "x", ops[3]["op_id"]]
    assert results[1]["error"] == "validation"


def test_device_time_and_receipt_time_are_both_kept_and_skew_is_flagged_not_refused(
    app, phone, seed
):
    """Is an op with a clock far off applied, with both times stored and the skew flagged?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    skewed = check_op(code, at=datetime(2020, 1, 1, tzinfo=UTC))
    fine = check_op(code, at=datetime.now(UTC) - timedelta(minutes=1))
    results = phone.push([skewed, fine]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert "clock_skew" in results[0]["data"]["flags"]
    with app.app_context():
        op = db.session.get(SyncOp, skewed["op_id"])
        assert op.occurred_at == datetime(2020, 1, 1, tzinfo=UTC)
        assert op.received_at > op.occurred_at and op.clock_skewed
        assert not db.session.get(SyncOp, fine["op_id"]).clock_skewed


def test_a_finding_is_stored_on_a_code_or_at_a_place(app, phone, seed):
    """Is a finding stored both on a coded item and at a named place of an estate?"""
    code = codes_of(app, seed.estate_ids[0], "sign", 1)[0]
    on_item = finding_op(code)
    at_place = finding_op(None, estate_id=seed.estate_ids[0], location="東門車道")
    elsewhere = finding_op(None, estate_id=seed.estate_ids[1], location="東門車道")
    results = phone.push([on_item, at_place, elsewhere]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "rejected"]
    with app.app_context():
        assert db.session.get(Finding, on_item["payload"]["id"]).item_type == "sign"
        assert db.session.get(Finding, at_place["payload"]["id"]).location == "東門車道"


def test_push_records_pending_and_last_sync_for_the_devices_page(app, phone, seed):
    """Does a push record how many ops the phone still holds and when it last synced?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    phone.push([check_op(code)], pending=7)
    with app.app_context():
        device = db.session.get(Device, phone.device_id)
        assert device.pending_count == 7 and device.last_sync_at is not None


def test_a_retired_code_still_names_its_item_and_is_flagged(app, phone, seed):
    """Is an op on a retired code applied to its item and flagged retired_code?"""
    from webapp.models import LabelCode

    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    with app.app_context():
        row = db.session.scalar(sa.select(LabelCode).where(LabelCode.code == code))
        row.active = False
        db.session.commit()
    result = phone.push([check_op(code)]).get_json()["results"][0]
    assert result["status"] == "applied" and "retired_code" in result["data"]["flags"]


def test_a_lend_answers_with_the_keys_new_custody(app, phone, seed):
    """Does a lend answer applied with the key now out to the borrower?"""
    code = codes_of(app, seed.estate_ids[0], "key", 1, status="in")[0]
    result = phone.push([lend_op(code, T0)]).get_json()["results"][0]
    assert result["status"] == "applied"
    assert result["data"]["key"] == {
        "status": "out",
        "holder": {"name": "陳師傅", "type": "contractor"},
    }


def test_the_same_new_op_twice_in_one_batch_is_stored_once(app, phone, seed):
    """Is a new op sent twice within one push applied once and answered duplicate the second
    time?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    op = check_op(code)
    lend = lend_op(codes_of(app, seed.estate_ids[0], "key", 1, status="in")[0])
    assert _statuses(phone.push([op, lend, op, lend])) == [
        "applied",
        "applied",
        "duplicate",
        "duplicate",
    ]
    with app.app_context():
        count = sa.select(sa.func.count()).select_from(SyncOp)
        assert db.session.scalar(count.where(SyncOp.op_id.in_([op["op_id"], lend["op_id"]]))) == 2
