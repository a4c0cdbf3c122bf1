"""Background jobs (webapp/jobs) and the events the alerts will send.

A ``job`` row is the truth about a piece of background work; the queue (huey) only carries
"run job X now". So a job outlives a lost message, a killed worker or a flushed Redis: the
engine finds rows whose lease ran out or whose message went missing and queues them again.
``key`` makes a job idempotent: a second job with the same key (the same schedule slot, the
same alert event) is the first one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp import vocab
from webapp.extensions import db
from webapp.models.types import UTCDateTime, utcnow

JOB_STATES = tuple(vocab.JOB_STATES)
ALERT_KINDS = tuple(vocab.ALERT_KINDS)
# session.info: the keys of the alert events recorded in the session's transaction; when it
# commits, the alerts fan each out (webapp/alerts/fanout.py). sync/ writes it too.
RECORDED_EVENTS = "alerts.recorded"


def _enum(values, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


class Job(db.Model):
    """One piece of background work: what to run, how far it got, what it made."""

    __tablename__ = "job"
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    # Idempotency: "keys.verify_chain@2026-12-06T19:00Z" for a schedule slot, an event's key
    # for an alert. None for one-off work (a label sheet).
    key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    state: Mapped[str] = mapped_column(_enum(JOB_STATES, "job_state"), default="queued")
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    estate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=1)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    # Not to be run before; a retry's back-off moves it on.
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When its message was last put on the queue (a queued job whose message is long gone is
    # queued again).
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A running job's worker renews this; past it, the worker is taken for dead.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_job_state_run_after", "state", "run_after"),)


class AlertEvent(db.Model):
    """Something people should be told of, recorded once per event (``key``).

    The alerts (webapp/alerts) fan each event out to the people who can act and mark it
    ``dispatched_at``; until then it waits here, so an event recorded where no job could be
    submitted (no app) is fanned out by the next sweep."""

    __tablename__ = "alert_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(_enum(ALERT_KINDS, "alert_kind"))
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    estate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("estate.id"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
