"""The renovation register's schedule: every hour, each estate's units in step with their
permits (a permit that begins today, on the estate's calendar, needs no write to start), and
the notices due tomorrow told to the supervisors (``notice_deadline``, once per deadline)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from huey import crontab
from sqlalchemy.orm import Session

from webapp import alert_events as events
from webapp.jobs.engine import periodic
from webapp.models import Estate
from webapp.models.renovation import RectificationNotice
from webapp.renovation import status
from webapp.renovation.notices import WAITING

NOTICE_PATH = "/renovation/notices/{id}"  # the office's page of a notice (no request here)


@periodic("renovation.status", crontab(minute="5"), title="Units under renovation from permits")
def refresh_statuses(ctx) -> dict:
    """Set every estate's units 裝修中 or back by their permits, as of now."""
    return {"changed": status.refresh_all(ctx.session, ctx.now())}


def deadlines_tomorrow(session: Session, now: datetime) -> int:
    """Record a ``notice_deadline`` event for each notice still waiting (issued, delivered)
    whose deadline is tomorrow on its estate's calendar; keyed by notice and deadline, so the
    hourly runs record it once and a notice given a new deadline is told again."""
    new = 0
    for estate in session.scalars(sa.select(Estate).where(Estate.active).order_by(Estate.id)):
        tomorrow = status.estate_today(estate, now) + timedelta(days=1)
        due = session.scalars(
            sa.select(RectificationNotice)
            .where(
                RectificationNotice.estate_id == estate.id,
                RectificationNotice.status.in_(WAITING),
                RectificationNotice.deadline == tomorrow,
            )
            .order_by(RectificationNotice.year, RectificationNotice.seq)
        )
        for notice in due:
            _event, created = events.record(
                session,
                "notice_deadline",
                f"notice_deadline:{notice.id}:{notice.deadline.isoformat()}",
                occurred_at=now,
                estate_id=estate.id,
                detail={
                    "notice_id": notice.id,
                    "deadline": notice.deadline.isoformat(),
                    "label": f"{notice.number} {notice.unit.label}",
                    "path": NOTICE_PATH.format(id=notice.id),
                },
            )
            new += created
    return new


@periodic(
    "renovation.deadlines",
    crontab(minute="15"),
    title="Rectification notices due tomorrow",
    retries=2,
    retry_delay=60,
)
def notice_deadlines(ctx) -> dict:
    """Every hour: tell the supervisors of the notices due tomorrow (once each)."""
    return {"due_tomorrow": deadlines_tomorrow(ctx.session, ctx.now())}
