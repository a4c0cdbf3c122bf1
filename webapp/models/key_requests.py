"""What the front desk asks engineering (rule 5.3(2)): an equipment-room key's loan, or copies of a
key; engineering's answer; and the keys registered as copies under an approval.

A loan request's approval is an ordinary ``key_approval`` (``key.approve``, sync/keys.py): the
lend that uses it is judged, chained and shown in the loan record as any approved lend is.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import vocab
from webapp.extensions import db
from webapp.models.registry import Key
from webapp.models.types import UTCDateTime, utcnow

# What is stored; "expired" (vocab) is only shown (sync/key_requests.py ``shown_status``).
STORED_STATUSES = ("pending", "approved", "refused", "withdrawn")


def _enum(values, name: str) -> sa.Enum:
    # VARCHAR + CHECK on both databases, like every enumeration (adding a value is a migration).
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


class KeyRequest(db.Model):
    """A request to engineering: lend an equipment-room key (to whom, what for, how long) or copy
    a key (why, how many); pending until engineering approves or refuses (with a reason)."""

    __tablename__ = "key_request"
    __table_args__ = (
        # Engineering's queue and the desk's list: an estate's requests by status, newest first.
        sa.Index("ix_key_request_estate_status", "estate_id", "status", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"))
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("key.id"), index=True)
    kind: Mapped[str] = mapped_column(_enum(vocab.KEY_REQUEST_KINDS, "key_request_kind"))
    status: Mapped[str] = mapped_column(
        _enum(STORED_STATUSES, "key_request_status"), default="pending"
    )
    # A loan: who borrows it, as what, and for how many hours.
    borrower_name: Mapped[str | None] = mapped_column(sa.String(120))
    borrower_type: Mapped[str | None] = mapped_column(sa.String(20))
    hours: Mapped[int | None]
    # A copy: how many new keys.
    copies: Mapped[int | None]
    # Why: the loan's purpose (a KEY_PURPOSES value or words) or why copies are needed.
    purpose: Mapped[str] = mapped_column(sa.String(200), default="")
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A refusal's reason (required), or the desk's note when it withdrew the request.
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    # A loan's approval: the key_approval engineering's answer made (its lend names the approver).
    approval_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)

    key: Mapped[Key] = relationship()


class KeyCopy(db.Model):
    """A key registered as a copy of another under an approved copy request."""

    __tablename__ = "key_copy"
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("key.id"), primary_key=True)
    source_key_id: Mapped[int] = mapped_column(sa.ForeignKey("key.id"), index=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("key_request.id"), index=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
