"""The notice ops (issue 20): notice.issue numbered by the server per estate and year,
notice.deliver, notice.sign — each checked by its schema, idempotent by op id, kept in the
quarantine when rejected; and two phones syncing at once never get the same number."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.sync.conftest import codes_of, drain, issue_device
from webapp.extensions import db
from webapp.models.renovation import NoticeAction, RectificationNotice
from webapp.models.sync import PhotoLink, QuarantinedOp

PHOTO = "c" * 64
SIGNATURE = "d" * 64


def _op(kind: str, payload: dict, at: datetime | None = None) -> dict:
    at = at or datetime.now(UTC) - timedelta(minutes=5)
    return {
        "op_id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": at.isoformat(),
        "payload": {"id": str(uuid.uuid4()), **payload},
    }


def issue_op(code: str, **more) -> dict:
    payload = {"code": code, "rules": ["facade", "debris"], "deadline": "2026-12-31"}
    payload.update(more)
    return _op("notice.issue", payload)


def _results(phone, ops):
    response = phone.push(ops)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def test_an_issued_notice_is_numbered_by_its_estate_and_year_and_pulled(
    app, phone, seed, renovating
):
    """Do two notices get 2026-0001 and 2026-0002 (the year of their day on the estate's
    calendar), linked to the unit's permit, their photos and finding kept, and does the pull
    carry the number back to the phone?"""
    code, permit_id = renovating
    finding = str(uuid.uuid4())
    first = issue_op(code, photos=[PHOTO], finding_id=finding, note="外牆開窗")
    second = issue_op(code)
    results = _results(phone, [first, second])
    year = datetime.now(UTC).astimezone().year
    assert [r["status"] for r in results] == ["applied", "applied"]
    numbers = [r["data"]["number"] for r in results]
    assert numbers[0].startswith(f"{numbers[0][:4]}-") and numbers[0][:4] in (
        str(year),
        str(year - 1),
        str(year + 1),
    )
    assert [int(n[5:]) for n in numbers] == [1, 2]
    with app.app_context():
        notice = db.session.get(RectificationNotice, first["payload"]["id"])
        assert notice.permit_id == permit_id and notice.finding_id == finding
        assert notice.rules == ["facade", "debris"] and notice.status == "issued"
        assert (
            db.session.scalar(sa.select(PhotoLink.sha256).where(PhotoLink.record_id == notice.id))
            == PHOTO
        )
    changes, _ = drain(phone)
    [pulled] = [c for c in changes if c["type"] == "notice" and c["id"] == first["payload"]["id"]]
    assert pulled["data"]["number"] == numbers[0] and pulled["data"]["photos"] == [PHOTO]


def test_each_op_is_idempotent_by_its_op_id(app, phone, seed, renovating):
    """Sent twice, is each op a duplicate the second time — no second number taken, no second
    delivery or signature — and an op id reused with other content rejected and kept?"""
    code, _permit = renovating
    issued = issue_op(code)
    notice_id = issued["payload"]["id"]
    delivered = _op("notice.deliver", {"notice_id": notice_id, "method": "door", "photos": [PHOTO]})
    signed = _op(
        "notice.sign", {"notice_id": notice_id, "signature": SIGNATURE, "signer_name": "陳美玲"}
    )
    first = _results(phone, [issued, delivered, signed])
    assert [r["status"] for r in first] == ["applied"] * 3
    assert first[2]["data"]["missing_blobs"] == [SIGNATURE], "the PNG is asked for, not sent inline"
    again = _results(phone, [issued, delivered, signed])
    assert [r["status"] for r in again] == ["duplicate"] * 3
    later = _results(phone, [issue_op(code)])
    assert int(later[0]["data"]["number"][5:]) == int(first[0]["data"]["number"][5:]) + 1
    reused = dict(delivered, payload={**delivered["payload"], "method": "owner"})
    [answer] = _results(phone, [reused])
    assert (answer["status"], answer["error"]) == ("rejected", "op_id_reused")
    with app.app_context():
        notice = db.session.get(RectificationNotice, notice_id)
        assert notice.status == "delivered" and notice.delivery_method == "door"
        assert notice.signed_at is not None
        actions = db.session.scalars(
            sa.select(NoticeAction.kind).where(NoticeAction.notice_id == notice_id)
        ).all()
        assert sorted(actions) == ["delivery", "signature"]
        kept = db.session.scalar(
            sa.select(QuarantinedOp).where(QuarantinedOp.op_id == delivered["op_id"])
        )
        assert kept.error == "op_id_reused"


BAD = [
    ("notice.issue", {"rules": ["facade"], "deadline": "2026-12-31"}, "validation"),  # no code
    ("notice.issue", {"code": "X", "rules": [], "deadline": "2026-12-31"}, "validation"),
    ("notice.issue", {"code": "X", "rules": ["noise"], "deadline": "2026-12-31"}, "validation"),
    (
        "notice.issue",
        {"code": "X", "rules": ["facade", "facade"], "deadline": "2026-12-31"},
        "validation",
    ),
    ("notice.issue", {"code": "X", "rules": ["facade"], "deadline": "3001-01-01"}, "validation"),
    ("notice.issue", {"code": "X", "rules": ["facade"]}, "validation"),
    (
        "notice.issue",
        {"code": "NOSUCHCODE0000000", "rules": ["facade"], "deadline": "2026-12-31"},
        "unknown_code",
    ),
    ("notice.deliver", {"notice_id": str(uuid.uuid4()), "method": "door"}, "unknown_notice"),
    ("notice.deliver", {"notice_id": str(uuid.uuid4()), "method": "mail"}, "validation"),
    (
        "notice.sign",
        {"notice_id": str(uuid.uuid4()), "signature": "data:image/png;base64,iVBOR"},
        "validation",
    ),
    ("notice.sign", {"notice_id": str(uuid.uuid4()), "signature": SIGNATURE}, "unknown_notice"),
]


@pytest.mark.parametrize(("kind", "payload", "error"), BAD)
def test_a_rejected_notice_op_is_kept_in_the_quarantine(
    app, phone, seed, renovating, kind, payload, error
):
    """Is each malformed or unplaceable notice op answered rejected with its reason, kept in
    the quarantine as sent, and the good op beside it applied? A signature inline as base64
    is refused: it must be a PNG uploaded as a photo, named by its sha256."""
    code, _permit = renovating
    payload = {k: (code if v == "X" else v) for k, v in payload.items()}
    bad = _op(kind, payload)
    good = issue_op(code)
    [answer, fine] = _results(phone, [bad, good])
    assert (answer["status"], answer["error"]) == ("rejected", error)
    assert fine["status"] == "applied"
    with app.app_context():
        kept = db.session.scalar(
            sa.select(QuarantinedOp).where(QuarantinedOp.op_id == bad["op_id"])
        )
        assert kept is not None and kept.error == error and kept.raw["payload"] == bad["payload"]


def test_a_key_code_is_not_a_unit(app, phone, seed):
    """Is a notice on a key's code refused as the wrong item?"""
    key = codes_of(app, seed.estate_ids[0], "key", 1)[0]
    [answer] = _results(phone, [issue_op(key)])
    assert (answer["status"], answer["error"]) == ("rejected", "wrong_item")


