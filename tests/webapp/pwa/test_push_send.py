"""The Web Push channel (webapp/alerts/push.py) against a push service the test runs.

Each message is read at the recording push service as a push service would read it: the
VAPID Authorization (an ES256 JWT for the service's origin, signed by the app's key), the
aes128gcm body (decrypted with the browser-side keys), TTL, Urgency and Topic.
"""

from __future__ import annotations

import os
import socket
import stat
import time

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests import push_service
from tests.conftest import make_test_app
from webapp.alerts import push
from webapp.extensions import db
from webapp.models.push import PushSubscription


@pytest.fixture
def recorder(push_recorder):
    return push_recorder


@pytest.fixture
def app(app, recorder):
    """The app trusts the recorder's certificate and takes 127.0.0.1 as a push service."""
    app.config.update(PUSH_CA_BUNDLE=str(recorder.cert), PUSH_SERVICE_HOSTS=("127.0.0.1",))
    recorder.requests.clear()
    recorder.status.clear()
    return app


def _subscribe(user_id: int, endpoint: str) -> push_service.Subscriber:
    browser = push_service.Subscriber.new()
    keys = browser.subscription(endpoint)["keys"]
    sid = push_service.signed_in(db.session, user_id)
    db.session.add(PushSubscription(user_id=user_id, endpoint=endpoint, session_id=sid, **keys))
    db.session.commit()
    return browser


def _deliver(user_id: int, **kw) -> int:
    message = {"title": "逾期未處理", "body": "3棟-15樓 消防門", "url": "/review", "tag": "f:1"}
    sent = push.deliver(db.session, user_id, **{**message, **kw})
    db.session.commit()
    return sent


def test_a_message_is_vapid_signed_and_decrypts_with_the_browsers_keys(app, seed, recorder):
    """One POST to the endpoint: Authorization `vapid t=<ES256 JWT>,k=<our public key>` whose
    aud is the push service's origin; Content-Encoding aes128gcm; TTL, Urgency, Topic; the
    body decrypts with the subscription's private key to the title, body, url and tag."""
    uid = seed.user_ids["supervisor"]
    with app.app_context():
        browser = _subscribe(uid, recorder.url("sup-phone"))
        before = int(time.time())
        assert _deliver(uid, url="/review/findings/12", tag="finding:12") == 1
        public_key = push.public_key()
        sent_at = db.session.scalar(sa.select(PushSubscription.last_sent_at))
    assert sent_at is not None
    [request] = recorder.requests
    assert request.path == "/push/sup-phone"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert request.headers["ttl"] == str(push.DEFAULT_TTL)
    assert request.headers["urgency"] == "normal"
    assert request.headers["topic"] == push._topic("finding:12")
    assert len(request.headers["topic"]) <= 32
    claims, k = push_service.verify_vapid(request.headers["authorization"])
    assert k == public_key
    assert claims["aud"] == recorder.origin
    assert claims["sub"] == "http://127.0.0.1:5000"
    assert before < claims["exp"] <= before + 24 * 3600
    assert browser.decrypt(request.body) == {
        "title": "逾期未處理",
        "body": "3棟-15樓 消防門",
        "url": "http://127.0.0.1:5000/review/findings/12",
        "tag": "finding:12",
    }


def test_a_tampered_token_or_another_key_fails_the_check(app, seed, recorder):
    """The test's VAPID check can fail: a changed claim or a k of another key is refused."""
    uid = seed.user_ids["supervisor"]
    with app.app_context():
        _subscribe(uid, recorder.url("check"))
        _deliver(uid)
    authorization = recorder.requests[0].headers["authorization"]
    token = authorization.split("t=")[1].split(",")[0]
    head, claims, sig = token.split(".")
    forged = push_service.b64url(b'{"aud":"https://elsewhere.example","exp":1,"sub":"x"}')
    with pytest.raises(InvalidSignature):
        push_service.verify_vapid(authorization.replace(claims, forged))
    other = push_service.Subscriber.new().p256dh  # some other P-256 public key
    k = authorization.split("k=")[1]
    with pytest.raises(InvalidSignature):
        push_service.verify_vapid(authorization.replace(k, other))


def test_a_gone_subscription_is_deleted_and_the_others_still_get_it(app, seed, recorder):
    """410 and 404 from the push service: that subscription is deleted; the third got it."""
    uid = seed.user_ids["engineer"]
    recorder.status["/push/gone"] = 410
    recorder.status["/push/unknown"] = 404
    with app.app_context():
        for name in ("gone", "unknown", "alive"):
            _subscribe(uid, recorder.url(name))
        assert _deliver(uid) == 1
        left = db.session.scalars(sa.select(PushSubscription.endpoint)).all()
    assert left == [recorder.url("alive")]
    assert sorted(r.path for r in recorder.requests) == [
        "/push/alive",
        "/push/gone",
        "/push/unknown",
    ]


