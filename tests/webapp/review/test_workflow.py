"""The findings workflow: each transition, who may make it, and what every change leaves behind."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import AuditEvent, Estate, User
from webapp.models.audit import AppendOnlyError
from webapp.models.review import FindingEvent, FindingState
from webapp.models.sync import Finding
from webapp.review import workflow


def _status(app, fid):
    with app.app_context():
        return db.session.get(Finding, fid).status


def _set(app, fid, status, department=None):
    with app.app_context():
        f = db.session.get(Finding, fid)
        f.status = status
        state = db.session.get(FindingState, fid)
        if department:
            state = workflow.state_of(db.session, f)
            state.department = department
        if state is not None:
            state.status = status  # the copy the workflow keeps
        db.session.commit()


# (from, to, department) → allowed for a supervisor
TABLE = [
    ("open", "dispatched", "engineering", True),
    ("open", "closed", None, True),
    ("open", "fixed", None, False),
    ("open", "reinspected", None, False),
    ("dispatched", "fixed", None, True),
    ("dispatched", "dispatched", "cleaning", True),
    ("dispatched", "reinspected", None, False),
    ("fixed", "reinspected", None, True),
    ("fixed", "reopened", None, True),
    ("fixed", "closed", None, False),
    ("reinspected", "closed", None, True),
    ("reinspected", "reopened", None, True),
    ("closed", "reopened", None, True),
    ("closed", "dispatched", "engineering", False),
    ("reopened", "dispatched", "security", True),
    ("reopened", "fixed", None, False),
]


@pytest.mark.parametrize(("start", "to", "department", "allowed"), TABLE)
def test_supervisor_transitions(app, client, auth, post, finding, start, to, department, allowed):
    """Does a supervisor's move succeed exactly where the workflow allows it?"""
    _set(app, finding, start, "engineering" if start == "dispatched" else None)
    auth.login("supervisor")
    data = {"to": to}
    if department:
        data["department"] = department
    response = post(f"/review/findings/{finding}/move", data)
    if allowed:
        assert response.status_code == 303
        assert _status(app, finding) == to
    else:
        assert response.status_code == 422
        assert _status(app, finding) == start


def test_dispatch_needs_a_department(app, auth, post, finding):
    """Is a dispatch without a department refused, leaving the finding open?"""
    auth.login("supervisor")
    assert post(f"/review/findings/{finding}/move", {"to": "dispatched"}).status_code == 422
    assert (
        post(
            f"/review/findings/{finding}/move", {"to": "dispatched", "department": "plumbing"}
        ).status_code
        == 422
    )
    assert _status(app, finding) == "open"


def test_every_move_is_audited_and_trailed(app, auth, post, finding):
    """Does each move write the status, the state, one trail event and one audit event?"""
    auth.login("supervisor")
    post(
        f"/review/findings/{finding}/move",
        {"to": "dispatched", "department": "engineering", "due": "2030-01-31"},
    )
    post(f"/review/findings/{finding}/move", {"to": "fixed", "note": "換了燈管"})
    with app.app_context():
        state = db.session.get(FindingState, finding)
        assert state.department == "engineering"
        assert state.due_at is not None and state.due_at.year == 2030
        events = db.session.scalars(
            sa.select(FindingEvent)
            .where(FindingEvent.finding_id == finding)
            .order_by(FindingEvent.id)
        ).all()
        assert [(e.from_status, e.to_status) for e in events] == [
            ("open", "dispatched"),
            ("dispatched", "fixed"),
        ]
        assert events[1].body == "換了燈管"
        audits = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.object_type == "finding", AuditEvent.object_id == finding
            )
        ).all()
        assert sorted(a.action for a in audits) == ["finding.dispatched", "finding.fixed"]
        assert all(a.actor_id is not None for a in audits)
        supervisor = db.session.scalar(sa.select(User.id).where(User.username == "supervisor"))
        assert {a.actor_id for a in audits} == {supervisor}