def test_a_notice_without_an_active_permit_is_kept_and_flagged(app, phone, seed):
    """A unit with no active permit (its permit closed before the phone synced): is the
    notice still stored, numbered and flagged no_permit — an observation is never lost?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1, status="vacant")[0]
    [answer] = _results(phone, [issue_op(code)])
    assert answer["status"] == "applied" and "no_permit" in answer["data"]["flags"]


def test_two_phones_syncing_at_once_never_get_the_same_number(app, seed, renovating):
    """Two phones push 10 notices each at the same moment: are the 20 numbers of the estate's
    year all different and consecutive (no gap, no collision), on SQLite and PostgreSQL?"""
    code, _permit = renovating
    phones = [issue_device(app, "patrol", f"n{i}") for i in range(2)]
    batches = [[issue_op(code) for _ in range(10)] for _ in phones]
    answers: list[list] = [[], []]
    barrier = threading.Barrier(2)
    errors = []

    def push(i):
        try:
            device_id, token = phones[i]
            barrier.wait()
            response = app.test_client().post(
                "/api/sync/push",
                json={"device_id": device_id, "ops": batches[i]},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.get_data(as_text=True)
            answers[i] = response.get_json()["results"]
        except Exception as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = [r["data"]["number"] for batch in answers for r in batch]
    assert all(r["status"] == "applied" for batch in answers for r in batch)
    seqs = sorted(int(n[5:]) for n in numbers)
    assert seqs == list(range(1, 21)), numbers
    with app.app_context():
        stored = db.session.scalars(
            sa.select(RectificationNotice.seq).where(
                RectificationNotice.estate_id == seed.estate_ids[0]
            )
        ).all()
        assert sorted(stored) == seqs
