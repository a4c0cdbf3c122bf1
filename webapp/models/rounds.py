"""Patrol rounds: round templates per estate, their windows, versioned checklists, and the
checkpoints each window took from the registry when it opened."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp import vocab
from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow

ROUND_KINDS = tuple(vocab.ROUND_KINDS)


class RoundTemplate(db.Model):
    """A round 巡查 of an estate: what is patrolled, in which windows (estate time)."""

    __tablename__ = "round_template"
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    kind: Mapped[str] = mapped_column(
        sa.Enum(
            *ROUND_KINDS, name="round_kind", native_enum=False, create_constraint=True, length=16
        )
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    # Windows, each {"start": "HH:MM", "end": "HH:MM", "days": n}: the end is n days after
    # the start's date (an end at or before the start without days means the next day).
    slots: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # A window's day repeats every ``period_days`` days counted from ``anchor``.
    period_days: Mapped[int] = mapped_column(default=1)
    anchor: Mapped[date] = mapped_column(sa.Date)
    # Custom rounds: the chosen items, [["sign", 12], ["unit", 40]].
    items: Mapped[list[list[Any]]] = mapped_column(sa.JSON, default=list)
    checklist_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChecklistVersion(db.Model):
    """One version of a round's checklist; old versions stay so old answers stay readable."""

    __tablename__ = "round_checklist"
    __table_args__ = (sa.UniqueConstraint("template_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("round_template.id"), index=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    version: Mapped[int]
    # [{"key", "type": yesno|choice|number|text|photo, "zh", "en", "choices"?, "critical"?,
    #   "required"?}]
    items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoundWindow(db.Model):
    """A window of a round once opened: the checkpoints the registry held at that moment."""

    __tablename__ = "round_window"
    __table_args__ = (sa.UniqueConstraint("template_id", "start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("round_template.id"), index=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    # [["sign", 12], ...] in building and floor order.
    checkpoints: Mapped[list[list[Any]]] = mapped_column(sa.JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
