"""Key register fixtures: the sync helpers reused (phones, op builders), keys by class."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from tests.sync.conftest import T0, make_phone, phone  # noqa: F401
from webapp.extensions import db
from webapp.models import Key, LabelCode
from webapp.models.sync import KeyEvent


def key_codes(app, estate_id: int, key_class: str, n: int = 1) -> list[str]:
    """Active codes of untouched keys (in the cabinet, no events) of a class."""
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(LabelCode.code)
                .join(Key, Key.id == LabelCode.item_id)
                .where(
                    LabelCode.item_type == "key",
                    LabelCode.active,
                    LabelCode.estate_id == estate_id,
                    Key.key_class == key_class,
                    Key.status == "in",
                    ~sa.exists().where(KeyEvent.key_id == Key.id),
                )
                .order_by(LabelCode.id)
                .limit(n)
            )
        )


def key_of(app, code: str) -> Key:
    with app.app_context():
        item = db.session.scalar(sa.select(LabelCode.item_id).where(LabelCode.code == code))
        key = db.session.get(Key, item)
        db.session.expunge(key)
        return key


def op(kind: str, at: datetime = T0, **payload) -> dict:
    payload.setdefault("id", str(uuid.uuid4()))
    return {
        "op_id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": at.isoformat(),
        "payload": payload,
    }


def push_one(device, body) -> dict:
    response = device.push([body])
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"][0]


def key_tags(app, estate_id: int, key_class: str, n: int = 1) -> list[tuple[str, str]]:
    """(long code, short code) of untouched keys of a class, as their labels print them."""
    with app.app_context():
        return [
            (row.code, row.short_code)
            for row in db.session.execute(
                sa.select(LabelCode.code, LabelCode.short_code)
                .join(Key, Key.id == LabelCode.item_id)
                .where(
                    LabelCode.item_type == "key",
                    LabelCode.active,
                    LabelCode.estate_id == estate_id,
                    Key.key_class == key_class,
                    Key.status == "in",
                    ~sa.exists().where(KeyEvent.key_id == Key.id),
                )
                .order_by(LabelCode.id)
                .limit(n)
            )
        ]


def row_counts(app) -> dict[str, int]:
    """How many rows the register's tables and the sync log hold (a refusal writes none)."""
    from webapp.models.audit import AuditEvent
    from webapp.models.keys import KeyApproval
    from webapp.models.sync import QuarantinedOp, SyncOp

    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (KeyEvent, SyncOp, QuarantinedOp, KeyApproval, AuditEvent)
        }


def chain_intact(app) -> bool:
    """Does ``flask keys verify-chain`` find every key's hash chain whole?"""
    return app.test_cli_runner().invoke(args=["keys", "verify-chain"]).exit_code == 0


def fail_nth(monkeypatch, op_type: str, n: int, how: str) -> None:
    """Make the merge's handler of ``op_type`` fail on the n-th op it is given (after the desk's
    checks passed): ``rejected`` (a refusal raised inside the handler), ``conflict`` (applied,
    answered conflict) or ``fault`` (an exception no rule expected)."""
    from dataclasses import replace

    from sync import ops
    from sync.context import Rejected

    original = ops.OPS[op_type]
    seen: list[str] = []

    def handler(ctx, op):
        seen.append(op.op_id)
        if len(seen) != n:
            return original.handler(ctx, op)
        if how == "rejected":
            raise Rejected("injected", "Refused inside the handler (a test's injection).")
        if how == "fault":
            raise RuntimeError("a fault inside the handler (a test's injection)")
        return replace(original.handler(ctx, op), status="conflict")

    monkeypatch.setitem(ops.OPS, op_type, replace(original, handler=handler))
