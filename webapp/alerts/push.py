"""The Web Push channel: send a notification to every browser a user turned them on in.

Messages go through the browsers' own push services (FCM for Chrome and Android, Mozilla's,
Apple's for Safari and iOS Home Screen apps, WNS for Edge) with pywebpush: the payload is
encrypted to the subscription's keys (``aes128gcm``, RFC 8291) and signed for the push service
with our VAPID key (RFC 8292: ``Authorization: vapid t=<ES256 JWT>,k=<public key>``).

The VAPID key pair is made once into ``instance/vapid_private_key.pem`` (0600) unless
``VAPID_PRIVATE_KEY`` gives it; the public key is what the page subscribes with. A new key
orphans every subscription (the push services refuse messages signed by another key), so it
is kept like the secret key, and several app machines must share one.

``deliver`` is what the alert jobs call (through the ``Push`` channel registered below): an
expired subscription (404/410 from the push service) is deleted; any other failure raises
``PushFailed`` so the job is tried again.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlalchemy.orm import Session

from webapp.alerts.channels import Channel, Message, register
from webapp.models.push import PushSubscription, live
from webapp.models.types import utcnow

log = logging.getLogger(__name__)

KEY_FILE = "vapid_private_key.pem"
# Kept by the push service while the device is off; an alert older than this is stale (the
# in-app bell still has it).
DEFAULT_TTL = int(timedelta(days=1).total_seconds())
REQUEST_TIMEOUT = 10  # seconds; a push service that does not answer is a failure: retried
GONE = (404, 410)  # the subscription expired or was withdrawn: never send to it again
# Bounds that keep the encrypted message under the 4096 bytes push services accept.
TITLE_MAX, BODY_MAX, URL_MAX, TAG_MAX = 120, 600, 500, 100


class PushFailed(RuntimeError):
    """A push service refused or did not answer: the alert job tries again later."""


@dataclass(frozen=True)
class Keys:
    """The VAPID key pair: the signer and the public key the page subscribes with."""

    vapid: Vapid02
    public_key: str  # base64url of the uncompressed P-256 point (65 bytes)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding (ValueError when it is not base64url)."""
    if not isinstance(text, str) or not text or len(text) > 200:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64url") from exc


def _generate(path: Path) -> None:
    """Write a new private key to ``path`` unless one is there: the file appears whole or not
    at all (written aside, then hard-linked), so a web process and a worker starting together
    end up with one key."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")  # created 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def _load(text: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM or from the base64url 32-byte scalar (what other Web Push
    tools print)."""
    if "-----BEGIN" in text:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    else:
        raw = b64url_decode(text.strip())
        if len(raw) != 32:
            raise ValueError("VAPID_PRIVATE_KEY: a PEM key or 32 bytes in base64url")
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("VAPID_PRIVATE_KEY must be a P-256 (prime256v1) EC key")
    return key


def keys(app: Flask | None = None) -> Keys:
    """The app's VAPID keys, read (or made, once) at first use."""
    app = app or current_app
    found = app.extensions.get("rounds.vapid")
    if found is not None:
        return found
    text = app.config.get("VAPID_PRIVATE_KEY")
    if not text:
        path = Path(app.instance_path) / KEY_FILE
        if not path.exists():
            _generate(path)
        text = path.read_text()
    private = _load(text)
    vapid = Vapid02(private, conf={"no-strict": True})  # a development subject is http://
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    found = Keys(vapid=vapid, public_key=b64url(point))
    app.extensions["rounds.vapid"] = found
    return found


def public_key() -> str:
    """The applicationServerKey the page subscribes with."""
    return keys().public_key


def _topic(tag: str) -> str:
    """The Topic header for a tag: a newer message with the same topic replaces one the push
    service still holds (at most 32 characters of the base64url alphabet)."""
    return b64url(hashlib.sha256(tag.encode()).digest())[:32]


def absolute_url(url: str) -> str:
    """``url`` (a path, or a URL of this deployment) made absolute on PUBLIC_BASE_URL;
    ValueError for any other origin (the service worker would refuse to open it)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/"
    if not url.startswith("/") or url.startswith("//"):
        full = url
    else:
        full = urljoin(base, url.lstrip("/"))
    if urlsplit(full)[:2] != urlsplit(base)[:2] or len(full) > URL_MAX:
        raise ValueError(f"a push message opens a page of this deployment, not {url!r}")
    return full


def payload(*, title: str, body: str, url: str, tag: str) -> bytes:
    """The JSON the service worker shows (static/sw/push.js), cut to fit a push message."""

    def cut(text: str, limit: int) -> str:
        text = " ".join(str(text).split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    message = {
        "title": cut(title, TITLE_MAX),
        "body": cut(body, BODY_MAX),
        "url": absolute_url(url),
        "tag": cut(tag, TAG_MAX),
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


class _Http(requests.Session):
    """A session whose ``verify`` holds for every request: requests lets REQUESTS_CA_BUNDLE
    in the environment override a session's own CA bundle unless the request names one."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("verify", self.verify)
        return super().request(*args, **kwargs)


