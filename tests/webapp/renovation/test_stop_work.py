"""What a failed re-inspection leads to at the office (issue 20, item 3): the notice's page
with its re-inspections and stop-work notice, a deduction from the deposit recorded against
the notice, the printed 《停工通知》 read back, the dashboard's card of stop-works in force, and
the hourly check that tells supervisors of notices due tomorrow — once."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.webapp.api.test_blobs import put, sha
from tests.webapp.paper.test_forms import SHOTS, pdf_text
from tests.webapp.renovation.test_notice_ops import _results, issue_op
from tests.webapp.renovation.test_notice_paper import _photo
from tests.webapp.renovation.test_reinspection_ops import reinspect_op
from tests.webapp.review.test_regional import _counted
from webapp.extensions import db
from webapp.models import Estate, LabelCode, Unit
from webapp.models.jobs import AlertEvent
from webapp.models.renovation import DepositEntry, RectificationNotice, RenovationPermit
from webapp.renovation import jobs, permits
from webapp.renovation.status import estate_today


def _stopped(app, phone, code, photo=None, **issue) -> tuple[str, str]:
    """A notice issued and found not rectified: (its id, its number)."""
    issued = issue_op(code, **issue)
    extra = {"photos": [sha(photo)]} if photo else {}
    answers = _results(
        phone,
        [issued, reinspect_op(issued["payload"]["id"], "not_rectified", note="仍在施工", **extra)],
    )
    assert [a["status"] for a in answers] == ["applied", "applied"]
    return issued["payload"]["id"], answers[0]["data"]["number"]


def _deposit(app, permit_id: int, amount: int = 5000) -> None:
    with app.app_context():
        permit = db.session.get(RenovationPermit, permit_id)
        permits.add_entry(db.session, permit, "received", amount, permit.starts_on, "", None)
        db.session.commit()


def test_the_notice_page_shows_the_stop_work_and_records_a_deduction(
    app, phone, supervisor, token, seed, renovating
):
    """Does the notice's page show it escalated, its failed re-inspection and its stop-work in
    force; does a deduction there add a deducted line to the permit's ledger naming the
    notice (held falls), while one beyond what is held or with no reason is refused (422,
    nothing written)?"""
    code, permit_id = renovating
    _deposit(app, permit_id)
    notice_id, number = _stopped(app, phone, code)
    page = supervisor.get(f"/renovation/notices/{notice_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-status="escalated"' in html and 'id="stop-work" data-state="in_force"' in html
    assert "仍在施工" in html and f"/renovation/notices/{notice_id}/stop-work.pdf" in html
    url = f"/renovation/notices/{notice_id}/deduct"
    too_much = supervisor.post(
        url, data={"amount": "6000", "on": "2026-12-01", "note": "修復外牆", "csrf_token": token}
    )
    no_reason = supervisor.post(
        url, data={"amount": "100", "on": "2026-12-01", "note": " ", "csrf_token": token}
    )
    assert too_much.status_code == 422 and no_reason.status_code == 422
    done = supervisor.post(
        url, data={"amount": "1200", "on": "2026-12-01", "note": "修復外牆", "csrf_token": token}
    )
    assert done.status_code == 303
    with app.app_context():
        [entry] = db.session.scalars(
            sa.select(DepositEntry).where(DepositEntry.kind == "deducted")
        ).all()
        assert entry.notice_id == notice_id and entry.amount == 1200
        assert entry.note.startswith(number) and "修復外牆" in entry.note
        assert db.session.get(RenovationPermit, permit_id).deposit_held == 3800
    shown = supervisor.get(f"/renovation/notices/{notice_id}").get_data(as_text=True)
    assert "修復外牆" in shown and "3800" in shown


def test_only_editors_deduct(app, phone, client, auth, seed, renovating):
    """Can engineering (who may look and print) not record a deduction (403)?"""
    code, permit_id = renovating
    _deposit(app, permit_id)
    notice_id, _number = _stopped(app, phone, code)
    auth.login("engineer")
    assert client.get(f"/renovation/notices/{notice_id}").status_code == 200
    csrf = auth.csrf("/")
    response = client.post(
        f"/renovation/notices/{notice_id}/deduct",
        data={"amount": "100", "on": "2026-12-01", "note": "x", "csrf_token": csrf},
    )
    assert response.status_code == 403


def test_the_printed_stop_work_notice(app, phone, client, auth, seed, renovating):
    """Does the stop-work PDF say 《停工通知》, the notice's number it follows from, the unit,
    the contractor, the order to stop, the rules not put right, what the re-inspection saw,
    and carry its photo? A notice with no stop-work has no such PDF (redirected)."""
    code, _permit = renovating
    photo = _photo()
    assert put(phone, photo).status_code == 201
    notice_id, number = _stopped(app, phone, code, photo=photo)
    auth.login("supervisor")
    response = client.get(f"/renovation/notices/{notice_id}/stop-work.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for words in ("《停工通知》", f"停字 {number}", "宏達裝修工程行", "停止一切裝修施工",
                  "改變外立面", "仍在施工", "業主簽名", "施工單位簽名"):  # fmt: skip
        assert words in text, words
    if SHOTS.is_dir() or os.environ.get("SHOTS"):
        SHOTS.mkdir(exist_ok=True)
        Path(SHOTS / "stop-work.pdf").write_bytes(response.data)
    other_id = issue_op(code)
    _results(phone, [other_id])
    none = client.get(f"/renovation/notices/{other_id['payload']['id']}/stop-work.pdf")
    assert none.status_code == 303


def test_the_dashboard_card_lists_stop_works_in_force(app, phone, supervisor, seed, renovating):
    """Is a stop-work in force on the dashboard's card (its number linking the notice's page
    on the table's page), and gone once a re-inspection finds the notice rectified?"""
    code, _permit = renovating
    notice_id, number = _stopped(app, phone, code)
    dashboard = f"/review/dashboard?estate={seed.estate_ids[0]}"
    card = supervisor.get(dashboard).get_data(as_text=True)
    section = re.search(r'id="dash-stop-work-card" data-total="(\d+)"', card)
    assert section and section.group(1) == "1" and number in card
    table = supervisor.get(f"/review/tables/stop_work?estate={seed.estate_ids[0]}").get_data(
        as_text=True
    )
    assert f'href="/renovation/notices/{notice_id}"' in table
    _results(phone, [reinspect_op(notice_id, "rectified")])
    card = supervisor.get(dashboard).get_data(as_text=True)
    assert re.search(r'id="dash-stop-work-card" data-total="0"', card)


