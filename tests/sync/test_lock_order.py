"""Locks in one global order: concurrent pushes touching the same keys never deadlock.

A push locks, in this order: its device row, the rows of every key its batch touches
(sorted by id, in one statement), then the feed counter at commit. A serialization failure
or deadlock that still happens is retried inside the server, never answered 503.
"""

from __future__ import annotations

import threading
from collections import Counter

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from sync import merge, ops
from tests.sync.conftest import T0, codes_of, issue_device, lend_op, minutes, return_op
from webapp.api import views as api_views
from webapp.extensions import db
from webapp.models import User
from webapp.models.sync import KeyEvent

ROUNDS = 15  # two devices: 30 pushes


def _on_postgresql(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_two_devices_lending_the_same_keys_in_opposite_orders_get_no_503(app, seed):
    """Do 30 pushes lending 8 keys in opposite orders from two devices all answer 200?"""
    if not _on_postgresql(app):
        pytest.skip("SQLite serializes writers with one database lock: no row-lock deadlock")
    codes = codes_of(app, seed.estate_ids[0], "key", 8, status="in")
    assert len(codes) == 8
    devices = [issue_device(app, "patrol", "east"), issue_device(app, "patrol", "west")]
    statuses: Counter = Counter()
    answers: Counter = Counter()
    lock = threading.Lock()

    def push(device: int, round_: int) -> None:
        device_id, token = devices[device]
        order = codes if device == 0 else list(reversed(codes))
        at = T0 + minutes(round_ * 10 + device)
        # Lend and return each key: every op locks its key row, and the batch moves keys.
        ops = [lend_op(code, at, name=f"借用人{device}") for code in order]
        ops += [return_op(code, at + minutes(1)) for code in order]
        response = app.test_client().post(
            "/api/sync/push",
            json={"device_id": device_id, "ops": ops},
            headers={"Authorization": f"Bearer {token}"},
        )
        with lock:
            answers[response.status_code] += 1
            if response.status_code == 200:
                statuses.update(r["status"] for r in response.get_json()["results"])

    for round_ in range(ROUNDS):
        barrier = threading.Barrier(2)

        def run(device: int, round_: int = round_, barrier=barrier) -> None:
            barrier.wait()
            push(device, round_)

        threads = [threading.Thread(target=run, args=(d,)) for d in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    assert answers == {200: 2 * ROUNDS}
    assert sum(statuses.values()) == 2 * ROUNDS * 16
    assert "rejected" not in statuses


def _deadlock() -> OperationalError:
    return OperationalError("UPDATE key ...", {}, psycopg.errors.DeadlockDetected("deadlock"))


def test_a_deadlock_is_retried_inside_the_server_and_the_push_applies(app, phone, monkeypatch):
    """Does a push whose first attempt deadlocks answer 200 with its ops applied, once?"""
    codes = codes_of(app, phone_estate(app), "key", 2, status="in")
    real_push = merge.push
    calls = []

    def flaky(session, actor, raw_ops, now):
        calls.append(1)
        results = real_push(session, actor, raw_ops, now)
        if len(calls) == 1:
            raise _deadlock()  # after the writes: the retry must not double them
        return results

    monkeypatch.setattr(merge, "push", flaky)
    ops = [lend_op(codes[0]), lend_op(codes[1])]
    response = phone.push(ops)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [r["status"] for r in response.get_json()["results"]] == ["applied", "applied"]
    assert len(calls) == 2
    with app.app_context():
        events = sa.select(sa.func.count()).select_from(KeyEvent)
        assert db.session.scalar(events.where(KeyEvent.device_id == phone.device_id)) == 2


def test_a_push_that_keeps_deadlocking_is_answered_503_after_bounded_retries(
    app, phone, monkeypatch
):
    """Does a push that deadlocks every time stop after PUSH_ATTEMPTS and answer 503?"""
    calls = []

    def always(session, actor, raw_ops, now):
        calls.append(1)
        raise _deadlock()

    monkeypatch.setattr(merge, "push", always)
    monkeypatch.setattr(api_views.time, "sleep", lambda _s: None)
    response = phone.push([lend_op(codes_of(app, phone_estate(app), "key", 1, status="in")[0])])
    assert response.status_code == 503
    assert response.get_json()["error"] == "unavailable"
    assert len(calls) == api_views.PUSH_ATTEMPTS


def test_other_database_errors_are_not_retried(app, phone, monkeypatch):
    """Is a database that is gone (not a deadlock) answered at once, without retries?"""
    calls = []

    def gone(session, actor, raw_ops, now):
        calls.append(1)
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(merge, "push", gone)
    response = phone.push([lend_op(codes_of(app, phone_estate(app), "key", 1, status="in")[0])])
    assert response.status_code == 503
    assert len(calls) == 1


def phone_estate(app) -> int:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "patrol"))
        return sorted(e.id for e in user.estates)[0]


def test_every_key_op_type_is_locked_up_front():
    """Is every op type that touches a key's history among the ops whose keys are locked in
    the global order before the batch runs? A key op missing there brings the deadlock back."""
    key_types = {t for t in ops.OPS if t.startswith("key.")}
    assert key_types
    assert key_types == set(ops.KEY_OPS)
