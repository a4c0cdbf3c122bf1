"""The desk's online writes as ops: pushed through the same merge as the phones' (one rule for
both), in one batch, as the logged-in user with no device."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_login import current_user

from sync import merge
from webapp.extensions import db
from webapp.models.types import utcnow


def push_ops(op_type: str, payloads: list[dict], commit: bool = True) -> list[dict]:
    """Push one op per payload (each given an id unless it names one) and, by default, commit."""
    now = utcnow()
    actor = merge.Actor(user_id=current_user.id, estate_ids=current_user.estate_ids, device_id=None)
    occurred = datetime.now(now.tzinfo).isoformat()
    bodies = [
        {
            "op_id": str(uuid.uuid4()),
            "type": op_type,
            "occurred_at": occurred,
            "payload": {"id": str(uuid.uuid4()), **payload},
        }
        for payload in payloads
    ]
    results = merge.push(db.session, actor, bodies, now)
    if commit:
        db.session.commit()
    return results
