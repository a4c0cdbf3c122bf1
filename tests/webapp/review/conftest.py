"""Review fixtures: findings of the seed's estates, and a way to make one with a chosen note."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Unit, User
from webapp.models.sync import Finding
from webapp.models.types import utcnow


def make_finding(
    estate_id: int,
    note: str = "漏水",
    category: str = "漏水",
    severity: str = "high",
    days_ago: float = 1.0,
) -> str:
    """Insert a finding on the first unit of an estate (inside an app context); returns its id."""
    unit = db.session.scalars(
        sa.select(Unit).where(Unit.estate_id == estate_id).order_by(Unit.id)
    ).first()
    patrol = db.session.scalar(sa.select(User).where(User.username == "patrol"))
    fid = str(uuid.uuid4())
    at = utcnow() - timedelta(days=days_ago)
    db.session.add(
        Finding(
            id=fid,
            op_id=str(uuid.uuid4()),
            user_id=patrol.id,
            occurred_at=at,
            received_at=at,
            estate_id=estate_id,
            item_type="unit",
            item_id=unit.id,
            severity=severity,
            category=category,
            note=note,
            status="open",
        )
    )
    db.session.commit()
    return fid


@pytest.fixture
def finding(app, seed):
    """A fresh open finding in the first seed estate."""
    with app.app_context():
        return make_finding(seed.estate_ids[0])


@pytest.fixture
def other_finding(app, seed):
    """A fresh open finding in the second seed estate."""
    with app.app_context():
        return make_finding(seed.estate_ids[1])


@pytest.fixture
def post(client, auth):
    """POST a form with the CSRF token of the logged-in session."""

    def _post(path, data=None, **kw):
        token = auth.csrf("/review/findings")
        return client.post(path, data={"csrf_token": token, **(data or {})}, **kw)

    return _post
