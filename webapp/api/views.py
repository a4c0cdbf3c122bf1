"""HTTP glue for the sync protocol: parse, call sync/, commit, answer JSON."""

from __future__ import annotations

import json
import random
import re
import time

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.wsgi import FileWrapper

from sync import blobs, merge, photos
from sync.pull import CursorExpired, pull
from sync.schemas import DeviceAuthRequestSchema, PullQuerySchema, PushRequestSchema
from webapp import edge
from webapp.access import public, roles
from webapp.api import auth as api_auth
from webapp.api.openapi import spec
from webapp.auth.views import authenticate
from webapp.errors import api_error
from webapp.extensions import db
from webapp.models import Device, utcnow
from webapp.models.sync import PhotoBlob
from webapp.monitoring import metrics
from webapp.scoping import visible_estate_ids

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_PUSH_BYTES = 5 * 1024 * 1024
SHA_RE = re.compile(r"^[0-9a-f]{64}$")


def _json_body(max_bytes: int | None = None):
    """The request's JSON object, or an API error response to return."""
    length = request.content_length
    if max_bytes is not None and length is not None and length > max_bytes:
        return None, api_error(413, "payload_too_large", _("That upload is too large."))
    data = request.get_data(cache=True)
    if max_bytes is not None and len(data) > max_bytes:
        return None, api_error(413, "payload_too_large", _("That upload is too large."))
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the decoder goes
        body = None
    if not isinstance(body, dict):
        return None, api_error(400, "bad_request", _("Send a JSON object."))
    # Text and numbers no database stores were refused at the edge (webapp/edge.py).
    return body, None


def _invalid(exc: ValidationError):
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return api_error(422, "validation", _("Some of what was sent is not valid."), messages)


def _estates_payload(user) -> list[dict]:
    return [{"id": e.id, "name": e.name} for e in user.visible_estates]


@bp.post("/auth/device")
@public
def device_login():
    """Issue a device token for credentials, or for the page's logged-in session.

    Credentials go through the one limited password check (webapp/auth/passwords.py):
    too many wrong tries → 429 ``too_many_attempts`` with Retry-After.
    """
    body, error = _json_body()
    if error:
        return error
    try:
        data = DeviceAuthRequestSchema().load(body)
    except ValidationError as exc:
        return _invalid(exc)
    if "password" in data or "username" in data:
        user = authenticate(data.get("username", ""), data.get("password", ""))
        if user is None:
            return api_error(401, "invalid_credentials", _("Wrong username or password."))
    elif current_user.is_authenticated and not isinstance(g.get("bearer_device"), Device):
        user = current_user._get_current_object()
    else:
        return api_error(401, "invalid_credentials", _("Wrong username or password."))
    device, token = Device.issue(user, data["device_name"])
    db.session.add(device)
    db.session.commit()
    if "password" not in data:
        api_auth.bind_session_to(device)
    return jsonify(
        {
            "device_id": device.id,
            "token": token,
            "user": {"username": user.username, "role": user.role},
            "estates": _estates_payload(user),
        }
    ), 201


@bp.delete("/auth/device")
@roles()
def device_logout():
    """Revoke the caller's own token."""
    device = g.get("bearer_device")
    if not isinstance(device, Device):
        return api_error(400, "no_device", _("Only a device token can be revoked this way."))
    device.revoked_at = utcnow()
    device.revoked_by_id = device.user_id
    db.session.commit()
    return "", 204


@bp.get("/sync/pull")
@roles()
def sync_pull():
    """One page of what changed in the caller's estates since the cursor."""
    try:
        query = PullQuerySchema().load(request.args.to_dict())
    except ValidationError as exc:
        return _invalid(exc)
    now = utcnow()
    device = g.get("bearer_device")
    stale = isinstance(device, Device) and (
        device.last_sync_at is None or (now - device.last_sync_at).total_seconds() > 60
    )
    if stale:  # not on every page: a pull is a read, it should rarely write
        device.last_sync_at = now
    # The device row before the feed counter (ensure_tracked): the push's lock order.
    db.session.flush()
    try:
        result = pull(
            db.session,
            visible_estate_ids(),
            query["cursor"],
            query["limit"],
            now,
            current_app.config["SECRET_KEY"],
        )
    except CursorExpired:
        db.session.rollback()
        return api_error(
            410, "cursor_expired", _("This sync position is too old. Pull a fresh snapshot.")
        )
    db.session.commit()
    doc = {
        "changes": result.changes,
        "cursor": result.cursor,
        "has_more": result.has_more,
        "server_time": now.isoformat(),
    }
    # Unsorted, compact, UTF-8: a full pull is tens of thousands of objects with CJK labels.
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    metrics.pulled(len(body))
    return Response(body, mimetype="application/json")


