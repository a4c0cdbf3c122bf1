"""POST /api/push/subscribe and /unsubscribe: the logged-in user's own subscriptions, checked
before they are kept; and the alerts page's "notifications on this device" control."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from tests.conftest import AuthActions
from tests.push_service import Subscriber, b64url
from webapp.alerts import push
from webapp.extensions import db
from webapp.models import User
from webapp.models.push import PushSubscription
from webapp.models.push import live as live_clause
from webapp.pwa import notifications

FCM = "https://fcm.googleapis.com/fcm/send/"


def _csrf(client) -> str:
    return client.get("/api/auth/session").get_json()["csrf_token"]


def _post(client, path: str, body, token: str | None = None):
    return client.post(
        f"/api/push/{path}", json=body, headers={"X-CSRFToken": token or _csrf(client)}
    )


def _rows(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                sa.select(PushSubscription.endpoint, PushSubscription.user_id).order_by(
                    PushSubscription.id
                )
            )
        ]


def test_a_subscription_is_kept_for_the_logged_in_user_and_moves_with_the_browser(
    app, client, auth, seed
):
    """201 for a new one, 200 posted again; logging out ends it (a signed-out browser hears
    nothing more); the same endpoint posted while another user is signed in (the first
    one's session ran out without a logout) makes it theirs (one row per endpoint)."""
    auth.login("supervisor")
    body = Subscriber.new().subscription(FCM + "abc123")
    first = _post(client, "subscribe", body)
    assert first.status_code == 201, first.get_json()
    assert first.get_json() == {"subscribed": True}
    assert _post(client, "subscribe", body).status_code == 200
    assert _rows(app) == [(FCM + "abc123", seed.user_ids["supervisor"])]
    auth.logout()
    assert _rows(app) == []
    auth.login("supervisor")
    assert _post(client, "subscribe", body).status_code == 201
    other = app.test_client()
    AuthActions(other).login("engineer")
    renewed = Subscriber.new().subscription(FCM + "abc123")
    assert _post(other, "subscribe", renewed).status_code == 200
    assert _rows(app) == [(FCM + "abc123", seed.user_ids["engineer"])]
    with app.app_context():
        kept = db.session.scalar(sa.select(PushSubscription))
        assert (kept.p256dh, kept.auth) == (renewed["keys"]["p256dh"], renewed["keys"]["auth"])


def test_logged_out_or_without_a_csrf_token_nothing_is_kept(app, client, auth, seed):
    body = Subscriber.new().subscription(FCM + "x")
    anonymous = client.post("/api/push/subscribe", json=body)
    assert anonymous.status_code in (400, 401)
    auth.login("patrol")
    forged = client.post("/api/push/subscribe", json=body)
    assert forged.status_code == 400
    assert forged.get_json()["error"] == "csrf"
    assert _rows(app) == []


def _with(body: dict, path: str, value) -> dict:
    body = json.loads(json.dumps(body))
    target = body
    *parents, last = path.split(".")
    for name in parents:
        target = target[name]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return body


GOOD = Subscriber.new()
NOT_ON_CURVE = b64url(b"\x04" + b"\x01" * 64)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("endpoint", "http://fcm.googleapis.com/fcm/send/x", "endpoint"),
        ("endpoint", "https://evil.example/fcm/send/x", "endpoint"),
        ("endpoint", "https://fcm.googleapis.com.evil.example/x", "endpoint"),
        ("endpoint", "https://notfcm.googleapis.com/x", "endpoint"),  # a host or its subdomains
        ("endpoint", "https://user:pw@fcm.googleapis.com/x", "endpoint"),
        ("endpoint", "https://127.0.0.1/x", "endpoint"),
        ("endpoint", "https://fcm.googleapis.com:notaport/x", "endpoint"),
        ("endpoint", FCM + "x" * 2100, "endpoint"),
        ("endpoint", 42, "endpoint"),
        ("endpoint", ..., "endpoint"),
        ("keys.p256dh", b64url(b"\x04" + b"\x01" * 30), "keys.p256dh"),
        ("keys.p256dh", NOT_ON_CURVE, "keys.p256dh"),
        ("keys.p256dh", "not base64 !", "keys.p256dh"),
        ("keys.p256dh", ..., "keys.p256dh"),
        ("keys.auth", b64url(b"\x01" * 8), "keys.auth"),
        ("keys.auth", None, "keys.auth"),
        ("keys", "none", "keys.auth"),
    ],
)
def test_a_malformed_subscription_is_a_422_naming_the_field(
    app, client, auth, seed, path, value, field
):
    """https endpoint of a known push service, no user:password; p256dh a P-256 point of 65
    bytes; auth 16 bytes — else 422 with the field's message, and nothing kept."""
    auth.login("patrol")
    body = _with(GOOD.subscription(FCM + "x"), path, value)
    answer = _post(client, "subscribe", body)
    assert answer.status_code == 422, answer.get_json()
    problem = answer.get_json()
    assert problem["error"] == "validation"
    assert field in problem["fields"] and problem["fields"][field][0]
    assert _rows(app) == []


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"text"'])
def test_a_body_that_is_not_a_json_object_is_a_400(app, client, auth, seed, body):
    auth.login("patrol")
    answer = client.post(
        "/api/push/subscribe",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": _csrf(client)},
    )
    assert answer.status_code == 400
    assert answer.get_json()["message"]


