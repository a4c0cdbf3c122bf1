"""Completion acceptance 《裝修審批及竣工驗收表》 (issue 20, item 4): ``acceptance.record`` with
the versioned checklist, passed (deposit refunded, permit closed accepted, unit back to its
status) or failed (a notice of the failed items); ``signature.capture`` of owner, contractor
and manager as PNGs named by sha256 (and of a notice, as notice.sign); each op checked by its
schema, idempotent, quarantined when rejected; the page and the printed form read back."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa

from tests.webapp.api.test_blobs import put, sha
from tests.webapp.paper.test_forms import SHOTS, pdf_text
from tests.webapp.renovation.test_notice_ops import _op, _results, issue_op
from tests.webapp.renovation.test_notice_paper import _photo, _signature
from tests.webapp.renovation.test_stop_work import _deposit
from webapp import vocab
from webapp.extensions import db
from webapp.models import Unit
from webapp.models.renovation import (
    Acceptance,
    AcceptanceSignature,
    DepositEntry,
    NoticeAction,
    RectificationNotice,
    RenovationPermit,
)
from webapp.models.sync import QuarantinedOp

ITEMS = [i["key"] for i in vocab.ACCEPTANCE_CHECKLISTS[vocab.ACCEPTANCE_CHECKLIST_VERSION]]


def accept_op(code: str, failed: tuple[str, ...] = (), **more) -> dict:
    answers = {k: ("no" if k in failed else "yes") for k in ITEMS}
    payload = {
        "code": code,
        "checklist_version": vocab.ACCEPTANCE_CHECKLIST_VERSION,
        "answers": answers,
        "result": "failed" if failed else "passed",
        "engineer": "林工程師",
    }
    if failed:
        payload["deadline"] = "2026-12-31"
    payload.update(more)
    return _op("acceptance.record", payload)


def sign_op(acceptance_id: str, role: str, signature: str, name: str = "") -> dict:
    return _op(
        "signature.capture",
        {
            "subject": "acceptance",
            "subject_id": acceptance_id,
            "role": role,
            "signature": signature,
            "signer_name": name,
        },
    )


def test_a_passed_acceptance_refunds_closes_and_returns_the_unit(app, phone, seed, renovating):
    """Passed: is what the office held refunded (one ledger line naming the acceptance), the
    permit closed as accepted on the day, the unit back to occupied, and the answer saying
    the refund? Sent again: a duplicate, no second refund."""
    code, permit_id = renovating
    _deposit(app, permit_id, 5000)
    op = accept_op(code, note="全部合格")
    [answer] = _results(phone, [op])
    assert answer["status"] == "applied" and answer["data"]["refunded"] == 5000
    assert _results(phone, [op])[0]["status"] == "duplicate"
    with app.app_context():
        permit = db.session.get(RenovationPermit, permit_id)
        assert permit.closed_on is not None and permit.close_reason == "accepted"
        assert db.session.get(Unit, permit.unit_id).status == "occupied"
        [refund] = db.session.scalars(
            sa.select(DepositEntry).where(
                DepositEntry.kind == "refunded", DepositEntry.permit_id == permit_id
            )
        ).all()
        assert refund.amount == 5000 and refund.acceptance_id == op["payload"]["id"]
        assert permit.deposit_held == 0
        kept = db.session.get(Acceptance, op["payload"]["id"])
        assert kept.result == "passed" and kept.refunded == 5000 and kept.permit_id == permit_id


def test_a_failed_acceptance_issues_a_notice_of_the_failed_items(app, phone, seed, renovating):
    """Failed on waterproofing and debris: is a notice issued (numbered, repeat-checked,
    the rules those items name, the deadline given, naming its acceptance), the permit left
    open and the deposit untouched?"""
    code, permit_id = renovating
    _deposit(app, permit_id, 5000)
    op = accept_op(code, failed=("waterproof", "debris"))
    [answer] = _results(phone, [op])
    assert answer["status"] == "applied" and answer["data"]["result"] == "failed"
    with app.app_context():
        notice = db.session.get(RectificationNotice, answer["data"]["notice_id"])
        assert notice.number == answer["data"]["notice_number"]
        assert (
            notice.rules == ["waterproof", "debris"] and notice.deadline.isoformat() == "2026-12-31"
        )
        assert notice.acceptance_id == op["payload"]["id"] and notice.permit_id == permit_id
        assert notice.repeat is False
        permit = db.session.get(RenovationPermit, permit_id)
        assert permit.closed_on is None and permit.deposit_held == 5000


def test_three_signatures_are_captured_as_pngs(app, phone, seed, renovating):
    """Do owner, contractor and manager each sign (a row naming the PNG's sha256, asked for in
    missing_blobs until uploaded, never inline), and does signature.capture of a notice work
    as notice.sign does?"""
    code, _permit = renovating
    op = accept_op(code)
    png = _signature()
    signs = [sign_op(op["payload"]["id"], r, sha(png), n) for r, n in
             (("owner", "陳美玲"), ("contractor", "宏達"), ("manager", "王主任"))]  # fmt: skip
    answers = _results(phone, [op, *signs])
    assert [a["status"] for a in answers] == ["applied"] * 4
    assert answers[1].get("data", {}).get("missing_blobs") == [sha(png)], answers
    assert put(phone, png, "image/png").status_code == 201
    notice = issue_op(code)
    on_notice = _op(
        "signature.capture",
        {"subject": "notice", "subject_id": notice["payload"]["id"], "role": "contractor",
         "signature": sha(png)},
    )  # fmt: skip
    answers = _results(phone, [notice, on_notice])
    assert [a["status"] for a in answers] == ["applied", "applied"]
    assert "missing_blobs" not in answers[1].get("data", {})
    with app.app_context():
        roles = db.session.scalars(
            sa.select(AcceptanceSignature.role).where(
                AcceptanceSignature.acceptance_id == op["payload"]["id"]
            )
        ).all()
        assert sorted(roles) == ["contractor", "manager", "owner"]
        action = db.session.scalar(
            sa.select(NoticeAction).where(NoticeAction.notice_id == notice["payload"]["id"])
        )
        assert action.kind == "signature" and action.signer_role == "contractor"


BAD = [
    ("acceptance.record", {"checklist_version": 99}, "validation"),
    ("acceptance.record", {"answers": {"load_bearing": "yes"}}, "validation"),  # not every item
    ("acceptance.record", {"result": "failed"}, "validation"),  # failed with nothing failed
    ("acceptance.record", {"engineer": ""}, "validation"),
    ("acceptance.record", {"code": "NOSUCHCODE0000000"}, "unknown_code"),
    (
        "signature.capture",
        {"subject_id": "A", "signature": "data:image/png;base64,iVBOR"},
        "validation",
    ),  # fmt: skip
    ("signature.capture", {"subject_id": str(uuid.uuid4())}, "unknown_acceptance"),
    ("signature.capture", {"subject": "notice", "subject_id": str(uuid.uuid4())}, "validation"),
]


@pytest.mark.parametrize(("kind", "change", "error"), BAD)
def test_a_rejected_acceptance_op_is_kept_in_the_quarantine(
    app, phone, seed, renovating, kind, change, error
):
    """Is each malformed or unplaceable acceptance or signature op rejected with its reason
    and kept in the quarantine; the permit untouched? (A notice signed by the manager is
    refused: a notice is the owner's or the contractor's to sign.)"""
    code, permit_id = renovating
    accepted = accept_op(code, failed=("scope",))
    assert _results(phone, [accepted])[0]["status"] == "applied"
    if kind == "acceptance.record":
        bad = accept_op(code)
        bad["payload"].update(change)
    else:
        bad = sign_op(accepted["payload"]["id"], "manager", "d" * 64)
        bad["payload"].update({k: accepted["payload"]["id"] if v == "A" else v
                               for k, v in change.items()})  # fmt: skip
    [answer] = _results(phone, [bad])
    assert (answer["status"], answer["error"]) == ("rejected", error)
    with app.app_context():
        kept = db.session.scalar(
            sa.select(QuarantinedOp).where(QuarantinedOp.op_id == bad["op_id"])
        )
        assert kept is not None and kept.error == error
        assert db.session.get(RenovationPermit, permit_id).closed_on is None


def test_the_acceptance_page_and_printed_form(app, phone, client, auth, seed, renovating):
    """Does the office list the acceptance, show its answers and signatures, and print
    《裝修審批及竣工驗收表》 with the unit, permit, the checklist's words and answers, the result
    and refund, engineering's name, and the three drawn signatures as images?"""
    code, permit_id = renovating
    _deposit(app, permit_id, 3000)
    png, photo = _signature(), _photo()
    assert put(phone, png, "image/png").status_code == 201
    assert put(phone, photo).status_code == 201
    op = accept_op(code, photos=[sha(photo)])
    signs = [sign_op(op["payload"]["id"], r, sha(png), n) for r, n in
             (("owner", "陳美玲"), ("contractor", "宏達"), ("manager", "王主任"))]  # fmt: skip
    _results(phone, [op, *signs])
    auth.login("supervisor")
    listed = client.get(f"/renovation/estates/{seed.estate_ids[0]}/acceptances")
    assert listed.status_code == 200 and op["payload"]["id"] in listed.get_data(as_text=True)
    page = client.get(f"/renovation/acceptances/{op['payload']['id']}").get_data(as_text=True)
    assert 'data-result="passed"' in page and "陳美玲" in page and "林工程師" in page
    response = client.get(f"/renovation/acceptances/{op['payload']['id']}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for words in ("《裝修審批及竣工驗收表》", "N-1", "宏達裝修工程行", "廚衛防水層完好",
                  "合格 Yes", "驗收合格", "押金退還 3000", "林工程師", "業主簽名",
                  "施工單位簽名", "管理處簽名", "陳美玲", "王主任"):  # fmt: skip
        assert words in text, words
    document = pdfium.PdfDocument(response.data)
    try:
        images = [o for p in document for o in p.get_objects()
                  if o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]  # fmt: skip
        assert len(images) >= 4, "the photo and three signatures"
    finally:
        document.close()
    if SHOTS.is_dir() or os.environ.get("SHOTS"):
        SHOTS.mkdir(exist_ok=True)
        Path(SHOTS / "acceptance.pdf").write_bytes(response.data)


