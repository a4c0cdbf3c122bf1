"""Rounds fixtures: default rounds on the seed's estates and a way to put a check in."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Estate, LabelCode, Sign, User
from webapp.models.sync import Check
from webapp.rounds.service import ensure_defaults


def add_check(
    sign_id: int, occurred: datetime, result: str = "ok", received=None, skewed=False, **columns
):
    """Insert a check of a sign (inside an app context); ``columns`` set or override others
    (method, geo_lat, user_id...). Returns the check's id."""
    sign = db.session.get(Sign, sign_id)
    code = db.session.scalar(
        sa.select(LabelCode.code).where(
            LabelCode.item_type == "sign", LabelCode.item_id == sign_id, LabelCode.active
        )
    )
    patrol = db.session.scalar(sa.select(User).where(User.username == "patrol"))
    values = {
        "id": str(uuid.uuid4()),
        "op_id": str(uuid.uuid4()),
        "user_id": patrol.id,
        "occurred_at": occurred,
        "received_at": received or occurred,
        "clock_skewed": skewed,
        "estate_id": sign.estate_id,
        "item_type": "sign",
        "item_id": sign_id,
        "code": code,
        "method": "scan",
        "result": result,
        "answers": {},
    }
    values.update(columns)
    db.session.add(Check(**values))
    return values["id"]


@pytest.fixture
def rounds(app, seed):
    """The seed's estates with their default rounds; returns the first estate's sign ids."""
    with app.app_context():
        for estate_id in seed.estate_ids:
            ensure_defaults(db.session, db.session.get(Estate, estate_id))
        db.session.commit()
        return db.session.scalars(
            sa.select(Sign.id)
            .where(Sign.estate_id == seed.estate_ids[0], Sign.active)
            .order_by(Sign.id)
        ).all()
