"""The renovation register's schedule: every hour, each estate's units in step with their
permits (a permit that begins today, on the estate's calendar, needs no write to start), and
the notices due tomorrow told to the supervisors (``notice_deadline``, once per deadline)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from huey import crontab
from sqlalchemy.orm import Session, joinedload

from webapp import alert_events as events
from webapp.jobs.engine import periodic
from webapp.models import Estate, Unit
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
    estates = session.scalars(sa.select(Estate).where(Estate.active)).all()
    tomorrow = {e.id: status.estate_today(e, now) + timedelta(days=1) for e in estates}
    if not tomorrow:
        return 0
    # Every estate's at once, with the unit and building its label names: two statements
    # whatever the number of notices and estates.
    due = session.scalars(
        sa.select(RectificationNotice)
        .where(
            sa.tuple_(RectificationNotice.estate_id, RectificationNotice.deadline).in_(
                list(tomorrow.items())
            ),
            RectificationNotice.status.in_(WAITING),
        )
        .options(joinedload(RectificationNotice.unit).joinedload(Unit.building))
        .order_by(RectificationNotice.estate_id, RectificationNotice.year, RectificationNotice.seq)
    )
    new = 0
    for notice in due:
        _event, created = events.record(
            session,
            "notice_deadline",
            f"notice_deadline:{notice.id}:{notice.deadline.isoformat()}",
            occurred_at=now,
            estate_id=notice.estate_id,
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
