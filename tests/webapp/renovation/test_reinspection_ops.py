"""Re-inspection on the deadline (issue 20, item 3): ``reinspect.result`` closes a notice
rectified or escalates it to a stop-work notice 《停工通知》 with a ``stop_work`` alert (once),
a later rectified re-inspection lifts the stop-work; a second notice on one permit is marked
repeat; each op is checked by its schema, idempotent, and quarantined when rejected."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.sync.conftest import drain
from tests.webapp.renovation.test_notice_ops import _op, _results, issue_op
from webapp.extensions import db
from webapp.models.jobs import AlertEvent
from webapp.models.renovation import RectificationNotice, Reinspection, StopWork
from webapp.models.sync import PhotoLink, QuarantinedOp

PHOTO = "e" * 64


def reinspect_op(notice_id: str, result: str, **more) -> dict:
    return _op("reinspect.result", {"notice_id": notice_id, "result": result, **more})


def _issued(phone, code) -> str:
    issued = issue_op(code)
    [answer] = _results(phone, [issued])
    assert answer["status"] == "applied"
    return issued["payload"]["id"]


def _stop_events(notice_id: str) -> list[AlertEvent]:
    return list(
        db.session.scalars(sa.select(AlertEvent).where(AlertEvent.key == f"stop_work:{notice_id}"))
    )


def test_a_rectified_reinspection_closes_the_notice(app, phone, seed, renovating):
    """Does a re-inspection found rectified close the notice (rectified, with its time), keep
    the re-inspection with its note and photos, and make no stop-work nor alert?"""
    code, _permit = renovating
    notice_id = _issued(phone, code)
    op = reinspect_op(notice_id, "rectified", note="已恢復原狀", photos=[PHOTO])
    [answer] = _results(phone, [op])
    assert answer["status"] == "applied" and answer["data"]["status"] == "rectified"
    assert "stop_work" not in answer["data"]
    with app.app_context():
        notice = db.session.get(RectificationNotice, notice_id)
        assert notice.status == "rectified" and notice.rectified_at is not None
        kept = db.session.get(Reinspection, op["payload"]["id"])
        assert kept.result == "rectified" and kept.note == "已恢復原狀"
        link = db.session.scalar(sa.select(PhotoLink).where(PhotoLink.record_id == kept.id))
        assert link.record_type == "reinspection" and link.sha256 == PHOTO
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(StopWork.notice_id == notice_id))
            == 0
        )
        assert _stop_events(notice_id) == []


def test_not_rectified_escalates_to_a_stop_work_then_a_pass_lifts_it(app, phone, seed, renovating):
    """notice → not rectified → escalated with one stop-work under the notice's number and
    one stop_work alert (a second failure adds neither) → rectified → the notice closes and
    the stop-work is lifted; the pull tells the phone at each step."""
    code, _permit = renovating
    notice_id = _issued(phone, code)
    failed = reinspect_op(notice_id, "not_rectified", note="仍未恢復")
    [answer] = _results(phone, [failed])
    assert answer["status"] == "applied" and answer["data"]["status"] == "escalated"
    with app.app_context():
        notice = db.session.get(RectificationNotice, notice_id)
        stop = db.session.scalar(sa.select(StopWork).where(StopWork.notice_id == notice_id))
        assert notice.status == "escalated" and stop.lifted_at is None
        assert answer["data"]["stop_work"] == notice.number == stop.number
        [event] = _stop_events(notice_id)
        assert event.kind == "stop_work" and event.estate_id == notice.estate_id
        assert event.detail["path"] == f"/renovation/notices/{notice_id}"
        assert notice.number in event.detail["label"]
    changes, cursor = drain(phone)
    [pulled] = [c for c in changes if c["type"] == "notice" and c["id"] == notice_id]
    assert pulled["data"]["status"] == "escalated" and pulled["data"]["stop_work"] is True

    again = reinspect_op(notice_id, "not_rectified")
    [answer] = _results(phone, [again])
    assert answer["data"]["status"] == "escalated"
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(StopWork.notice_id == notice_id))
            == 1
        )
        assert len(_stop_events(notice_id)) == 1, "alerted once, not per failure"

    passed = reinspect_op(notice_id, "rectified")
    [answer] = _results(phone, [passed])
    assert answer["data"]["status"] == "rectified"
    with app.app_context():
        stop = db.session.scalar(sa.select(StopWork).where(StopWork.notice_id == notice_id))
        assert stop.lifted_at is not None and stop.lifted_by == passed["payload"]["id"]
    changes, _ = drain(phone, cursor)
    [pulled] = [c for c in changes if c["type"] == "notice" and c["id"] == notice_id]
    assert pulled["data"]["status"] == "rectified" and pulled["data"]["stop_work"] is False

    late = reinspect_op(notice_id, "not_rectified")
    [answer] = _results(phone, [late])
    assert answer["status"] == "applied" and "already_rectified" in answer["data"]["flags"]
    with app.app_context():
        assert db.session.get(RectificationNotice, notice_id).status == "rectified"


def test_reinspect_is_idempotent_and_a_replay_alerts_nobody_twice(app, phone, seed, renovating):
    """Sent twice, is a failed re-inspection a duplicate the second time — one re-inspection,
    one stop-work, one alert event — and its op id with other content rejected?"""
    code, _permit = renovating
    notice_id = _issued(phone, code)
    failed = reinspect_op(notice_id, "not_rectified")
    assert _results(phone, [failed])[0]["status"] == "applied"
    assert _results(phone, [failed])[0]["status"] == "duplicate"
    reused = dict(failed, payload={**failed["payload"], "result": "rectified"})
    [answer] = _results(phone, [reused])
    assert (answer["status"], answer["error"]) == ("rejected", "op_id_reused")
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(Reinspection.notice_id == notice_id))
            == 1
        )
        assert len(_stop_events(notice_id)) == 1
        assert db.session.get(RectificationNotice, notice_id).status == "escalated"


BAD = [
    ({"result": "rectified"}, "validation"),  # no notice_id
    ({"notice_id": "N", "result": "maybe"}, "validation"),
    ({"notice_id": "N", "result": "rectified", "note": "x" * 2001}, "validation"),
    ({"notice_id": "N", "result": "rectified", "photos": ["not-a-sha"]}, "validation"),
    ({"notice_id": str(uuid.uuid4()), "result": "rectified"}, "unknown_notice"),
]


@pytest.mark.parametrize(("payload", "error"), BAD)
def test_a_rejected_reinspection_is_kept_in_the_quarantine(
    app, phone, seed, renovating, payload, error
):
    """Is each malformed or unplaceable re-inspection rejected with its reason and kept in the
    quarantine as sent, the notice unchanged?"""
    code, _permit = renovating
    notice_id = _issued(phone, code)
    payload = {k: (notice_id if v == "N" else v) for k, v in payload.items()}
    bad = _op("reinspect.result", payload)
    [answer] = _results(phone, [bad])
    assert (answer["status"], answer["error"]) == ("rejected", error)
    with app.app_context():
        kept = db.session.scalar(
            sa.select(QuarantinedOp).where(QuarantinedOp.op_id == bad["op_id"])
        )
        assert kept is not None and kept.error == error
        assert db.session.get(RectificationNotice, notice_id).status == "issued"


def test_a_second_notice_on_the_same_permit_is_a_repeat(app, phone, seed, renovating):
    """Is the first notice on a permit not a repeat and the second marked 列為再次違規 (in the
    answer, the record and the pull), while a notice with no permit never is?"""
    code, _permit = renovating
    first, second = issue_op(code), issue_op(code)
    answers = _results(phone, [first, second])
    assert [a["data"]["repeat"] for a in answers] == [False, True]
    with app.app_context():
        assert db.session.get(RectificationNotice, first["payload"]["id"]).repeat is False
        assert db.session.get(RectificationNotice, second["payload"]["id"]).repeat is True
    changes, _ = drain(phone)
    pulled = {c["id"]: c["data"]["repeat"] for c in changes if c["type"] == "notice"}
    assert pulled[second["payload"]["id"]] is True and pulled[first["payload"]["id"]] is False


def test_another_estates_notice_is_unknown(app, phone, seed, renovating):
    """A re-inspection naming a notice of an estate the phone's user does not see: is it
    rejected as unknown, exactly as a notice not yet synced (no existence leak)?"""
    code, _permit = renovating
    notice_id = _issued(phone, code)
    with app.app_context():
        notice = db.session.get(RectificationNotice, notice_id)
        notice.estate_id, notice.seq = seed.estate_ids[1], 9999
        db.session.commit()
    [answer] = _results(phone, [reinspect_op(notice_id, "not_rectified")])
    assert (answer["status"], answer["error"]) == ("rejected", "unknown_notice")
