"""Replays and races: the same ops sent again and at once are stored exactly once."""

from __future__ import annotations

import threading
from collections import Counter

import sqlalchemy as sa

from tests.sync.conftest import T0, check_op, codes_of, issue_device, lend_op, minutes
from webapp.extensions import db
from webapp.models import Key, LabelCode
from webapp.models.sync import Check, KeyEvent, SyncOp


def _run_threads(n, target):
    barrier = threading.Barrier(n)
    errors = []

    def wrapped(i):
        try:
            barrier.wait()
            target(i)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_1000_ops_sent_three_times_and_50_concurrent_pushes_store_exactly_1000(app, seed):
    """Do 1,000 ops sent 3 times plus 50 concurrent pushes of one batch make 1,000 records?"""
    device_id, token = issue_device(app, "patrol")
    headers = {"Authorization": f"Bearer {token}"}
    codes = codes_of(app, seed.estate_ids[0], "unit", 20)
    ops = [check_op(codes[i % len(codes)], T0 + minutes(i)) for i in range(1000)]
    batches = [ops[:500], ops[500:]]
    statuses: Counter = Counter()
    lock = threading.Lock()

    def push_first_batch(_i):
        response = app.test_client().post(
            "/api/sync/push", json={"device_id": device_id, "ops": batches[0]}, headers=headers
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        with lock:
            statuses.update(r["status"] for r in response.get_json()["results"])

    _run_threads(50, push_first_batch)
    assert statuses == {"applied": 500, "duplicate": 49 * 500}

    client = app.test_client()
    for round_ in range(3):
        for batch in batches:
            response = client.post(
                "/api/sync/push", json={"device_id": device_id, "ops": batch}, headers=headers
            )
            results = response.get_json()["results"]
            expected = "applied" if round_ == 0 and batch is batches[1] else "duplicate"
            assert {r["status"] for r in results} == {expected}
    with app.app_context():
        ids = {op["payload"]["id"] for op in ops}
        stored = db.session.scalars(sa.select(Check.id).where(Check.device_id == device_id)).all()
        assert len(stored) == 1000 and set(stored) == ids
        count = sa.select(sa.func.count()).select_from(SyncOp)
        assert db.session.scalar(count.where(SyncOp.device_id == device_id)) == 1000


def test_50_threads_lending_one_key_give_one_applied_and_49_conflicts(app, seed):
    """Do 50 simultaneous lends of one key give one applied, 49 conflicts, 50 events stored?"""
    code = codes_of(app, seed.estate_ids[0], "key", 1, status="in")[0]
    phones = [issue_device(app, "patrol", f"p{i}") for i in range(50)]
    statuses: Counter = Counter()
    lock = threading.Lock()

    def lend(i):
        device_id, token = phones[i]
        op = lend_op(code, T0 + minutes(i), name=f"借用人{i}")
        response = app.test_client().post(
            "/api/sync/push",
            json={"device_id": device_id, "ops": [op]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        with lock:
            statuses.update(r["status"] for r in response.get_json()["results"])

    _run_threads(50, lend)
    assert statuses == {"applied": 1, "conflict": 49}
    with app.app_context():
        key_id = db.session.scalar(sa.select(LabelCode.item_id).where(LabelCode.code == code))
        events = db.session.scalars(sa.select(KeyEvent).where(KeyEvent.key_id == key_id)).all()
        assert len(events) == 50
        key = db.session.get(Key, key_id)
        # The holder is the latest lend by device time, whatever order they arrived in.
        assert (key.status, key.holder_name) == ("disputed", "借用人49")