def _http() -> requests.Session:
    session = _Http()
    # Tests point this at the local recorder's certificate; production uses the system CAs.
    session.verify = current_app.config.get("PUSH_CA_BUNDLE") or True
    return session


def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def send(
    http: requests.Session,
    subscription: PushSubscription,
    data: bytes,
    *,
    tag: str,
    ttl: int = DEFAULT_TTL,
    urgency: str = "normal",
) -> int:
    """POST one encrypted message to the subscription's push service: its HTTP status.

    Raises ``PushFailed`` for no answer; a refusal is returned (the caller decides)."""
    vapid = keys().vapid
    claims = {
        "sub": current_app.config["VAPID_SUBJECT"],
        "aud": _origin(subscription.endpoint),
        "exp": int(utcnow().timestamp()) + 12 * 3600,
    }
    info = {
        "endpoint": subscription.endpoint,
        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
    }
    try:
        response = webpush(
            info,
            data=data,
            vapid_private_key=vapid,
            vapid_claims=claims,
            content_encoding="aes128gcm",
            ttl=ttl,
            headers={"Urgency": urgency, "Topic": _topic(tag)},
            timeout=REQUEST_TIMEOUT,
            requests_session=http,
        )
    except WebPushException as exc:
        if exc.status_code is None:
            raise PushFailed(f"push service: {exc.message}") from exc
        return int(exc.status_code)
    except requests.RequestException as exc:
        raise PushFailed(f"push service unreachable: {type(exc).__name__}") from exc
    return response.status_code


def deliver(
    session: Session,
    user_id: int,
    *,
    title: str,
    body: str,
    url: str,
    tag: str,
    ttl: int = DEFAULT_TTL,
    urgency: str = "normal",
) -> int:
    """Send a notification to each browser the user turned notifications on in.

    Returns how many subscriptions took the message. An expired one (404/410) is deleted in
    ``session`` (the caller commits); any other refusal or no answer raises ``PushFailed``
    after every subscription was tried, so the job is run again (the ones that took it get it
    again then — the same ``tag`` replaces the first notification rather than adding one)."""
    subscriptions = session.scalars(
        sa.select(PushSubscription)
        .where(PushSubscription.user_id == user_id, live())
        .order_by(PushSubscription.id)
    ).all()
    if not subscriptions:
        return 0
    data = payload(title=title, body=body, url=url, tag=tag)
    sent, failures = 0, []
    with _http() as http:
        for subscription in subscriptions:
            try:
                status = send(http, subscription, data, tag=tag, ttl=ttl, urgency=urgency)
            except PushFailed as exc:
                failures.append(str(exc))
                continue
            if status in GONE:
                log.info("push subscription %s gone (%s): deleted", subscription.id, status)
                session.delete(subscription)
            elif 200 <= status < 300:
                subscription.last_sent_at = utcnow()
                sent += 1
            else:
                failures.append(f"push service answered {status}")
    session.flush()
    if failures:
        raise PushFailed(f"{len(failures)} of {len(subscriptions)} not sent: {failures[0]}")
    return sent


@register
class Push(Channel):
    """The alerts' Web Push channel (webapp/alerts/channels.py): one notification per alert
    on each of the person's browsers; the alert's key is its tag and its Topic, so a resend
    replaces the first rather than adding one. Urgent alerts go as Urgency: high."""

    name = "push"

    def ready(self, config) -> bool:
        return True  # the VAPID keys are made on first use

    def reachable(self, session: Session, user_ids: Iterable[int]) -> set[int]:
        ids = set(user_ids)
        if not ids:
            return set()
        return set(
            session.scalars(
                sa.select(PushSubscription.user_id).where(PushSubscription.user_id.in_(ids), live())
            )
        )

    def send(self, ctx, message: Message) -> None:
        deliver(
            ctx.session,
            message.user_id,
            title=message.title,
            body=message.body,
            url=message.url,
            tag=message.key,
            urgency="high" if message.urgent else "normal",
        )
