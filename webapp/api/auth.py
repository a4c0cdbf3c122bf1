"""Bearer tokens for /api: checked before access.enforce() so CSRF is skipped for them; the
token's user reaches Flask-Login through its ``request_loader``."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, request, session
from flask_login import current_user, logout_user
from sqlalchemy.orm import joinedload

from webapp.auth import sessions
from webapp.auth.sessions import SESSION_DEVICES
from webapp.extensions import db, login_manager, writes
from webapp.models import Device, hash_token, utcnow

DEVICE_AUTH_PATH = "/api/auth/device"


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401)
    return token.strip()


def authenticate_bearer() -> None:
    """Before every /api request: a Bearer token, when sent, decides who is calling."""
    if not request.path.startswith("/api/"):
        return
    if request.path == DEVICE_AUTH_PATH and request.method == "POST" and _carries_password():
        # Logging in again with a password: a stale or revoked token sent along is moot.
        _mark_credentials_login()
        return
    token = _bearer_token()
    if token is None:
        return
    # The device with its user, in one statement (the user is what every call reads next).
    device = db.session.scalar(
        sa.select(Device)
        .options(joinedload(Device.user, innerjoin=True))
        .where(Device.token_hash == hash_token(token))
    )
    if device is None or device.revoked_at is not None or not device.user.active:
        abort(401)
    now = utcnow()
    idle = timedelta(days=current_app.config.get("DEVICE_TOKEN_IDLE_DAYS", 30))
    if now - (device.last_seen_at or device.created_at) > idle:
        # Unused too long: the token ends for good (the phone keeps its outbox, asks for a
        # login and sends it under the new token).
        writes()  # a GET's read cannot become the write (SQLite): take the write lock
        device.revoked_at = now
        db.session.commit()
        abort(401)
    g.bearer_device = device  # Flask-Login asks load_bearer_user; no session cookie is written
    if device.last_seen_at is None or (now - device.last_seen_at).total_seconds() > 60:
        # Committed now, whatever the view does: the token's idle window slides on use.
        writes()
        device.last_seen_at = now
        db.session.commit()


def bearer_call() -> bool:
    """Tell whether a valid device token names this request's caller."""
    return isinstance(g.get("bearer_device"), Device)


def load_bearer_user(_request):
    """Flask-Login's request loader: the user of the device token this request carries."""
    return g.bearer_device.user if bearer_call() else None


def _carries_password() -> bool:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # the view answers it 400
        return False
    return isinstance(body, dict) and "password" in body


def _mark_credentials_login() -> None:
    # A phone trading its password for a token sends no cookie and has no CSRF token. Only a
    # request carrying a password skips CSRF here; one that rides on the session cookie
    # (the installed app right after the login form) must bring the CSRF token.
    if not current_user.is_authenticated:
        g.bearer_device = "credentials"


def bind_session_to(device: Device) -> None:
    """Remember that this browser session minted the device's token (see end_revoked_sessions)."""
    session[SESSION_DEVICES] = [*session.get(SESSION_DEVICES, []), device.id][-20:]


def end_revoked_sessions() -> None:
    """Log out a browser session whose device was revoked.

    The installed app trades its logged-in session for a token; without this, a revoked
    phone could ask for a fresh token with the very session it still holds.
    """
    ids = session.get(SESSION_DEVICES)
    if not ids or bearer_call():  # a token decides a call that carries one
        return
    revoked = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Device)
        .where(
            Device.id.in_(ids),
            Device.revoked_at.is_not(None),
            Device.revoked_by_id.is_not(None),
            Device.revoked_by_id != Device.user_id,
        )
    )
    if revoked:
        if current_user.is_authenticated:
            writes()
            sessions.end_current(current_user._get_current_object())
            db.session.commit()
        logout_user()
        session.clear()


def init_app(app: Flask) -> None:
    """Install the bearer and revoked-session checks and the token's user loader; create_app
    calls it before any hook that checks CSRF or the user (access.enforce skips CSRF for a
    bearer call)."""
    app.before_request(authenticate_bearer)
    app.before_request(end_revoked_sessions)
    login_manager.request_loader(load_bearer_user)
