"""The findings workflow: where each finding stands, and the append-only trail of how it got there.

A finding (``webapp.models.sync.Finding``) is made by a phone's ``finding.create``; its
``status`` column is the status of record. ``FindingState`` holds what the desk adds to it
(department, due date) and a copy of that status, kept by ``webapp.review.workflow`` (the only
writer of a finding's status after the phone made it), so the dashboard counts open findings
by department and due date from one index without joining the findings. ``FindingEvent`` is
the append-only trail of transitions, comments and due-date changes that the finding page and
the item timelines read.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import vocab
from webapp.extensions import db
from webapp.models.audit import AppendOnlyError
from webapp.models.types import UTCDateTime, utcnow

STATUSES = tuple(vocab.FINDING_STATUSES)
DEPARTMENTS = tuple(vocab.DEPARTMENTS)
SEVERITIES = tuple(vocab.SEVERITIES)
# Statuses that still need someone to act.
OPEN_STATUSES = tuple(status for status in STATUSES if status != "closed")


class FindingState(db.Model):
    """What the desk adds to a finding: its department and due date (one row per finding)."""

    __tablename__ = "finding_state"
    finding_id: Mapped[str] = mapped_column(sa.ForeignKey("finding.id"), primary_key=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"))
    # A copy of Finding.status (the workflow writes both in one transaction).
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    department: Mapped[str | None] = mapped_column(sa.String(32))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    __table_args__ = (
        sa.Index("ix_finding_state_estate_department", "estate_id", "department"),
        sa.Index("ix_finding_state_estate_due", "estate_id", "due_at"),
        # The dashboard's open findings by department and overdue: an index-only range; with
        # the due date before the department, also each (estate, open status)'s findings in
        # due order (the most overdue over many estates, docs/review.md).
        sa.Index("ix_finding_state_open", "estate_id", "status", "due_at", "department"),
    )


class FindingEvent(db.Model):
    """One step in a finding's life: a transition, a comment, or a due-date change; never edited."""

    __tablename__ = "finding_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[str] = mapped_column(sa.ForeignKey("finding.id"), index=True)
    estate_id: Mapped[int] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))  # transition | comment | due
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str | None] = mapped_column(sa.String(16))
    department: Mapped[str | None] = mapped_column(sa.String(32))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    body: Mapped[str] = mapped_column(sa.Text, default="")

    actor = relationship("User")


@sa.event.listens_for(FindingEvent, "before_update")
def _refuse_update(_mapper, _conn, target):
    raise AppendOnlyError(f"finding event {target.id} is append-only")


@sa.event.listens_for(FindingEvent, "before_delete")
def _refuse_delete(_mapper, _conn, target):
    raise AppendOnlyError(f"finding event {target.id} is append-only")
