"""The key register's own records: engineering approvals and dispute resolutions. (The shift
handover that counts the keys is the front desk's: ``webapp.models.desk.DeskHandover``.)"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow

# How long an engineering approval stays good for the key's next lend.
APPROVAL_WINDOW_HOURS = 12


class KeyApproval(db.Model):
    """Engineering's approval for an equipment-room key to leave (``key.approve``)."""

    __tablename__ = "key_approval"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    op_id: Mapped[str | None] = mapped_column(sa.String(36), unique=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("key.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    borrower_name: Mapped[str | None] = mapped_column(sa.String(120))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The lend this approval let out (one approval, one lend): the register names the approver.
    used_by_event_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)


class KeyResolution(db.Model):
    """A supervisor's resolution of a disputed key, with a note; the events stay as they are."""

    __tablename__ = "key_resolution"
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("key.id"), index=True)
    settle_event_id: Mapped[str] = mapped_column(sa.String(36))
    status: Mapped[str] = mapped_column(sa.String(16))
    holder_name: Mapped[str | None] = mapped_column(sa.String(120))
    note: Mapped[str] = mapped_column(sa.Text)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
