"""Rows of the operational tables at chosen ages, made directly (the alerts' own tests make
them the long way, through the fan-out)."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import UserSession
from webapp.models.alerts import AlertDelivery
from webapp.models.digests import AlertDigest
from webapp.models.jobs import AlertEvent
from webapp.models.push import PushSubscription


def _added(row) -> int | str:
    """``row`` added and flushed (inside an app context); its primary key."""
    db.session.add(row)
    db.session.flush()
    return row.id


def event(
    *,
    at: datetime,
    estate_id: int,
    kind: str = "critical_finding",
    dispatched: bool = True,
    name: str | None = None,
) -> int:
    """An alert event found and fanned out at ``at`` (inside an app context); its id."""
    return _added(
        AlertEvent(
            kind=kind,
            key=name or f"{kind}:{uuid.uuid4()}",
            estate_id=estate_id,
            detail={},
            occurred_at=at,
            dispatched_at=at if dispatched else None,
        )
    )


def delivery(
    event_id: int,
    user_id: int,
    *,
    at: datetime,
    estate_id: int,
    channel: str = "bell",
    state: str = "sent",
    read: bool = False,
    send_after: datetime | None = None,
) -> int:
    """One person's alert of an event on a channel, made at ``at``; its id."""
    return _added(
        AlertDelivery(
            key=f"alert:{event_id}:{user_id}:{channel}:{uuid.uuid4().hex[:8]}",
            event_id=event_id,
            user_id=user_id,
            estate_id=estate_id,
            channel=channel,
            state=state,
            created_at=at,
            send_after=send_after or at,
            sent_at=at if state == "sent" else None,
            read_at=at + timedelta(hours=1) if read else None,
            message="",
        )
    )


def digest(user_id: int, *, at: datetime, estate_id: int) -> int:
    return _added(
        AlertDigest(
            key=f"digest:daily:{user_id}:{at.date().isoformat()}:{uuid.uuid4().hex[:6]}",
            user_id=user_id,
            kind="daily",
            day=at.date(),
            estate_id=estate_id,
            created_at=at,
            data={"estates": []},
            files={},
        )
    )


def browser_session(
    user_id: int, *, created: datetime, expires: datetime, ended: datetime | None = None
) -> str:
    return _added(
        UserSession(
            id=secrets.token_hex(32),
            user_id=user_id,
            created_at=created,
            expires_at=expires,
            ended_at=ended,
        )
    )


def subscription(user_id: int, session_id: str | None, *, at: datetime) -> int:
    return _added(
        PushSubscription(
            user_id=user_id,
            endpoint=f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}",
            p256dh="B" * 87,
            auth="a" * 22,
            session_id=session_id,
            created_at=at,
            updated_at=at,
        )
    )


def ids(model) -> set:
    """The primary keys a table holds now."""
    (pk,) = sa.inspect(model).primary_key
    return set(db.session.scalars(sa.select(pk)))


def counts(tables) -> dict[str, int]:
    """Rows per table."""
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in tables
    }