def test_trail_is_append_only(app, auth, post, finding):
    """Is a trail event refused when someone tries to change or delete it?"""
    auth.login("supervisor")
    post(f"/review/findings/{finding}/comments", {"body": "請儘快處理"})
    with app.app_context():
        event = db.session.scalar(sa.select(FindingEvent).where(FindingEvent.finding_id == finding))
        event.body = "changed"
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()
        event = db.session.scalar(sa.select(FindingEvent).where(FindingEvent.finding_id == finding))
        db.session.delete(event)
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()


def test_engineering_marks_its_own_jobs_fixed(app, client, auth, post, finding):
    """Can engineering see and mark fixed a job dispatched to it, from its home?"""
    _set(app, finding, "dispatched", "engineering")
    auth.login("engineer")
    home = client.get("/").get_data(as_text=True)
    assert f"/review/findings/{finding}/move" in home
    response = post(f"/review/findings/{finding}/move", {"to": "fixed", "next": "/"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/")
    assert _status(app, finding) == "fixed"


def test_engineering_may_not_close_or_dispatch(app, auth, post, finding):
    """Is engineering refused every move but 'fixed', even on its own job?"""
    _set(app, finding, "dispatched", "engineering")
    auth.login("engineer")
    for to, dept in (("closed", None), ("dispatched", "cleaning"), ("reinspected", None)):
        data = {"to": to, **({"department": dept} if dept else {})}
        assert post(f"/review/findings/{finding}/move", data).status_code == 422
    assert _status(app, finding) == "dispatched"
    assert post(f"/review/findings/{finding}/due", {"due": "2030-01-01"}).status_code == 403


def test_engineering_does_not_see_other_departments_jobs(app, client, auth, post, finding):
    """Does engineering get 404 for a finding not dispatched to it, and not see it listed?"""
    _set(app, finding, "dispatched", "cleaning")
    auth.login("engineer")
    assert client.get(f"/review/findings/{finding}").status_code == 404
    assert post(f"/review/findings/{finding}/move", {"to": "fixed"}).status_code == 404
    assert finding not in client.get("/review/findings?status=all").get_data(as_text=True)
    assert finding not in client.get("/review/findings.csv?status=all").get_data(as_text=True)
    assert _status(app, finding) == "dispatched"


def test_admin_reads_but_does_not_act(app, client, auth, post, finding):
    """May an admin read a finding but not move it, comment on it or bulk-move?"""
    auth.login("admin")
    page = client.get(f"/review/findings/{finding}").get_data(as_text=True)
    assert 'name="to"' not in page
    assert post(f"/review/findings/{finding}/move", {"to": "closed"}).status_code == 403
    assert post(f"/review/findings/{finding}/comments", {"body": "x"}).status_code == 403
    assert post("/review/findings/bulk", {"ids": finding, "to": "closed"}).status_code == 403
    assert _status(app, finding) == "open"


def test_move_without_csrf_is_refused(app, client, auth, finding):
    """Is a move without the CSRF token refused?"""
    auth.login("supervisor")
    response = client.post(f"/review/findings/{finding}/move", data={"to": "closed"})
    assert response.status_code == 400
    assert _status(app, finding) == "open"


def _audited(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.object_type == "finding")
        ).all()


def test_a_bulk_move_moves_every_ticked_finding(app, auth, post, seed, finding):
    """Does a bulk dispatch move every ticked finding, each with its department, due date and
    audit event?"""
    from tests.webapp.review.conftest import make_finding

    with app.app_context():
        second = make_finding(seed.estate_ids[0], note="第二件")
    auth.login("supervisor")
    response = post(
        "/review/findings/bulk",
        {"ids": [finding, second], "to": "dispatched", "department": "cleaning",
         "due": "2031-02-03"},
    )  # fmt: skip
    assert response.status_code == 303
    with app.app_context():
        for fid in (finding, second):
            state = db.session.get(FindingState, fid)
            assert (state.status, state.department) == ("dispatched", "cleaning")
            assert state.due_at is not None
    assert _audited(app) == ["finding.dispatched", "finding.dispatched"]


def test_a_bulk_move_one_finding_cannot_make_moves_none(app, client, auth, post, seed, finding):
    """When one ticked finding cannot make the move (it is fixed: it cannot be dispatched), is
    the whole bulk move refused — no finding moved, no audit event — and the list shown again
    (422) with that finding marked and why, the ticks and the move as they were?"""
    from tests.webapp.review.conftest import make_finding

    with app.app_context():
        second = make_finding(seed.estate_ids[0], note="已修好的那件")
    _set(app, second, "fixed")
    auth.login("supervisor")
    response = post(
        "/review/findings/bulk",
        {"ids": [finding, second], "to": "dispatched", "department": "cleaning",
         "due": "2031-02-03", "next": "/review/findings?status=all"},
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page
    assert "不能這樣移動，所以沒有移動任何一件" in page
    assert page.count("is-refused") == 1 and "報事目前的狀態不能執行此操作" in page
    assert f'value="{finding}" checked' in page and f'value="{second}" checked' in page
    assert 'value="cleaning" selected' in page and 'value="2031-02-03"' in page
    assert (_status(app, finding), _status(app, second)) == ("open", "fixed")
    assert _audited(app) == []


def test_a_bulk_move_with_another_estates_finding_moves_none(
    app, auth, post, seed, finding, other_finding
):
    """Is a bulk move naming a finding the supervisor cannot see (another estate's) refused
    whole, that finding left untouched and none of the others moved?"""
    auth.login("supervisor")
    response = post("/review/findings/bulk", {"ids": [finding, other_finding], "to": "closed"})
    assert response.status_code == 422
    assert "不在您可查看的清單中" in response.get_data(as_text=True)
    assert (_status(app, finding), _status(app, other_finding)) == ("open", "open")
    assert _audited(app) == []


@pytest.mark.parametrize("due", ["2031-13-45", "03/02/2031", "99999-01-01"])
def test_a_bulk_move_with_a_bad_due_date_moves_none(app, auth, post, finding, due):
    """Is a due date that is no date a 422 saying so, nothing moved — not a dispatch without
    the due date the supervisor typed?"""
    auth.login("supervisor")
    response = post(
        "/review/findings/bulk",
        {"ids": [finding], "to": "dispatched", "department": "cleaning", "due": due},
    )
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.get_data(as_text=True)
    assert _status(app, finding) == "open"
    assert _audited(app) == []


def test_comment_and_due_date(app, client, auth, post, finding):
    """Are comments and due dates stored, shown on the page, and empty comments refused?"""
    auth.login("supervisor")
    assert post(f"/review/findings/{finding}/comments", {"body": "  "}).status_code == 422
    assert post(f"/review/findings/{finding}/comments", {"body": "已通知業主"}).status_code == 303
    assert post(f"/review/findings/{finding}/due", {"due": "2031-02-03"}).status_code == 303
    assert post(f"/review/findings/{finding}/due", {"due": "03/02/2031"}).status_code == 422
    page = client.get(f"/review/findings/{finding}").get_data(as_text=True)
    assert "已通知業主" in page and "2031-02-03" in page


def test_status_change_reaches_the_finding_row(app, auth, post, finding):
    """Is the status of record (Finding.status, what pull will serve phones) the moved one?"""
    auth.login("supervisor")
    post(f"/review/findings/{finding}/move", {"to": "closed"})
    with app.app_context():
        assert db.session.get(Finding, finding).status == "closed"


def test_a_due_date_is_the_end_of_that_day_on_the_estates_clock(app, auth, post, finding):
    """Is "due 2031-02-03" stored as 23:59 of that day in the estate's zone, to the minute (a
    pytz zone passed as tzinfo made it the city's local mean time, six minutes off)?"""
    auth.login("supervisor")
    assert post(f"/review/findings/{finding}/due", {"due": "2031-02-03"}).status_code == 303
    with app.app_context():
        stored = db.session.get(FindingState, finding).due_at
        zone = ZoneInfo(db.session.get(Estate, db.session.get(Finding, finding).estate_id).timezone)
    assert stored.astimezone(zone).replace(tzinfo=None) == datetime(2031, 2, 3, 23, 59)