def test_the_known_push_services_are_accepted(app, client, auth, seed):
    """Chrome (FCM), Firefox, Safari and iOS (web.push.apple.com), Edge (WNS)."""
    auth.login("patrol")
    token = _csrf(client)
    for endpoint in (
        FCM + "a",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAA",
        "https://web.push.apple.com/QGuZ",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
    ):
        answer = _post(client, "subscribe", Subscriber.new().subscription(endpoint), token)
        assert answer.status_code == 201, (endpoint, answer.get_json())


def test_a_user_keeps_at_most_the_cap_the_least_recent_go(app, client, auth, seed):
    auth.login("patrol")
    token = _csrf(client)
    for n in range(notifications.MAX_PER_USER + 2):
        answer = _post(client, "subscribe", GOOD.subscription(f"{FCM}d{n}"), token)
        assert answer.status_code == 201
    endpoints = [endpoint for endpoint, _ in _rows(app)]
    assert len(endpoints) == notifications.MAX_PER_USER
    assert endpoints[0] == f"{FCM}d2" and endpoints[-1] == f"{FCM}d11"


def test_unsubscribe_removes_only_the_users_own(app, client, auth, seed):
    supervisor = app.test_client()
    AuthActions(supervisor).login("supervisor")
    _post(supervisor, "subscribe", GOOD.subscription(FCM + "sup"))
    auth.login("engineer")
    token = _csrf(client)
    _post(client, "subscribe", GOOD.subscription(FCM + "eng"), token)
    others = _post(client, "unsubscribe", {"endpoint": FCM + "sup"}, token)
    assert others.status_code == 200 and others.get_json() == {"removed": 0}
    mine = _post(client, "unsubscribe", {"endpoint": FCM + "eng"}, token)
    assert mine.get_json() == {"removed": 1}
    assert _rows(app) == [(FCM + "sup", seed.user_ids["supervisor"])]
    assert _post(client, "unsubscribe", {}, token).status_code == 422


def test_the_alerts_page_holds_the_control_and_the_vapid_public_key(app, client, auth, seed):
    """The switch (hidden buttons until the script knows the browser), its words, and
    #push-config: the key the browser subscribes with and the endpoints — no inline script."""
    auth.login("desk")
    page = client.get("/account/alerts").get_data(as_text=True)
    assert "data-push-on" in page and "data-push-off" in page
    block = re.search(r'<script type="application/json" id="push-config">(.*?)</script>', page)
    config = json.loads(block.group(1))
    with app.app_context():
        assert config["publicKey"] == push.public_key()
    assert config["subscribeUrl"] == "/api/push/subscribe"
    assert config["unsubscribeUrl"] == "/api/push/unsubscribe"
    assert "Home Screen" in config["strings"]["ios"] or "主畫面" in (config["strings"]["ios"])
    assert 'src="/static/build/notifications.js"' in page


def test_signing_out_everywhere_else_silences_the_other_browsers_and_keeps_this_one(
    app, client, auth, seed
):
    """A lost phone: "sign out everywhere else" from the desk's browser — is the phone sent
    nothing more while this browser (whose session is renewed) still hears its alerts? And
    when an admin deactivates the user, nothing at all?"""
    supervisor = seed.user_ids["supervisor"]
    phone = app.test_client()
    AuthActions(phone).login("supervisor")
    _post(phone, "subscribe", GOOD.subscription(FCM + "phone"))
    auth.login("supervisor")
    _post(client, "subscribe", GOOD.subscription(FCM + "desk"))
    with app.app_context():
        assert push.Push().reachable(db.session, [supervisor]) == {supervisor}
    client.post("/account/sessions/end", data={"csrf_token": _csrf(client)})
    with app.app_context():
        live = db.session.scalars(sa.select(PushSubscription.endpoint).where(live_clause()))
        assert set(live) == {FCM + "desk"}
        db.session.get(User, supervisor).active = False
        db.session.commit()
        assert push.Push().reachable(db.session, [supervisor]) == set()
