"""A check that was not scanned says why (``manual_reason``); an older app's does not, and
still applies, flagged on the desktop."""

from __future__ import annotations

import sqlalchemy as sa

from tests.sync.conftest import check_op, codes_of
from webapp.extensions import db
from webapp.models.sync import Check, QuarantinedOp


def _results(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def test_a_manual_or_typed_checks_reason_is_stored(app, phone, seed):
    """Is the reason of a picked and of a typed check stored with each check?"""
    a, b = codes_of(app, seed.estate_ids[0], "unit", 2)
    picked = check_op(a, method="manual", manual_reason="label_missing")
    typed = check_op(b, method="typed", manual_reason="camera_unavailable")
    assert [r["status"] for r in _results(phone.push([picked, typed]))] == ["applied"] * 2
    ids = [picked["payload"]["id"], typed["payload"]["id"]]
    with app.app_context():
        stored = {
            c.id: (c.method, c.manual_reason)
            for c in db.session.scalars(sa.select(Check).where(Check.id.in_(ids)))
        }
    assert stored == {
        picked["payload"]["id"]: ("manual", "label_missing"),
        typed["payload"]["id"]: ("typed", "camera_unavailable"),
    }


def test_an_unknown_reason_is_rejected_and_the_batch_goes_on(app, phone, seed):
    """Is a reason outside the list rejected (kept in the quarantine) while the batch's other
    ops apply?"""
    a, b = codes_of(app, seed.estate_ids[0], "unit", 2)
    bad = check_op(a, method="manual", manual_reason="felt_like_it")
    good = check_op(b, method="manual", manual_reason="other", note="標籤被油漆蓋住")
    results = _results(phone.push([bad, good]))
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert results[0]["error"] == "validation"
    assert "manual_reason" in results[0]["data"]["fields"]
    with app.app_context():
        assert db.session.get(Check, bad["payload"]["id"]) is None
        assert db.session.get(Check, good["payload"]["id"]).manual_reason == "other"
        held = db.session.scalars(sa.select(QuarantinedOp.op_id)).all()
    assert held == [bad["op_id"]]


def test_a_scan_with_a_reason_is_rejected(app, phone, seed):
    """Is a scanned check that gives a reason for not scanning rejected as invalid?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    op = check_op(code, method="scan", manual_reason="label_damaged")
    result = _results(phone.push([op]))[0]
    assert (result["status"], result["error"]) == ("rejected", "validation")
    with app.app_context():
        assert db.session.get(Check, op["payload"]["id"]) is None


def test_a_manual_check_from_an_older_app_applies_without_a_reason(app, phone, seed):
    """Does a manual check with no reason (an app older than the reason) still apply, with no
    reason stored, and a scan store none either?"""
    a, b = codes_of(app, seed.estate_ids[0], "unit", 2)
    old = check_op(a, method="manual")
    scan = check_op(b)
    assert [r["status"] for r in _results(phone.push([old, scan]))] == ["applied"] * 2
    with app.app_context():
        assert db.session.get(Check, old["payload"]["id"]).manual_reason is None
        assert db.session.get(Check, scan["payload"]["id"]).manual_reason is None
