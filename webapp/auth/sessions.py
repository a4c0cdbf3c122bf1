"""Signed-in browser sessions kept on the server, and ending them.

The session cookie is Flask's signed cookie; besides Flask-Login's user id it carries a random
secret naming a ``UserSession`` row. The user loader accepts the cookie only while that row
is open and within its lifetime, so:

- logout ends the row: a copy of the cookie replayed later is worth nothing;
- "sign out everywhere else" and the user's own password change end the user's other rows
  and device tokens, keeping this browser's;
- any change of a user's password, role or active flag, by whatever code (admin pages, the
  CLI, a script), ends all of them: a flush listener below sees the change;
- a device token unused for DEVICE_TOKEN_IDLE_DAYS is refused (webapp/api/auth.py).

The cookie is persistent (``session.permanent``) for PERMANENT_SESSION_LIFETIME and re-sent
on every response, so an installed app stays signed in across browser restarts for a shift;
the row's ``expires_at`` ends it that long after login, whatever the cookie says. Nothing
is bound to the client's address: phones change networks all shift.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context, session
from sqlalchemy.orm import Session as OrmSession

from webapp.extensions import db
from webapp.models import Device, User, UserSession, hash_token, utcnow
from webapp.models.push import PushSubscription

SID = "_sid"
# Device ids whose tokens this browser session minted (webapp/api/auth.py writes it).
SESSION_DEVICES = "device_ids"
ACCESS_FIELDS = ("password_hash", "role", "active")


def start(user: User, expires_at: datetime | None = None) -> None:
    """Open a server-side session for a user who just logged in (after login_user)."""
    now = utcnow()
    lifetime = timedelta(seconds=current_app.config["PERMANENT_SESSION_LIFETIME"])
    # Rows that can no longer be used are dropped on the way (keeps the table small).
    db.session.execute(
        sa.delete(UserSession).where(
            UserSession.user_id == user.id,
            sa.or_(UserSession.ended_at.is_not(None), UserSession.expires_at <= now),
        )
    )
    secret = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            id=hash_token(secret),
            user_id=user.id,
            created_at=now,
            expires_at=expires_at or now + lifetime,
        )
    )
    session[SID] = secret
    session.permanent = True


def renew(user: User) -> None:
    """A new session id for this browser, ending at the same time as the old one: a copy of
    the old cookie, wherever it is, ends with the old row (after a password change and on
    "sign out everywhere else")."""
    sid = current_id()
    expires_at = None
    # This browser's notifications follow it to its new session (start drops the old row).
    moving = db.session.scalars(
        sa.select(PushSubscription.id).where(PushSubscription.session_id == sid)
    ).all()
    _push_to_session(moving, None)
    if sid is not None:
        row = db.session.get(UserSession, sid)
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
            expires_at = row.expires_at
    start(user, expires_at)
    _push_to_session(moving, current_id())


def _push_to_session(ids, sid: str | None) -> None:
    if ids:
        db.session.flush()  # the new session's row exists before anything points at it
        db.session.execute(
            sa.update(PushSubscription).where(PushSubscription.id.in_(ids)).values(session_id=sid)
        )


def current_id() -> str | None:
    """The id (hash) of this request's session row, if it carries one."""
    secret = session.get(SID) if has_request_context() else None
    return hash_token(secret) if isinstance(secret, str) and secret else None


def bound_devices() -> list[str]:
    """Ids of the devices whose tokens this browser session minted."""
    ids = session.get(SESSION_DEVICES) if has_request_context() else None
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user of an open, unexpired session row, if active."""
    sid = current_id()
    if sid is None or not user_id.isdigit():
        return None
    row = db.session.execute(
        sa.select(User, UserSession.expires_at)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.id == sid,
            UserSession.ended_at.is_(None),
            User.id == int(user_id),
            User.active.is_(True),
        )
    ).first()
    if row is None or row.expires_at <= utcnow():
        return None
    return row.User


def end_current(user: User) -> None:
    """Logout: end this session's row, its notifications and the device tokens this browser
    minted."""
    now = utcnow()
    sid = current_id()
    if sid is not None:
        db.session.execute(sa.delete(PushSubscription).where(PushSubscription.session_id == sid))
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.id == sid, UserSession.ended_at.is_(None))
            .values(ended_at=now)
        )
    devices = bound_devices()
    if devices:
        db.session.execute(
            sa.update(Device)
            .where(
                Device.id.in_(devices),
                Device.user_id == user.id,
                Device.revoked_at.is_(None),
            )
            .values(revoked_at=now, revoked_by_id=user.id)
        )


def end_elsewhere(user: User) -> None:
    """ "Sign out everywhere else": the user's other sessions and tokens end, this one stays."""
    keep = current_id()
    end_access(
        db.session.connection(),
        user.id,
        by=user.id,
        keep_sessions=[keep] if keep else [],
        keep_devices=bound_devices(),
    )


def end_access(
    connection: sa.Connection,
    user_id: int,
    *,
    by: int | None,
    keep_sessions: Iterable[str] = (),
    keep_devices: Iterable[str] = (),
) -> None:
    """End a user's open sessions and revoke their device tokens, except those named."""
    now = utcnow()
    sessions = UserSession.__table__
    ended = sessions.update().where(sessions.c.user_id == user_id, sessions.c.ended_at.is_(None))
    keep_sessions = list(keep_sessions)
    if keep_sessions:
        ended = ended.where(sessions.c.id.not_in(keep_sessions))
    connection.execute(ended.values(ended_at=now))
    devices = Device.__table__
    revoked = devices.update().where(devices.c.user_id == user_id, devices.c.revoked_at.is_(None))
    keep_devices = list(keep_devices)
    if keep_devices:
        revoked = revoked.where(devices.c.id.not_in(keep_devices))
    connection.execute(revoked.values(revoked_at=now, revoked_by_id=by))


def _acting_user() -> User | None:
    # The request's user as already loaded (never load it here: this runs inside a flush).
    if not has_request_context():
        return None
    user = g.get("_login_user")
    return user if isinstance(user, User) else None


def _access_changed(user: User) -> bool:
    state = sa.inspect(user)
    changed = [name for name in ACCESS_FIELDS if state.attrs[name].history.has_changes()]
    if changed == ["password_hash"] and getattr(user, "rehashed_to", None) == user.password_hash:
        return False  # the same password, rehashed with newer parameters on login
    return bool(changed)


@sa.event.listens_for(OrmSession, "before_flush")
def _end_access_on_change(orm_session, _context, _instances) -> None:
    """A user's password, role or active flag changed: end their sessions and tokens.

    When the user changes their own (the request's user), this browser's session and the
    tokens it minted stay: the other sessions and tokens end.
    """
    for obj in list(orm_session.dirty):
        if not isinstance(obj, User) or obj.id is None or not _access_changed(obj):
            continue
        actor = _acting_user()
        keep_sessions: list[str] = []
        keep_devices: list[str] = []
        if actor is not None and actor.id == obj.id and obj.active:
            sid = current_id()
            keep_sessions = [sid] if sid else []
            keep_devices = bound_devices()
        end_access(
            orm_session.connection(),
            obj.id,
            by=actor.id if actor is not None else None,
            keep_sessions=keep_sessions,
            keep_devices=keep_devices,
        )