@pytest.mark.parametrize("status", [500, 429, 403, 413])
def test_a_refusal_raises_after_every_subscription_was_tried(app, seed, recorder, status):
    """Any other answer raises PushFailed (the job engine retries it), after the other
    subscriptions got the message; nothing is deleted."""
    uid = seed.user_ids["engineer"]
    recorder.status["/push/failing"] = status
    with app.app_context():
        _subscribe(uid, recorder.url("failing"))
        _subscribe(uid, recorder.url("fine"))
        with pytest.raises(push.PushFailed, match=str(status)):
            push.deliver(db.session, uid, title="t", body="b", url="/", tag="t")
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 2
    assert {r.path for r in recorder.requests} == {"/push/failing", "/push/fine"}


def test_no_answer_and_an_untrusted_certificate_raise(app, seed, recorder):
    """A push service that is down, or whose certificate is not trusted, is a failure to retry
    — never a subscription to delete."""
    uid = seed.user_ids["engineer"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with app.app_context():
        _subscribe(uid, f"https://127.0.0.1:{closed_port}/push/down")
        with pytest.raises(push.PushFailed, match="unreachable"):
            push.deliver(db.session, uid, title="t", body="b", url="/", tag="t")
        db.session.rollback()
        db.session.execute(sa.delete(PushSubscription))
        _subscribe(uid, recorder.url("tls"))
        app.config["PUSH_CA_BUNDLE"] = None
        with pytest.raises(push.PushFailed, match="SSLError"):
            push.deliver(db.session, uid, title="t", body="b", url="/", tag="t")
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 1
    assert recorder.requests == []


def test_a_user_without_subscriptions_gets_nothing(app, seed, recorder):
    with app.app_context():
        assert _deliver(seed.user_ids["desk"]) == 0
    assert recorder.requests == []


def test_a_long_message_is_cut_to_fit_a_push_message(app, seed, recorder):
    """Push services take at most 4096 bytes: a long Chinese title and body are cut (…)."""
    uid = seed.user_ids["supervisor"]
    with app.app_context():
        browser = _subscribe(uid, recorder.url("long"))
        assert _deliver(uid, title="消防門" * 100, body="門鎖損壞，" * 500, tag="x" * 300) == 1
    [request] = recorder.requests
    assert len(request.body) <= 4096
    message = browser.decrypt(request.body)
    assert len(message["title"]) == push.TITLE_MAX and message["title"].endswith("…")
    assert len(message["body"]) == push.BODY_MAX and message["tag"] == "x" * 99 + "…"


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/review", "//evil.example/x", "javascript:alert(1)", "/x" * 400],
)
def test_a_message_opens_only_a_page_of_this_deployment(app, seed, recorder, url):
    uid = seed.user_ids["supervisor"]
    with app.app_context():
        _subscribe(uid, recorder.url("foreign"))
        with pytest.raises(ValueError, match="this deployment"):
            push.deliver(db.session, uid, title="t", body="b", url=url, tag="t")
        assert push.absolute_url("http://127.0.0.1:5000/q/ABC") == "http://127.0.0.1:5000/q/ABC"
    assert recorder.requests == []


def test_the_vapid_key_is_made_once_into_the_instance_folder(database_url, tmp_path):
    """No VAPID_PRIVATE_KEY: the first use writes instance/vapid_private_key.pem, 0600; the
    next app (a restart, the jobs worker) reads the same key."""
    first = make_test_app(database_url, tmp_path)
    with first.app_context():
        key = push.public_key()
    path = tmp_path / push.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert len(push_service.unb64url(key)) == 65
    with make_test_app(database_url, tmp_path).app_context():
        assert push.public_key() == key
    push._generate(path)  # a second maker (a racing process) keeps the first key
    with make_test_app(database_url, tmp_path).app_context():
        assert push.public_key() == key
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".vapid")] == []


def test_a_configured_vapid_key_is_used_and_nothing_is_written(database_url, tmp_path):
    """VAPID_PRIVATE_KEY (several machines share one): PEM or the base64url raw key."""
    raw = os.urandom(32)
    made = make_test_app(database_url, tmp_path, VAPID_PRIVATE_KEY=push_service.b64url(raw))
    with made.app_context():
        key = push.public_key()
    assert not (tmp_path / push.KEY_FILE).exists()
    pem = (
        ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with make_test_app(database_url, tmp_path, VAPID_PRIVATE_KEY=pem).app_context():
        assert push.public_key() == key
    short = make_test_app(database_url, tmp_path, VAPID_PRIVATE_KEY="c2hvcnQ")
    with short.app_context(), pytest.raises(ValueError, match="32 bytes"):
        push.public_key()
