"""Renovation (issue 20): permits with their deposit ledgers, rectification notices, their
re-inspections and stop-work notices, and completion acceptances.

A unit is 裝修中 exactly while one of its permits is active (begun, not closed):
``webapp.renovation.status`` keeps ``Unit.status`` in step with the permits, so every reader of
the status (the daily renovation patrol, the dashboard, the registry, the pull) follows them.
Notices are made on the phone (``notice.issue``) and numbered by the server when they sync.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import vocab
from webapp.extensions import db
from webapp.models.registry import Unit, _enum
from webapp.models.sync import _Observed
from webapp.models.types import UTCDateTime, utcnow


class RenovationPermit(db.Model):
    """A renovation permit 裝修許可 of one unit: who, when, what, and its deposit."""

    __tablename__ = "renovation_permit"
    __table_args__ = (
        sa.UniqueConstraint("estate_id", "number"),
        # The open permits of an estate (status, the overrun card, the pull).
        sa.Index("ix_renovation_permit_estate_open", "estate_id", "closed_on", "ends_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(40))  # the office's permit number
    owner_name: Mapped[str] = mapped_column(sa.String(120), default="")
    owner_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    contractor: Mapped[str] = mapped_column(sa.String(120), default="")
    contractor_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)  # None only for a migrated unit
    hours: Mapped[str] = mapped_column(sa.String(120), default="")  # "08:00-12:00,14:00-18:00"
    scope: Mapped[str] = mapped_column(sa.Text, default="")
    deposit: Mapped[int] = mapped_column(default=0)  # the agreed deposit, whole currency units
    # What the unit was (occupied, vacant) before the work began: what it returns to after.
    unit_status_before: Mapped[str | None] = mapped_column(sa.String(16))
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    close_reason: Mapped[str | None] = mapped_column(
        _enum(vocab.PERMIT_CLOSE_REASONS, "permit_close_reason")
    )
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()
    entries: Mapped[list[DepositEntry]] = relationship(
        back_populates="permit", order_by="DepositEntry.id"
    )

    def state(self, today: date) -> str:
        """upcoming, active, overrun (past its end with no acceptance) or closed, on ``today``."""
        if self.closed_on is not None:
            return "closed"
        if self.starts_on > today:
            return "upcoming"
        if self.ends_on is not None and self.ends_on < today:
            return "overrun"
        return "active"

    def deposit_total(self, kind: str) -> int:
        """The sum of the ledger's lines of one kind (received, deducted, refunded)."""
        return sum(e.amount for e in self.entries if e.kind == kind)

    @property
    def deposit_held(self) -> int:
        """What the office still holds: received less deducted and refunded."""
        return (
            self.deposit_total("received")
            - self.deposit_total("deducted")
            - self.deposit_total("refunded")
        )


class DepositEntry(db.Model):
    """A line of a permit's deposit ledger; lines are only ever added."""

    __tablename__ = "renovation_deposit_entry"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(sa.ForeignKey("renovation_permit.id"), index=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    kind: Mapped[str] = mapped_column(_enum(vocab.DEPOSIT_KINDS, "deposit_kind"))
    amount: Mapped[int]
    on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The notice a deduction is for (recorded from the notice's page), if any.
    notice_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("rectification_notice.id"), index=True
    )
    # The acceptance a refund follows from (recorded by its acceptance.record), if any.
    acceptance_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)

    permit: Mapped[RenovationPermit] = relationship(back_populates="entries")


class RectificationNotice(_Observed, db.Model):
    """A rectification notice 《裝修違規整改通知單》, issued on the phone (``notice.issue``)."""

    __tablename__ = "rectification_notice"
    __table_args__ = (
        # The number: per estate and year, handed out by NoticeCounter; never two alike.
        sa.UniqueConstraint("estate_id", "year", "seq"),
        sa.Index("ix_rectification_notice_estate_status", "estate_id", "status", "deadline"),
    )
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    permit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("renovation_permit.id"))
    # The finding it came from (either op may arrive first: no foreign key).
    finding_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    year: Mapped[int]
    seq: Mapped[int]
    rules: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    deadline: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="issued")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_method: Mapped[str | None] = mapped_column(sa.String(16))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 列為再次違規: not the first notice on its permit.
    repeat: Mapped[bool] = mapped_column(default=False)
    # When a re-inspection found it put right (device time), or None.
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The acceptance whose failed items it lists, when an acceptance issued it.
    acceptance_id: Mapped[str | None] = mapped_column(sa.String(36))

    unit: Mapped[Unit] = relationship()
    permit: Mapped[RenovationPermit | None] = relationship()

    @property
    def number(self) -> str:
        """The notice's number as printed: 2026-0042."""
        return notice_number(self.year, self.seq)


