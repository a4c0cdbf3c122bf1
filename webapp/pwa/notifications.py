"""Notifications on this device: the page's Web Push subscription, posted and withdrawn.

The control (templates/alerts/_push_setup.html on /account/alerts, static/js/notifications.js)
subscribes the browser with the server's VAPID public key and posts the subscription here; the
alerts send to it through webapp/alerts/push.py. A subscription is the logged-in user's,
whoever held it before; each user keeps at most MAX_PER_USER (the least recently posted go
first).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from webapp.access import roles
from webapp.alerts import push
from webapp.api import openapi
from webapp.api.views import _json_body
from webapp.auth import sessions
from webapp.errors import api_error
from webapp.extensions import db
from webapp.models.push import ENDPOINT_MAX, PushSubscription
from webapp.models.types import utcnow

bp = Blueprint("notifications", __name__, url_prefix="/api/push")

MAX_PER_USER = 10  # a phone, a desktop, a tablet… and browsers that made a new one


def _service_host(host: str) -> bool:
    hosts = current_app.config["PUSH_SERVICE_HOSTS"]
    return any(host == h or host.endswith("." + h) for h in hosts)


def _endpoint_error(endpoint) -> str | None:
    if not isinstance(endpoint, str) or not endpoint:
        return _("The subscription has no endpoint.")
    if len(endpoint) > ENDPOINT_MAX:
        return _("The endpoint is too long.")
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 — a port that is not a number raises here
    except ValueError:
        return _("The endpoint is not a URL.")
    if parts.scheme != "https" or not host or parts.username or parts.password:
        return _("The endpoint must be an https:// URL of a push service.")
    if not _service_host(host):
        return _("This browser's push service is not one Rounds sends to.")
    return None


def _key_error(keys, name: str, size: int) -> str | None:
    value = keys.get(name) if isinstance(keys, dict) else None
    try:
        raw = push.b64url_decode(value)
    except ValueError:
        return _("The key is not base64url.")
    if len(raw) != size:
        return _("The key has the wrong length.")
    if name == "p256dh":
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError:
            return _("The key is not a P-256 public key.")
    return None


def validate(body: dict) -> tuple[dict | None, dict]:
    """The subscription's endpoint and keys (PushSubscription.toJSON()), or the errors by
    field."""
    keys = body.get("keys")
    errors = {
        "endpoint": _endpoint_error(body.get("endpoint")),
        "keys.p256dh": _key_error(keys, "p256dh", 65),
        "keys.auth": _key_error(keys, "auth", 16),
    }
    errors = {field: [message] for field, message in errors.items() if message}
    if errors:
        return None, errors
    return {"endpoint": body["endpoint"], "p256dh": keys["p256dh"], "auth": keys["auth"]}, {}


def _make_room(user_id: int) -> None:
    """Drop the user's least recently posted subscriptions beyond MAX_PER_USER - 1."""
    ids = db.session.scalars(
        sa.select(PushSubscription.id)
        .where(PushSubscription.user_id == user_id)
        .order_by(PushSubscription.updated_at.desc(), PushSubscription.id.desc())
        .offset(MAX_PER_USER - 1)
    ).all()
    if ids:
        db.session.execute(sa.delete(PushSubscription).where(PushSubscription.id.in_(ids)))


def _store(user_id: int, data: dict, agent: str) -> bool:
    """Insert or move the subscription to the user: True when it is new."""
    found = db.session.scalar(
        sa.select(PushSubscription).where(PushSubscription.endpoint == data["endpoint"])
    )
    now = utcnow()
    if found is None:
        _make_room(user_id)
        try:
            with db.session.begin_nested():
                db.session.add(
                    PushSubscription(
                        user_id=user_id, session_id=sessions.current_id(), user_agent=agent, **data
                    )
                )
            return True
        except IntegrityError:  # the same browser posted it twice at once
            found = db.session.scalar(
                sa.select(PushSubscription).where(PushSubscription.endpoint == data["endpoint"])
            )
    found.user_id, found.p256dh, found.auth = user_id, data["p256dh"], data["auth"]
    found.session_id = sessions.current_id()
    found.user_agent, found.updated_at = agent, now
    return False


