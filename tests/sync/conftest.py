"""Sync fixtures: device tokens, op builders, and a push helper over the real HTTP API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Device, Key, LabelCode, Unit, User

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass
class Phone:
    """A device token and the calls a phone makes with it."""

    client: object
    device_id: str
    token: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def push(self, ops, pending=None):
        body = {"device_id": self.device_id, "ops": ops}
        if pending is not None:
            body["pending"] = pending
        return self.client.post("/api/sync/push", json=body, headers=self.headers)

    def pull(self, cursor=None, limit=None):
        params = {}
        if cursor is not None:
            params["cursor"] = cursor
        if limit is not None:
            params["limit"] = limit
        return self.client.get("/api/sync/pull", query_string=params, headers=self.headers)


def issue_device(app, username: str, name: str = "phone") -> tuple[str, str]:
    """Create a device for a user directly in the database: (device_id, token)."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        device, token = Device.issue(user, name)
        db.session.add(device)
        db.session.commit()
        return device.id, token


@pytest.fixture
def phone(app, client, seed):
    """The patroller's phone with a fresh token."""
    device_id, token = issue_device(app, "patrol")
    return Phone(client, device_id, token)


@pytest.fixture
def make_phone(app, client, seed):
    def make(username="patrol", name="phone"):
        device_id, token = issue_device(app, username, name)
        return Phone(client, device_id, token)

    return make


def codes_of(app, estate_id: int, item_type: str, n: int = 5, **filters) -> list[str]:
    """Active codes of ``n`` items of a kind in an estate."""
    with app.app_context():
        query = sa.select(LabelCode.code).where(
            LabelCode.estate_id == estate_id, LabelCode.item_type == item_type, LabelCode.active
        )
        if item_type == "key" and filters.get("status"):
            from webapp.models.sync import KeyEvent

            # Keys the demo history has not touched: their custody starts clean.
            query = query.join(Key, Key.id == LabelCode.item_id).where(
                Key.status == filters["status"],
                ~sa.exists().where(KeyEvent.key_id == Key.id),
            )
        if item_type == "unit" and filters.get("status"):
            query = query.join(Unit, Unit.id == LabelCode.item_id).where(
                Unit.status == filters["status"]
            )
        return list(db.session.scalars(query.order_by(LabelCode.id).limit(n)))


def check_op(code: str, at: datetime = T0, **payload) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "code": code,
        "method": "scan",
        "result": "ok",
        "answers": {},
        "photos": [],
    }
    body.update(payload)
    return {
        "op_id": str(uuid.uuid4()),
        "type": "check.record",
        "occurred_at": at.isoformat(),
        "payload": body,
    }


def lend_op(code: str, at: datetime = T0, name="陳師傅", kind="contractor") -> dict:
    return {
        "op_id": str(uuid.uuid4()),
        "type": "key.lend",
        "occurred_at": at.isoformat(),
        "payload": {
            "id": str(uuid.uuid4()),
            "code": code,
            "borrower_name": name,
            "borrower_type": kind,
            "purpose": "裝修",
        },
    }


def return_op(code: str, at: datetime = T0) -> dict:
    return {
        "op_id": str(uuid.uuid4()),
        "type": "key.return",
        "occurred_at": at.isoformat(),
        "payload": {"id": str(uuid.uuid4()), "code": code},
    }


def finding_op(code: str | None = None, at: datetime = T0, **payload) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "severity": "medium",
        "category": "漏水",
        "note": "天花板滲水",
        "photos": [],
    }
    if code:
        body["code"] = code
    body.update(payload)
    return {
        "op_id": str(uuid.uuid4()),
        "type": "finding.create",
        "occurred_at": at.isoformat(),
        "payload": body,
    }


def drain(phone, cursor=None, limit=None):
    """Pull pages until has_more is false: (changes, last cursor)."""
    changes = []
    for _ in range(1000):
        response = phone.pull(cursor, limit)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        changes.extend(body["changes"])
        cursor = body["cursor"]
        if not body["has_more"]:
            return changes, cursor
    raise AssertionError("pull never finished")


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
