"""Fuzz the push envelope and every op field: never a 5xx, and one bad op never sinks the
good op of its batch.

Each example is one push by a phone of some role: a batch holding one good check and a few
ops built from every op type with fields replaced, dropped or added (hostile text, huge
numbers, odd dates, nested junk, lone surrogates, NUL), or a hostile envelope (the body
itself, its device_id, pending, ops). Budget: tests/fuzz/conftest.py.
"""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import given, note
from hypothesis import strategies as st

from tests.conftest import AuthActions
from tests.fuzz.conftest import ROLES, RUN, hostile_json, hostile_text, run_for
from tests.sync.conftest import T0, codes_of, issue_device
from webapp.extensions import db
from webapp.models import User
from webapp.models.sync import QuarantinedOp

pytestmark = pytest.mark.fuzz

STATUSES = {"applied", "duplicate", "conflict", "rejected"}


def _templates(unit: str, key: str) -> list[dict]:
    """One well-formed op of every type (ids filled in per example)."""
    at = T0.isoformat()
    return [
        {
            "type": "check.record",
            "occurred_at": at,
            "payload": {
                "code": unit,
                "method": "scan",
                "result": "issue",
                "answers": {"door": "ok"},
                "note": "門鎖損壞",
                "photos": ["0" * 64],
                "geo": {"lat": 22.3, "lon": 114.2, "accuracy_m": 5},
            },
        },
        {
            "type": "finding.create",
            "occurred_at": at,
            "payload": {
                "code": unit,
                "severity": "high",
                "category": "漏水",
                "note": "天花板滲水",
                "location": "大堂",
                "photos": [],
            },
        },
        {
            "type": "key.lend",
            "occurred_at": at,
            "payload": {
                "code": key,
                "borrower_name": "陳師傅",
                "borrower_type": "contractor",
                "purpose": "裝修",
                "due_back": "2026-11-21T09:00:00+08:00",
                "id_checked": True,
                "signature": "f" * 64,
            },
        },
        {"type": "key.return", "occurred_at": at, "payload": {"code": key}},
        {"type": "key.issue", "occurred_at": at, "payload": {"code": key, "owner_name": "業主"}},
        {"type": "key.approve", "occurred_at": at, "payload": {"code": key, "note": "批准"}},
    ]


def _good_check(unit: str) -> dict:
    return {
        "op_id": str(uuid.uuid4()),
        "type": "check.record",
        "occurred_at": T0.isoformat(),
        "payload": {"id": str(uuid.uuid4()), "code": unit, "method": "scan", "result": "ok"},
    }


@st.composite
def _bad_op(draw, templates):
    op = json.loads(json.dumps(draw(st.sampled_from(templates))))
    op["op_id"] = str(draw(st.uuids()))
    op["payload"]["id"] = str(draw(st.uuids()))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = draw(st.sampled_from(["op", "payload"]))
        target = op if where == "op" or not isinstance(op.get("payload"), dict) else op["payload"]
        field = draw(st.one_of(st.sampled_from(sorted(target) or ["x"]), hostile_text()))
        action = draw(st.sampled_from(["replace", "replace", "drop"]))
        if action == "drop":
            target.pop(field, None)
        else:
            target[field] = draw(hostile_json())
    return op


def test_no_push_gets_a_5xx_and_a_bad_op_never_sinks_a_good_one(app, seed, role_phones):
    """Do hostile ops and envelopes, pushed by phones of every role, always get an answer
    below 500, one result per op, and the batch's good check applied?"""
    # Each phone's ops name items of its user's own first estate.
    with app.app_context():
        estate_of = {
            role: min(
                e.id for e in db.session.scalar(sa.select(User).filter_by(username=role)).estates
            )
            for role in ROLES
        }
        db.session.remove()
    units = {role: codes_of(app, estate_of[role], "unit", 1)[0] for role in ROLES}
    templates = {
        role: _templates(units[role], codes_of(app, estate_of[role], "key", 1)[0]) for role in ROLES
    }
    client = app.test_client()

    @st.composite
    def pushes(draw):
        role = draw(st.sampled_from(ROLES))
        device_id, _token = role_phones[role]
        # Ops built from real ones with fields broken, and now and then any JSON value at all.
        ops = draw(
            st.lists(
                st.one_of(_bad_op(templates[role]), _bad_op(templates[role]), hostile_json()),
                min_size=1,
                max_size=4,
            )
        )
        good_at = draw(st.integers(min_value=0, max_value=len(ops)))
        ops.insert(good_at, _good_check(units[role]))
        body: object = {"device_id": device_id, "ops": ops}
        if draw(st.booleans()):
            body["pending"] = draw(st.integers(min_value=0, max_value=2**80))
        envelope = draw(st.sampled_from(["valid"] * 3 + ["field", "extra", "body"]))
        if envelope == "field":
            body[draw(st.sampled_from(["device_id", "pending", "ops"]))] = draw(hostile_json())
        elif envelope == "extra":
            body[draw(hostile_text())] = draw(hostile_json())
        elif envelope == "body":
            body = draw(hostile_json())
        return role, body, envelope == "valid", good_at

    @RUN
    @given(pushes())
    def one_push(push):
        role, body, valid, good_at = push
        _device_id, token = role_phones[role]
        text = json.dumps(body)  # a lone surrogate goes as its \\ud800 escape
        note(f"POST /api/sync/push as {role}: {text[:2000]}")
        response = client.post(
            "/api/sync/push",
            data=text,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code < 500, response.get_data(as_text=True)[:500]
        if not valid:
            return
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        results = response.get_json()["results"]
        assert len(results) == len(body["ops"])
        assert {r["status"] for r in results} <= STATUSES
        assert results[good_at]["status"] == "applied", results[good_at]

    run_for("push", one_push)


@pytest.mark.parametrize("odd", [1, "op", None, [], [{"op_id": "x"}], 2.5, True])
def test_an_op_that_is_not_an_object_is_rejected_alone_and_its_batch_applied(app, seed, odd):
    """Did an op that is not a JSON object sink its whole batch (422 from the envelope)?"""
    device_id, token = role_phones_of(app)["patrol"]
    unit = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    good = _good_check(unit)
    response = app.test_client().post(
        "/api/sync/push",
        json={"device_id": device_id, "ops": [good, odd]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert results[1]["error"] == "validation"
    with app.app_context():
        kept = db.session.scalars(sa.select(QuarantinedOp.raw)).all()
        assert kept == [odd]
    reviewer = app.test_client()
    AuthActions(reviewer).login("supervisor")
    assert reviewer.get("/quarantine/").status_code == 200


def role_phones_of(app) -> dict:
    return {"patrol": issue_device(app, "patrol", "odd-ops")}
