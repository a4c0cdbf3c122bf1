"""Pull of phone-made records: findings (with their workflow status) and recent checks."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from sync import feed
from tests.sync.conftest import check_op, codes_of, drain, finding_op
from webapp.extensions import db
from webapp.models import User, utcnow
from webapp.models.sync import Check, Finding
from webapp.review import workflow


def _of(changes, kind, obj_id):
    return [c for c in changes if c["type"] == kind and c["id"] == obj_id]


def _push_ok(phone, ops):
    response = phone.push(ops)
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["applied"] * len(ops), results
    return results


def test_a_pushed_finding_is_in_the_snapshot_and_the_next_incremental_pull(app, phone, seed):
    """Does a finding made by push reach phones, both in a fresh snapshot and since a cursor?"""
    _, cursor = drain(phone)
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    op = finding_op(code, at=utcnow() - timedelta(hours=1), photos=["a" * 64])
    _push_ok(phone, [op])
    fid = op["payload"]["id"]

    since, _ = drain(phone, cursor)
    [change] = _of(since, "finding", fid)
    assert change["deleted"] is False
    data = change["data"]
    assert data["status"] == "open" and data["severity"] == "medium"
    assert data["category"] == "漏水" and data["note"] == "天花板滲水"
    assert data["code"] == code and data["item_type"] == "unit" and data["item_id"]
    assert data["estate_id"] == seed.estate_ids[0] and data["photos"] == ["a" * 64]
    assert data["department"] is None and data["due_at"] is None and data["occurred_at"]
    # The op that made it (phones dedupe their own entries on it) and who recorded it.
    assert data["op_id"] == op["op_id"] and data["by"]

    snapshot, _ = drain(phone)
    [again] = _of(snapshot, "finding", fid)
    assert again["data"] == data


def test_a_workflow_move_reaches_the_next_pull_with_a_higher_version(app, phone, seed):
    """Does a supervisor's dispatch show on the phone's next pull, department and due date too?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    op = finding_op(code, at=utcnow() - timedelta(hours=1))
    _push_ok(phone, [op])
    fid = op["payload"]["id"]
    first, cursor = drain(phone)
    [before] = _of(first, "finding", fid)

    due = utcnow() + timedelta(days=2)
    with app.app_context():
        boss = db.session.get(User, seed.user_ids["supervisor"])
        finding = db.session.get(Finding, fid)
        workflow.move(db.session, boss, finding, "dispatched", department="engineering", due_at=due)
        db.session.commit()

    since, cursor = drain(phone, cursor)
    [after] = _of(since, "finding", fid)
    assert after["version"] > before["version"]
    assert after["data"]["status"] == "dispatched"
    assert after["data"]["department"] == "engineering" and after["data"]["due_at"]

    with app.app_context():
        engineer = db.session.get(User, seed.user_ids["engineer"])
        workflow.move(db.session, engineer, db.session.get(Finding, fid), "fixed")
        db.session.commit()
    later, _ = drain(phone, cursor)
    [fixed] = _of(later, "finding", fid)
    assert fixed["version"] > after["version"] and fixed["data"]["status"] == "fixed"


def test_a_pushed_check_reaches_phones(app, phone, make_phone, seed):
    """Does one patroller's check reach another phone of the estate, with what the item page
    shows?"""
    other = make_phone("supervisor", "desk phone")
    _, cursor = drain(other)
    code = codes_of(app, seed.estate_ids[0], "sign", 1)[0]
    at = utcnow() - timedelta(hours=3)
    op = check_op(code, at=at, result="issue", note="燈不亮", round_id="r-1", photos=["b" * 64])
    _push_ok(phone, [op])
    cid = op["payload"]["id"]

    since, _ = drain(other, cursor)
    [change] = _of(since, "check", cid)
    data = change["data"]
    assert data["code"] == code and data["item_type"] == "sign" and data["item_id"]
    assert data["result"] == "issue" and data["note"] == "燈不亮" and data["method"] == "scan"
    assert data["round_id"] == "r-1" and data["photos"] == ["b" * 64]
    assert data["op_id"] == op["op_id"] and data["by"]
    assert data["estate_id"] == seed.estate_ids[0] and data["occurred_at"].startswith(
        at.isoformat()[:19]
    )
    snapshot, _ = drain(other)
    assert _of(snapshot, "check", cid)


def test_another_estates_findings_and_checks_never_appear(app, phone, make_phone, seed):
    """Does a phone of estate A never see estate B's findings or checks, snapshot or since?"""
    _, cursor = drain(phone)
    theirs = make_phone("patrol2")
    code = codes_of(app, seed.estate_ids[1], "unit", 1)[0]
    at = utcnow() - timedelta(hours=1)
    ops = [finding_op(code, at=at), check_op(code, at=at)]
    _push_ok(theirs, ops)
    ids = {op["payload"]["id"] for op in ops}

    since, _ = drain(phone, cursor)
    snapshot, _ = drain(phone)
    assert not [c for c in since + snapshot if c["id"] in ids]
    # ...while their own phone does see them (the test could fail).
    own, _ = drain(theirs)
    assert {c["id"] for c in own if c["type"] in ("finding", "check")} >= ids


def test_checks_older_than_the_retention_window_are_not_in_a_snapshot(app, phone, seed):
    """Is a check older than the retention window left out of a snapshot (and sent as no
    tombstone), while a recent one of the same item is there?"""
    code = codes_of(app, seed.estate_ids[0], "key", 1)[0]
    now = utcnow()
    old = check_op(code, at=now - feed.CHECK_RETENTION - timedelta(days=1))
    new = check_op(code, at=now - feed.CHECK_RETENTION + timedelta(days=1))
    _push_ok(phone, [old, new])

    snapshot, cursor = drain(phone)
    assert _of(snapshot, "check", new["payload"]["id"])
    assert not _of(snapshot, "check", old["payload"]["id"])

    # A feed row written long ago (a check that aged out since) is skipped, not a tombstone.
    with app.app_context():
        db.session.execute(
            sa.update(Check)
            .where(Check.id == new["payload"]["id"])
            .values(occurred_at=now - feed.CHECK_RETENTION - timedelta(days=2))
        )
        feed.touch(db.session, "check", new["payload"]["id"], seed.estate_ids[0])
        db.session.commit()
    since, _ = drain(phone, cursor)
    assert not _of(since, "check", new["payload"]["id"])