def notice_number(year: int, seq: int) -> str:
    """A notice number as printed and shown: the year, a dash, four digits (or more)."""
    return f"{year}-{seq:04d}"


class NoticeAction(_Observed, db.Model):
    """A notice delivered (how, with a photo) or signed (a drawn PNG), from the phone."""

    __tablename__ = "notice_action"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    notice_id: Mapped[str] = mapped_column(sa.ForeignKey("rectification_notice.id"), index=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # delivery, signature
    method: Mapped[str | None] = mapped_column(sa.String(16))  # vocab.DELIVERY_METHODS
    recipient: Mapped[str | None] = mapped_column(sa.String(120))
    signer_role: Mapped[str | None] = mapped_column(sa.String(16))  # owner, contractor
    signature_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.String(500), default="")


class NoticeCounter(db.Model):
    """The last notice number handed out, per estate and year (one row each)."""

    __tablename__ = "notice_counter"
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Reinspection(_Observed, db.Model):
    """A re-inspection of a notice on the phone (``reinspect.result``): rectified or not."""

    __tablename__ = "reinspection"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    notice_id: Mapped[str] = mapped_column(sa.ForeignKey("rectification_notice.id"), index=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    result: Mapped[str] = mapped_column(sa.String(16))  # vocab.REINSPECTION_RESULTS
    note: Mapped[str] = mapped_column(sa.String(2000), default="")


class StopWork(db.Model):
    """A stop-work notice 《停工通知》: a notice found not rectified at its re-inspection.

    One per notice, under the notice's own number (the rulebook's stop-work follows from a
    notice and names it); in force until a later re-inspection finds the notice rectified."""

    __tablename__ = "stop_work"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # uuid5 of its re-inspection
    notice_id: Mapped[str] = mapped_column(
        sa.ForeignKey("rectification_notice.id"), unique=True, index=True
    )
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    permit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("renovation_permit.id"))
    reinspection_id: Mapped[str] = mapped_column(sa.String(36))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the failed re-inspection's time
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(sa.String(36))  # the re-inspection that did

    notice: Mapped[RectificationNotice] = relationship()
    unit: Mapped[Unit] = relationship()
    permit: Mapped[RenovationPermit | None] = relationship()

    @property
    def number(self) -> str:
        """The stop-work's number: its notice's (停工通知 2026-0042)."""
        return self.notice.number


class Acceptance(_Observed, db.Model):
    """A completion acceptance 《裝修審批及竣工驗收表》 done on the phone with engineering
    (``acceptance.record``): the checklist's answers, passed or failed."""

    __tablename__ = "acceptance"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    permit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("renovation_permit.id"))
    checklist_version: Mapped[int]
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    result: Mapped[str] = mapped_column(sa.String(16))  # passed, failed
    engineer: Mapped[str] = mapped_column(sa.String(120), default="")
    note: Mapped[str] = mapped_column(sa.String(2000), default="")
    refunded: Mapped[int] = mapped_column(default=0)  # the refund it recorded (passed)
    notice_id: Mapped[str | None] = mapped_column(sa.String(36))  # the notice it issued (failed)

    unit: Mapped[Unit] = relationship()
    permit: Mapped[RenovationPermit | None] = relationship()

    @property
    def failed_items(self) -> list[dict[str, str]]:
        """The items of its checklist answered no: each with its words in both languages and
        the rule its notice names (a failed acceptance's notice says why from these)."""
        items = vocab.ACCEPTANCE_CHECKLISTS[self.checklist_version]
        return [i for i in items if self.answers.get(i["key"]) == "no"]


class AcceptanceSignature(_Observed, db.Model):
    """A signature of owner, contractor or manager drawn on the phone for an acceptance
    (``signature.capture``): a PNG uploaded as a photo, named here by its sha256."""

    __tablename__ = "acceptance_signature"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    acceptance_id: Mapped[str] = mapped_column(sa.ForeignKey("acceptance.id"), index=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))  # vocab.SIGNER_ROLES
    signer_name: Mapped[str] = mapped_column(sa.String(120), default="")
    signature_sha256: Mapped[str] = mapped_column(sa.String(64))
