"""The append-only audit log: who did what, when, with the before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """One recorded change; rows are only ever inserted."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    estate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    actor = relationship("User")

    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id"),)


class AppendOnlyError(RuntimeError):
    """An audit row was about to be changed or deleted."""


@sa.event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper, _conn, target):
    raise AppendOnlyError(f"audit event {target.id} is append-only")


@sa.event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper, _conn, target):
    raise AppendOnlyError(f"audit event {target.id} is append-only")


def record(
    session,
    action: str,
    obj,
    *,
    actor=None,
    before: dict | None = None,
    after: dict | None = None,
    estate_id: int | None = None,
) -> AuditEvent:
    """Add an audit event for a change to ``obj`` to the session (the caller commits)."""
    event = AuditEvent(
        action=action,
        object_type=obj.__tablename__,
        object_id=str(obj.id),
        estate_id=estate_id if estate_id is not None else getattr(obj, "estate_id", None),
        actor_id=getattr(actor, "id", None),
        before=before,
        after=after,
    )
    session.add(event)
    return event