def test_notices_due_tomorrow_are_told_once(app, phone, seed, renovating):
    """Does the hourly check record one notice_deadline event for a waiting notice due
    tomorrow (estate calendar) with its label and page, none for one due later or already
    rectified, and nothing new on its next run?"""
    code, _permit = renovating
    with app.app_context():
        now = datetime.now(UTC)
        tomorrow = estate_today(db.session.get(Estate, seed.estate_ids[0]), now) + timedelta(1)
    due = issue_op(code, deadline=tomorrow.isoformat())
    later = issue_op(code, deadline=(tomorrow + timedelta(days=1)).isoformat())
    done = issue_op(code, deadline=tomorrow.isoformat())
    _results(phone, [due, later, done, reinspect_op(done["payload"]["id"], "rectified")])
    with app.app_context():
        assert jobs.deadlines_tomorrow(db.session, now) == 1
        db.session.commit()
        assert jobs.deadlines_tomorrow(db.session, now + timedelta(hours=1)) == 0
        [event] = db.session.scalars(
            sa.select(AlertEvent).where(AlertEvent.kind == "notice_deadline")
        ).all()
        notice = db.session.get(RectificationNotice, due["payload"]["id"])
        assert event.detail["path"] == f"/renovation/notices/{notice.id}"
        assert event.detail["label"].startswith(notice.number)


def test_the_deadline_check_reads_units_with_the_notices(app, phone, seed):
    """Does the hourly check read the notices due tomorrow with their units and buildings (for
    the alert's label) in as many statements for four notices as for one — two, the estates
    and then every estate's notices? It read each estate's notices apart, and each notice's
    unit, then the unit's building, one statement each, as it labelled the notice."""
    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        now = datetime.now(UTC)
        tomorrow = (estate_today(estate, now) + timedelta(days=1)).isoformat()
        codes = db.session.execute(
            sa.select(LabelCode.code, Unit.building_id)
            .join(Unit, sa.and_(LabelCode.item_type == "unit", LabelCode.item_id == Unit.id))
            .where(Unit.estate_id == estate.id, LabelCode.active)
            .order_by(Unit.building_id.desc(), Unit.id)
        ).all()
    # Four units, each of another building where the estate has that many.
    spread = list({building: code for code, building in reversed(codes)}.values())
    spread = (spread + [c for c, _b in codes if c not in spread])[:4]

    def reads() -> list[str]:
        with app.app_context(), _counted(app) as seen:
            jobs.deadlines_tomorrow(db.session, now)
            db.session.rollback()  # the events go: the next count records them again
        return [
            s for s in seen if "alert_event" not in s and s.lstrip().upper().startswith("SELECT")
        ]

    _results(phone, [issue_op(spread[0], deadline=tomorrow)])
    one = reads()
    _results(phone, [issue_op(code, deadline=tomorrow) for code in spread[1:]])
    four = reads()
    assert len(four) == len(one) <= 2, four


def test_a_deductions_reason_is_refused_whole_not_cut(
    app, phone, supervisor, token, seed, renovating
):
    """The ledger's line is the notice's number, a space and the reason, in 200 characters: a
    reason that leaves it longer was cut at the end and stored. Is it refused (422, "at most n
    characters" with n what the number leaves, nothing written), and one that fits kept whole?"""
    code, permit_id = renovating
    _deposit(app, permit_id)
    notice_id, number = _stopped(app, phone, code)
    room = 200 - len(number) - 1
    url = f"/renovation/notices/{notice_id}/deduct"
    data = {"amount": "100", "on": "2026-12-01", "csrf_token": token}
    over = supervisor.post(url, data={**data, "note": "牆" * (room + 1)})
    assert over.status_code == 422
    assert f"最多 {room} 個字元" in over.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalars(
            sa.select(DepositEntry).where(DepositEntry.kind == "deducted")
        ).all()
    assert supervisor.post(url, data={**data, "note": "牆" * room}).status_code == 303
    with app.app_context():
        [entry] = db.session.scalars(
            sa.select(DepositEntry).where(DepositEntry.kind == "deducted")
        ).all()
        assert entry.note == f"{number} {'牆' * room}"
