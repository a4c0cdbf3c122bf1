"""Bad input under /api is a 4xx in the API's JSON error shape, never a 5xx."""

from __future__ import annotations

import uuid

from tests.sync.conftest import check_op


def test_push_envelope_errors(app, client, phone, make_phone, seed):
    """Are a huge body 413, too many ops 422, bad JSON 400, another device 403?"""
    big = "x" * (5 * 1024 * 1024 + 10)
    response = client.post(
        "/api/sync/push",
        data=big,
        headers=phone.headers | {"Content-Type": "application/json"},
    )
    assert response.status_code == 413 and response.get_json()["error"] == "payload_too_large"
    too_many = [check_op("X") for _ in range(501)]
    response = phone.push(too_many)
    assert response.status_code == 422 and "ops" in response.get_json()["fields"]
    assert phone.push([]).status_code == 422
    response = client.post(
        "/api/sync/push", data="{nope", headers=phone.headers | {"Content-Type": "application/json"}
    )
    body = response.get_json()
    assert response.status_code == 400 and set(body) == {"error", "message", "request_id"}
    assert body["request_id"] == response.headers["X-Request-ID"]
    other = make_phone("patrol", "other")
    response = client.post(
        "/api/sync/push",
        json={"device_id": other.device_id, "ops": [check_op("X")]},
        headers=phone.headers,
    )
    assert response.status_code == 403
    response = client.post(
        "/api/sync/push",
        json={"device_id": phone.device_id, "ops": [check_op("X")], "extra": 1},
        headers=phone.headers,
    )
    assert response.status_code == 422 and "extra" in response.get_json()["fields"]


def test_a_page_pushes_with_its_session_and_csrf_token(app, client, auth, phone, seed):
    """Does the session cookie work for push from the app's pages only with the CSRF token?"""
    auth.login("patrol")
    body = {"device_id": phone.device_id, "ops": [check_op("X")]}
    assert client.post("/api/sync/push", json=body).status_code == 400
    token = auth.csrf("/")
    response = client.post("/api/sync/push", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.get_json()["results"][0]["error"] == "unknown_code"
    assert client.get("/api/sync/pull?limit=5").status_code == 200


def test_weird_ops_are_rejected_not_crashed(phone, seed):
    """Do ops of every odd shape come back rejected, one result each, never a 5xx?"""
    weird = [
        1,
        "op",
        None,
        [],
        {},
        {
            "op_id": str(uuid.uuid4()),
            "type": "nope",
            "occurred_at": "2026-01-01T00:00:00Z",
            "payload": {},
        },
        {
            "op_id": str(uuid.uuid4()),
            "type": "check.record",
            "occurred_at": "2026-01-01T00:00:00",
            "payload": {},
        },
        {
            "op_id": str(uuid.uuid4()),
            "type": "key.lend",
            "occurred_at": "2026-01-01T00:00:00Z",
            "payload": {"id": "x"},
        },
        {"op_id": {"a": 1}, "type": ["x"], "occurred_at": 5, "payload": "p"},
    ]
    response = phone.push(weird)
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert [r["status"] for r in response.get_json()["results"]] == ["rejected"] * len(weird)


def test_input_no_database_can_store_is_400_not_a_crash(client, phone, seed):
    """Are NUL characters, NaN and absurd nesting answered 400 on every database (in a push:
    the op that holds them is rejected and quarantined, its batch goes on)?"""
    headers = phone.headers | {"Content-Type": "application/json"}
    op = check_op("X", note="a\x00b")
    response = phone.push([op])
    assert response.status_code == 200
    assert response.get_json()["results"][0]["error"] == "bad_text"
    nan = '{"device_id": "%s", "ops": [{"op_id": "x", "payload": {"answers": {"a": NaN}}}]}'
    response = client.post("/api/sync/push", data=nan % phone.device_id, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["results"][0]["error"] == "bad_text"
    nan = '{"device_id": "%s", "pending": NaN, "ops": [{"op_id": "x"}]}'
    response = client.post("/api/sync/push", data=nan % phone.device_id, headers=headers)
    assert response.status_code == 400
    deep = "[" * 200_000 + "]" * 200_000
    assert client.post("/api/sync/push", data=deep, headers=headers).status_code == 400
    response = client.post(
        "/api/auth/device",
        json={"username": "pa\x00trol", "password": "x", "device_name": "d"},
    )
    assert response.status_code == 400
    response = client.post(
        "/api/auth/device", data=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 401)
