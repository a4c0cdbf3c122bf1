"""Device tokens expire when unused (sliding: each use pushes the end back)."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import make_test_app
from webapp.extensions import db
from webapp.models import Device, utcnow


def _token(client) -> dict:
    response = client.post(
        "/api/auth/device",
        json={"username": "patrol", "password": "patrol-demo", "device_name": "手機"},
    )
    assert response.status_code == 201
    return response.get_json()


def _pull(client, token):
    return client.get("/api/sync/pull", headers={"Authorization": f"Bearer {token}"})


def _idle(app, device_id, days):
    with app.app_context():
        device = db.session.get(Device, device_id)
        device.last_seen_at = utcnow() - timedelta(days=days)
        db.session.commit()


def test_a_token_unused_for_thirty_days_is_refused_and_revoked(app, client, seed):
    """Is a token nobody used for 30 days refused (401) and marked revoked?"""
    minted = _token(client)
    _idle(app, minted["device_id"], 30.1)
    assert _pull(client, minted["token"]).status_code == 401
    with app.app_context():
        assert db.session.get(Device, minted["device_id"]).revoked_at is not None
    _idle(app, minted["device_id"], 0)  # too late: revoked stays revoked
    assert _pull(client, minted["token"]).status_code == 401


def test_a_token_in_use_stays_valid(app, client, seed):
    """Does a token used within the window keep working and move its window on?"""
    minted = _token(client)
    _idle(app, minted["device_id"], 29)
    assert _pull(client, minted["token"]).status_code == 200
    with app.app_context():
        seen = db.session.get(Device, minted["device_id"]).last_seen_at
        assert utcnow() - seen < timedelta(minutes=5)


def test_a_token_never_used_counts_from_its_issue(app, client, seed):
    """Is a token issued long ago and never used refused too?"""
    minted = _token(client)
    with app.app_context():
        device = db.session.get(Device, minted["device_id"])
        device.created_at = utcnow() - timedelta(days=31)
        device.last_seen_at = None
        db.session.commit()
    assert _pull(client, minted["token"]).status_code == 401


def test_the_window_is_configurable(database_url, instance_dir, _migrated, seed):
    """Does DEVICE_TOKEN_IDLE_DAYS set the window?"""
    from webapp.config import from_env

    assert from_env({})["DEVICE_TOKEN_IDLE_DAYS"] == 30
    assert from_env({"DEVICE_TOKEN_IDLE_DAYS": "7"})["DEVICE_TOKEN_IDLE_DAYS"] == 7
    app = make_test_app(database_url, instance_dir, DEVICE_TOKEN_IDLE_DAYS=7)
    client = app.test_client()
    minted = _token(client)
    _idle(app, minted["device_id"], 8)
    assert _pull(client, minted["token"]).status_code == 401
