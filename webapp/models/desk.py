"""The front desk's own records (rule 8): items held for residents, their history, and the shift
handover 《前臺交接日志》 signed by both shifts.

Everything a reader sees in words is stored as a value (a kind, a status, an action, a key or
item id, a code as scanned) and named in the reader's language when shown; only what people
wrote (a description, a task, a note, a name) is stored as text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import vocab
from webapp.extensions import db
from webapp.models.accounts import User
from webapp.models.audit import AppendOnlyError
from webapp.models.registry import Unit
from webapp.models.types import UTCDateTime, utcnow

# Statuses of an item still at the desk (the handover lists them).
OPEN_STATUSES = ("requested", "held", "refused")


def _enum(values, name: str, length: int = 16) -> sa.Enum:
    # VARCHAR + CHECK on both databases, like every enumeration (adding a value is a migration).
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


class DeskHandover(db.Model):
    """One shift handover at the front desk 《前臺交接日志》: the keys counted against the register,
    the items and mail left at the desk, the work left open, signed by both shifts."""

    __tablename__ = "desk_handover"
    __table_args__ = (sa.Index("ix_desk_handover_estate_time", "estate_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Both shifts confirmed with their own password (None: a handover logged before that).
    outgoing_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    outgoing_name: Mapped[str] = mapped_column(sa.String(120))
    incoming_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    incoming_name: Mapped[str] = mapped_column(sa.String(120))
    # The keys: how many active keys, how many the register put in the cabinet, what was
    # counted, and the stocktake's differences (webapp.keys.stocktake), all as key ids.
    keys_total: Mapped[int] = mapped_column(default=0)
    keys_expected: Mapped[int] = mapped_column(default=0)
    scanned: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    missing: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    unexpected: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    # Scanned codes that named no key of the estate, as scanned (never a sentence about them).
    unknown_codes: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    # Keys lent out or disputed at the handover: [{"key": id, "status": value, "holder": name}].
    away: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    # The unfinished work the outgoing shift wrote, a line each; the open findings dispatched
    # to the desk (customer service) at the time, by id.
    tasks: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    findings: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    note: Mapped[str] = mapped_column(sa.Text, default="")


class DeskItem(db.Model):
    """An item held at the desk for a resident: what, how many, for which unit, received when and
    by whom; approved or refused by a supervisor where rule 8.4 asks; collected (with the
    collector's signature) or returned."""

    __tablename__ = "desk_item"
    __table_args__ = (
        # The log: an estate's open items first, newest first; the handover's open items.
        sa.Index("ix_desk_item_estate_status", "estate_id", "status", "received_at"),
        sa.Index("ix_desk_item_estate_received", "estate_id", "received_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    resident_name: Mapped[str] = mapped_column(sa.String(120), default="")
    kind: Mapped[str] = mapped_column(_enum(vocab.DESK_ITEM_KINDS, "desk_item_kind"))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    quantity: Mapped[int] = mapped_column(default=1)
    # Who brought it (a courier, the post, a neighbour), as the desk wrote it.
    received_from: Mapped[str] = mapped_column(sa.String(120), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(_enum(vocab.DESK_ITEM_STATUSES, "desk_item_status"))
    # The supervisor's answer to holding it (rule 8.4).
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")
    # Collected or returned: when, by whom at the desk, to whom.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    collector_name: Mapped[str] = mapped_column(sa.String(120), default="")
    # The collector's signature drawn at the desk: a photo's sha256 (sync/photos.py).
    signature_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    close_note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    received_by: Mapped[User] = relationship(foreign_keys=[received_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class DeskItemEvent(db.Model):
    """One step of a held item's life (received, approved, refused, handed over, collected,
    returned) with who and when; never edited."""

    __tablename__ = "desk_item_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("desk_item.id"), index=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    action: Mapped[str] = mapped_column(_enum(vocab.DESK_ITEM_ACTIONS, "desk_item_action"))
    # The item's status after this step (at a handover: the status it was handed over in).
    status: Mapped[str] = mapped_column(_enum(vocab.DESK_ITEM_STATUSES, "desk_item_status"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    handover_id: Mapped[int | None] = mapped_column(sa.ForeignKey("desk_handover.id"), index=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    user: Mapped[User | None] = relationship()


@sa.event.listens_for(DeskItemEvent, "before_update")
def _refuse_update(_mapper, _conn, target):
    raise AppendOnlyError(f"desk item event {target.id} is append-only")


@sa.event.listens_for(DeskItemEvent, "before_delete")
def _refuse_delete(_mapper, _conn, target):
    raise AppendOnlyError(f"desk item event {target.id} is append-only")