def test_a_failed_acceptances_notice_says_why_in_the_readers_language(
    app, phone, client, auth, seed, renovating
):
    """Does the notice a failed acceptance issues store no sentence of its own (its note was
    「竣工驗收不合格 Failed completion acceptance: 廚衛防水層完好… Kitchen/bathroom…」, both
    languages whoever read it, and sent to the phones so) but name its acceptance, its page say
    which items failed in the reader's language alone, its printed form in both (as every
    printed form), and both what the engineer wrote, as written?"""
    code, _permit_id = renovating
    op = accept_op(code, failed=("waterproof", "debris"), note="衛生間閉水試驗滲漏")
    [answer] = _results(phone, [op])
    notice_id = answer["data"]["notice_id"]
    with app.app_context():
        notice = db.session.get(RectificationNotice, notice_id)
        assert notice.note == "" and notice.acceptance_id == op["payload"]["id"]
    zh_items = ("廚衛防水層完好，閉水試驗合格", "裝修垃圾已清運，公共區域無損壞")
    en_items = ("Kitchen/bathroom waterproofing intact, flood test passed",
                "Debris removed, common areas undamaged")  # fmt: skip
    auth.login("supervisor")

    def facts(headers=None) -> str:  # the page's own words (the head's phone config has both)
        html = client.get(f"/renovation/notices/{notice_id}", headers=headers or {})
        return html.get_data(as_text=True).split('id="notice-facts"')[1].split("</section>")[0]

    chinese, english = facts(), facts({"Accept-Language": "en"})
    assert "竣工驗收不合格" in chinese and all(w in chinese for w in zh_items)
    assert not any(w in chinese for w in en_items)
    assert "Failed completion acceptance" in english and all(w in english for w in en_items)
    assert not any(w in english for w in zh_items) and "竣工驗收不合格" not in english
    for html in (chinese, english):
        assert f'href="/renovation/acceptances/{op["payload"]["id"]}"' in html
        assert "衛生間閉水試驗滲漏" in html  # what the engineer wrote, as written
    text = pdf_text(client.get(f"/renovation/notices/{notice_id}.pdf").data)
    for words in (*zh_items, *en_items, "衛生間閉水試驗滲漏"):
        assert words in text, words
