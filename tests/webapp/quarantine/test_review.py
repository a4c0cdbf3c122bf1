"""The quarantine review: apply a rejected op again once its cause is gone, or dismiss it."""

from __future__ import annotations

import copy

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token_from
from tests.sync.conftest import T0, Phone, check_op, codes_of, issue_device
from webapp.extensions import db
from webapp.models import Estate, User
from webapp.models.audit import AuditEvent
from webapp.models.sync import Check, QuarantinedOp


@pytest.fixture
def phone(app, client, seed):
    device_id, token = issue_device(app, "patrol")
    return Phone(client, device_id, token)


def _reject_foreign_check(app, phone, seed) -> tuple[dict, int]:
    """The patroller scans a unit of the second estate before being given it."""
    foreign = codes_of(app, seed.estate_ids[1], "unit", 1)[0]
    op = check_op(foreign, note="樓梯間有積水")
    result = phone.push([op]).get_json()["results"][0]
    assert (result["status"], result["error"]) == ("rejected", "unknown_code")
    with app.app_context():
        row_id = db.session.scalar(
            sa.select(QuarantinedOp.id).where(QuarantinedOp.op_id == op["op_id"])
        )
    return op, row_id


def _act(client, row_id, action, note="", show="open"):
    token = csrf_token_from(client.get("/quarantine/").get_data(as_text=True))
    return client.post(
        "/quarantine/act",
        data={"id": row_id, "action": action, "note": note, "show": show, "csrf_token": token},
        follow_redirects=True,
    )


def _give_estate(app, username, estate_id):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        user.estates.append(db.session.get(Estate, estate_id))
        db.session.commit()


def test_an_op_applied_again_once_its_cause_is_gone_lands_as_sent(app, client, auth, phone, seed):
    """Is a rejected check stored with its own id, time and sender when applied again, once?"""
    op, row_id = _reject_foreign_check(app, phone, seed)
    auth.login("supervisor")
    page = client.get("/quarantine/").get_data(as_text=True)
    assert f'id="q-{row_id}"' in page
    assert 'value="reapply"' in page

    # The sender still lacks the estate: still rejected, kept once, still to review.
    again = _act(client, row_id, "reapply").get_data(as_text=True)
    assert "仍被拒收" in again or "Still rejected" in again
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuarantinedOp)) == 1
        assert db.session.get(QuarantinedOp, row_id).reviewed_at is None
        assert db.session.get(Check, op["payload"]["id"]) is None

    _give_estate(app, "patrol", seed.estate_ids[1])
    _give_estate(app, "supervisor", seed.estate_ids[1])
    done = _act(client, row_id, "reapply", note="已分配第二小區")
    assert done.status_code == 200
    with app.app_context():
        check = db.session.get(Check, op["payload"]["id"])
        assert check is not None
        assert check.note == "樓梯間有積水"
        assert check.occurred_at == T0
        assert check.user_id == seed.user_ids["patrol"]
        assert check.device_id == phone.device_id
        row = db.session.get(QuarantinedOp, row_id)
        assert row.reviewed_at is not None
        audit = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.object_type == "sync_quarantine")
        ).all()
        assert [(a.action, a.actor_id, a.after["status"]) for a in audit] == [
            ("quarantine.reapply", seed.user_ids["supervisor"], "applied")
        ]
    # Off the "to review" list, on the "reviewed" one; a second try is refused.
    assert f'id="q-{row_id}"' not in client.get("/quarantine/").get_data(as_text=True)
    assert f'id="q-{row_id}"' in client.get("/quarantine/?show=reviewed").get_data(as_text=True)
    refused = _act(client, row_id, "reapply").get_data(as_text=True)
    assert "已經審核過" in refused or "already reviewed" in refused
    # The phone's own retry is now a duplicate, not a second record.
    assert phone.push([op]).get_json()["results"][0]["status"] == "duplicate"


def test_a_dismissal_needs_a_note_and_is_audited(app, client, auth, phone, seed):
    """Is a dismissal without a note refused, and one with a note kept in the audit log?"""
    _op, row_id = _reject_foreign_check(app, phone, seed)
    auth.login("supervisor")
    page = _act(client, row_id, "dismiss").get_data(as_text=True)
    assert "說明駁回的原因" in page or "why the record is dismissed" in page
    with app.app_context():
        assert db.session.get(QuarantinedOp, row_id).reviewed_at is None
    _act(client, row_id, "dismiss", note="<b>誤掃</b>其他小區")
    with app.app_context():
        assert db.session.get(QuarantinedOp, row_id).reviewed_at is not None
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "quarantine.dismiss")
        )
        assert event.after == {"note": "<b>誤掃</b>其他小區"}
        assert event.actor_id == seed.user_ids["supervisor"]


def test_a_reason_that_cannot_go_away_offers_no_reapply(app, client, auth, phone, seed):
    """Is an op_id reused with other content never applied again, even when asked?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    op = check_op(code)
    phone.push([op])
    other = copy.deepcopy(op)
    other["payload"]["result"] = "issue"
    phone.push([other])
    with app.app_context():
        row_id = db.session.scalar(sa.select(QuarantinedOp.id))
    auth.login("supervisor")
    page = client.get("/quarantine/").get_data(as_text=True)
    assert f'id="q-{row_id}"' in page
    assert 'value="reapply"' not in page
    answer = _act(client, row_id, "reapply").get_data(as_text=True)
    assert "無法重新套用" in answer or "cannot be applied again" in answer
    with app.app_context():
        assert db.session.get(Check, op["payload"]["id"]).result == "ok"
        assert db.session.get(QuarantinedOp, row_id).reviewed_at is None


def test_another_estates_reviewer_gets_404_and_bad_input_never_500(app, client, auth, phone, seed):
    """Can a supervisor of another estate neither see nor act on the row; is junk a 4xx?"""
    _op, row_id = _reject_foreign_check(app, phone, seed)
    with app.app_context():
        other = User(username="sup2", display_name="第二主管", role="supervisor")
        other.set_password("sup2-password")
        other.estates.append(db.session.get(Estate, seed.estate_ids[1]))
        db.session.add(other)
        db.session.commit()
    auth.login("sup2", "sup2-password")
    assert f'id="q-{row_id}"' not in client.get("/quarantine/?show=all").get_data(as_text=True)
    assert _act(client, row_id, "dismiss", note="x").status_code == 404
    for junk in ("", "abc", "-1", str(2**40)):
        assert _act(client, junk, "dismiss", note="x").status_code == 404
    token = csrf_token_from(client.get("/quarantine/").get_data(as_text=True))
    no_csrf = client.post("/quarantine/act", data={"id": row_id, "action": "dismiss", "note": "x"})
    assert no_csrf.status_code == 400
    auth.logout()
    auth.login("supervisor")
    odd = _act(client, row_id, "explode", note="x").get_data(as_text=True)
    assert "請選擇" in odd or "Choose to apply" in odd
    long = _act(client, row_id, "dismiss", note="長" * 501).get_data(as_text=True)
    assert "備註太長" in long or "too long" in long
    with app.app_context():
        assert db.session.get(QuarantinedOp, row_id).reviewed_at is None
    assert token