@bp.post("/subscribe")
@roles()
def subscribe():
    """Keep this browser's push subscription for the logged-in user."""
    body, error = _json_body(max_bytes=8 * 1024)
    if error:
        return error
    data, errors = validate(body)
    if errors:
        return api_error(422, "validation", _("That is not a push subscription."), errors)
    agent = (request.headers.get("User-Agent") or "")[:200]
    created = _store(current_user.id, data, agent)
    db.session.commit()
    return jsonify({"subscribed": True}), 201 if created else 200


@bp.post("/unsubscribe")
@roles()
def unsubscribe():
    """Forget this browser's push subscription (only the logged-in user's own)."""
    body, error = _json_body(max_bytes=8 * 1024)
    if error:
        return error
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        return api_error(
            422, "validation", _("Say which subscription."), {"endpoint": [_("Required.")]}
        )
    removed = db.session.execute(
        sa.delete(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.user_id == current_user.id
        )
    ).rowcount
    db.session.commit()
    return jsonify({"removed": removed})


def helpers() -> dict:
    """For the templates: ``push_control()``, the control's #push-config."""
    return {"push_control": control_config}


def control_config() -> dict:
    """What the notifications control reads from #push-config."""
    return {
        "publicKey": push.public_key(),
        "subscribeUrl": url_for("notifications.subscribe"),
        "unsubscribeUrl": url_for("notifications.unsubscribe"),
        "sessionUrl": url_for("pwa.session_user"),
        "strings": {
            "unsupported": _("This browser cannot show notifications from Rounds."),
            "ios": _(
                "On iPhone and iPad, notifications come only to Rounds on the Home Screen: "
                "tap the Share button, then “Add to Home Screen”, and open Rounds from there."
            ),
            "denied": _(
                "Notifications are blocked for Rounds in this browser. Allow them in the "
                "browser's (or the phone's) settings for this site, then reload this page."
            ),
            "off": _("Notifications are off on this device."),
            "on": _("Notifications are on for this device."),
            "turnOn": _("Turn on notifications on this device"),
            "turnOff": _("Turn off"),
            "working": _("One moment…"),
            "failed": _("Notifications could not be turned on here: {reason}"),
            "offline": _("The server cannot be reached. Try again with a network."),
            "pushTimeout": _("this browser's push service did not answer. Try again later."),
        },
    }


_SUBSCRIPTION = {
    "type": "object",
    "required": ["endpoint", "keys"],
    "properties": {
        "endpoint": {"type": "string", "format": "uri", "maxLength": ENDPOINT_MAX},
        "expirationTime": {"type": ["number", "null"]},
        "keys": {
            "type": "object",
            "required": ["p256dh", "auth"],
            "properties": {"p256dh": {"type": "string"}, "auth": {"type": "string"}},
        },
    },
}


def _operation(summary: str, schema: dict, ok: dict) -> dict:
    return {
        "post": {
            "summary": summary,
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
            "responses": {**ok, **openapi._errors("400", "401", "413", "422")},
        }
    }


openapi.document(
    "/api/push/subscribe",
    _operation(
        "Keep this browser's Web Push subscription (PushSubscription.toJSON()) for the caller",
        _SUBSCRIPTION,
        {"200": {"description": "Already held, now the caller's"}, "201": {"description": "Kept"}},
    ),
)
openapi.document(
    "/api/push/unsubscribe",
    _operation(
        "Forget one of the caller's Web Push subscriptions",
        {
            "type": "object",
            "required": ["endpoint"],
            "properties": {"endpoint": {"type": "string"}},
        },
        {"200": {"description": "Forgotten (removed: 0 when it was not the caller's)"}},
    ),
)