@bp.post("/sync/push")
@roles()
@edge.checks_own("ops")  # each op is checked alone: a bad one is quarantined, not the batch
def sync_push():
    """Merge a batch of ops; one result per op, in order."""
    body, error = _json_body(MAX_PUSH_BYTES)
    if error:
        return error
    try:
        data = PushRequestSchema().load(body)
    except ValidationError as exc:
        return _invalid(exc)
    device = g.get("bearer_device")
    device_id = device.id if isinstance(device, Device) else None
    if device_id is None:
        # From the app's own pages: the device must be one of the caller's own.
        own = db.session.get(Device, data["device_id"])
        if own is None or own.user_id != current_user.id or own.revoked_at is not None:
            return api_error(403, "wrong_device", _("This device is not yours."))
        device = own
    elif data["device_id"] != device_id:
        return api_error(403, "wrong_device", _("device_id is not the device of this token."))
    now = utcnow()
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        try:
            results, lags = _push(device, data, now)
            break
        except OperationalError as exc:
            if not _retryable(exc) or attempt == PUSH_ATTEMPTS:
                raise
            db.session.rollback()
            current_app.logger.info("push retried after %s", exc.orig.__class__.__name__)
            time.sleep(random.uniform(0.005, 0.05) * attempt)
    metrics.pushed(results, lags)  # once, for the attempt that was committed
    return jsonify({"results": results, "server_time": now.isoformat()})


# A deadlock or a serialization failure is the database asking to run the transaction
# again: a push is idempotent, so it is run again here (a few times) before a phone is told
# 503. PostgreSQL's SQLSTATEs: serialization_failure, deadlock_detected.
PUSH_ATTEMPTS = 4
_RETRYABLE = ("40001", "40P01")


def _retryable(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE


def _push(device: Device, data: dict, now) -> tuple[list[dict], list[tuple[str, float]]]:
    """One attempt at a push, committed, with the lag of each op it stored (for /metrics).
    The device row is written (locked) first: the start of the lock order that sync/merge.py
    continues."""
    device.last_sync_at = now
    if data.get("pending") is not None:
        device.pending_count = min(data["pending"], 2**31 - 1)
    db.session.flush()
    actor = merge.Actor(
        user_id=current_user.id, estate_ids=visible_estate_ids(), device_id=device.id
    )
    results = merge.push(db.session, actor, data["ops"], now)
    lags = metrics.stored_ops_lag(db.session, results, now)  # in this transaction, no other
    db.session.commit()
    return results, lags


def _blob_visible(sha256: str) -> bool:
    return SHA_RE.match(sha256) is not None and photos.visible(
        db.session, sha256, current_user.id, visible_estate_ids()
    )


@bp.route("/blobs/<sha256>", methods=["GET", "HEAD"])
@roles(scope={"sha256": "plain"})
def blob_get(sha256: str):
    """Send a photo the caller may see (never as anything but an image)."""
    blob = db.session.get(PhotoBlob, sha256) if _blob_visible(sha256) else None
    # Streamed in chunks from the folder or the bucket, after the same checks either way
    # (docs/decisions.md 21): the file or object is closed when the response is.
    store = blobs.from_config(current_app.config)
    stream = None if blob is None else store.open(photos.photo_key(sha256))
    if stream is None:
        return api_error(404, "not_found", _("No such photo."))
    response = Response(
        FileWrapper(stream, blobs.CHUNK), mimetype=blob.content_type, direct_passthrough=True
    )
    response.content_length = blob.size
    response.set_etag(blob.stored_sha256)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


@bp.put("/blobs/<sha256>")
@roles(scope={"sha256": "plain"})
def blob_put(sha256: str):
    """Receive a photo, named by the sha256 of its bytes."""
    if not SHA_RE.match(sha256):
        return api_error(400, "bad_hash", _("The address must be a lowercase hex sha256."))
    length = request.content_length
    if length is not None and length > photos.MAX_BYTES:
        return api_error(413, "too_large", _("That upload is too large."))
    data = request.get_data()
    try:
        stored = photos.store(
            db.session,
            blobs.from_config(current_app.config),
            sha256,
            data,
            request.mimetype,
            current_user.id,
            utcnow(),
        )
    except photos.PhotoError as exc:
        db.session.rollback()
        return api_error(exc.status, exc.error, exc.message)
    db.session.commit()
    return jsonify({"sha256": sha256, "size": stored.size}), (201 if stored.created else 200)


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI document of every /api route."""
    return jsonify(spec(current_app))


# A database that is busy or gone answers 503 on every route, pages and API alike:
# webapp/errors.py handle_unavailable (registered for the whole app).
