"""A phone that replays, reorders, loses responses and retries: the server ends with exactly
what the phone meant, nothing twice."""

from __future__ import annotations

import random

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from sync.custody import walk
from sync.keys import as_event
from tests.sync.conftest import T0, check_op, codes_of, issue_device, lend_op, minutes, return_op
from webapp.extensions import db
from webapp.models import Key, LabelCode
from webapp.models.sync import Check, KeyBaseline, KeyEvent, SyncOp


def test_replays_reorderings_lost_responses_and_retries_end_exactly_as_meant(app, seed):
    """After random pushes with replays, shuffles, dropped answers and retries, does the
    server hold each op the phone made exactly once, with custody consistent?"""
    device_id, token = issue_device(app, "patrol")
    headers = {"Authorization": f"Bearer {token}"}
    units = codes_of(app, seed.estate_ids[0], "unit", 6)
    keys = codes_of(app, seed.estate_ids[0], "key", 3, status="in")
    client = app.test_client()

    class Phone(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.outbox: list[dict] = []
            self.acked: set[str] = set()

        @rule(
            unit=st.sampled_from(units),
            result=st.sampled_from(["ok", "issue", "no_access"]),
            minute=st.integers(0, 600),
        )
        def record_check(self, unit, result, minute):
            self.outbox.append(check_op(unit, T0 + minutes(minute), result=result))

        @rule(key=st.sampled_from(keys), lend=st.booleans(), minute=st.integers(0, 600))
        def key_event(self, key, lend, minute):
            at = T0 + minutes(minute)
            self.outbox.append(lend_op(key, at) if lend else return_op(key, at))

        @rule(data=st.data(), drop=st.booleans())
        def push(self, data, drop):
            if not self.outbox:
                return
            picks = data.draw(
                st.lists(st.sampled_from(self.outbox), min_size=1, max_size=12), label="ops"
            )
            random.Random(data.draw(st.integers(0, 2**16), label="shuffle")).shuffle(picks)
            response = client.post(
                "/api/sync/push", json={"device_id": device_id, "ops": picks}, headers=headers
            )
            assert response.status_code == 200
            if drop:  # the answer is lost on the way back: the phone knows nothing new
                return
            for op, result in zip(picks, response.get_json()["results"], strict=True):
                assert result["op_id"] == op["op_id"]
                assert result["status"] in {"applied", "duplicate", "conflict"}, result
                self.acked.add(op["op_id"])

        @invariant()
        def acked_ops_are_stored_once(self):
            if not self.acked:
                return
            with app.app_context():
                stored = db.session.scalars(
                    sa.select(SyncOp.op_id).where(SyncOp.op_id.in_(self.acked))
                ).all()
                assert sorted(stored) == sorted(self.acked)

        def teardown(self):
            pending = [op for op in self.outbox if op["op_id"] not in self.acked]
            for start in range(0, len(pending), 500):
                response = client.post(
                    "/api/sync/push",
                    json={"device_id": device_id, "ops": pending[start : start + 500]},
                    headers=headers,
                )
                assert response.status_code == 200
            if not self.outbox:
                return
            with app.app_context():
                meant = {op["op_id"] for op in self.outbox}
                assert len(meant) == len(self.outbox)
                ops = db.session.scalars(sa.select(SyncOp).where(SyncOp.op_id.in_(meant))).all()
                assert {o.op_id for o in ops} == meant
                checks = [o for o in self.outbox if o["type"] == "check.record"]
                stored = {
                    c.id: c
                    for c in db.session.scalars(
                        sa.select(Check).where(Check.op_id.in_([o["op_id"] for o in checks]))
                    )
                }
                assert len(stored) == len(checks)
                for op in checks:
                    assert stored[op["payload"]["id"]].result == op["payload"]["result"]
                events = [o for o in self.outbox if o["type"].startswith("key.")]
                found = db.session.scalars(
                    sa.select(KeyEvent.id).where(KeyEvent.op_id.in_([o["op_id"] for o in events]))
                ).all()
                assert sorted(found) == sorted(o["payload"]["id"] for o in events)
                for code in keys:
                    key_id = db.session.scalar(
                        sa.select(LabelCode.item_id).where(LabelCode.code == code)
                    )
                    key = db.session.get(Key, key_id)
                    base = db.session.get(KeyBaseline, key_id)
                    if base is None:
                        continue
                    history = db.session.scalars(
                        sa.select(KeyEvent).where(KeyEvent.key_id == key_id)
                    ).all()
                    judged = walk(
                        (base.status, base.holder_name, base.holder_type),
                        [as_event(e) for e in history],
                    )
                    assert (key.status, key.holder_name) == (judged.status, judged.holder_name)
                    assert {e.id for e in history if e.inconsistent} == set(judged.inconsistent)

    run_state_machine_as_test(
        Phone,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
