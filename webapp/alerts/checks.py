"""The alerts found by time rather than by an op: every five minutes (``alerts.watch``), a
round window that closed with missed checkpoints, a key past its due back, a finding past its
due date, a device holding unsynced records; then any event still waiting for its fan-out.

Each event's key names what it is about (the window, the lend, the due date, the device's last
sync), so the next run finding the same thing records nothing new. Only what became true within
LOOKBACK is looked at (a window: within WINDOW_LOOKBACK of its close): a fresh install does not
alert on years of history.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from huey import crontab
from sqlalchemy.orm import Session

from webapp import alert_events as events
from webapp.alerts import recipients
from webapp.alerts.fanout import KEEP, submit_fanouts
from webapp.jobs.engine import periodic
from webapp.models import Device, Estate, Key, User, user_estate
from webapp.models.alerts import AlertPreference
from webapp.models.jobs import AlertEvent
from webapp.models.review import FindingState
from webapp.models.rounds import RoundTemplate
from webapp.rounds import rules, service

LOOKBACK = timedelta(days=2)
# A window is looked at in the runs of the hour after it closed (every five minutes): the
# grid's own reads, for the days those windows started on, and only then.
WINDOW_LOOKBACK = timedelta(hours=1)
# An event whose fan-out should have been submitted when it was recorded: a sweep catches
# the ones recorded where no engine was (a script), or whose commit hook failed.
SWEEP_AFTER = timedelta(minutes=2)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _closing_days(session: Session, estate: Estate, since: datetime, now: datetime) -> list[date]:
    """The days (estate time) whose windows include one that closed in (since, now] — found
    from the rounds' schedules alone, so a run with nothing closing reads no check."""
    zone = ZoneInfo(estate.timezone)
    days: set[date] = set()
    for template in session.scalars(
        sa.select(RoundTemplate).where(RoundTemplate.estate_id == estate.id, RoundTemplate.active)
    ):
        schedule = rules.Schedule.from_template(template)
        longest = max((extra for _s, _e, extra in schedule.slots), default=0)
        last = now.astimezone(zone).date()
        day = since.astimezone(zone).date() - timedelta(days=longest + 1)
        while day <= last:
            if any(
                since < w.end <= now for w in rules.windows_starting(schedule, day, estate.timezone)
            ):
                days.add(day)
            day += timedelta(days=1)
    return sorted(days)


def windows_closed(session: Session, now: datetime) -> int:
    """Record each round window that closed within WINDOW_LOOKBACK with checkpoints missed
    (the count as the window closed: a check synced later makes it late, not done)."""
    new = 0
    since = now - WINDOW_LOOKBACK
    estates = session.scalars(
        sa.select(Estate)
        .where(
            Estate.active,
            Estate.id.in_(sa.select(RoundTemplate.estate_id).where(RoundTemplate.active)),
        )
        .order_by(Estate.id)
    ).all()
    for estate in estates:
        days = _closing_days(session, estate, since, now)
        if not days:
            continue
        for day, windows in service.coverage_days(session, estate, days, now, labels=False).items():
            for window in windows:
                if not since < window.end <= now:
                    continue
                missed = window.count(rules.MISSED)
                if missed:
                    new += _window_event(session, estate, window, day, missed, now)
    return new


def _window_event(session, estate, window, day: date, missed: int, now: datetime) -> int:
    template = window.template
    _event, created = events.record(
        session,
        "window_missed",
        f"window_missed:{template.id}:{_iso(window.start)}",
        occurred_at=now,
        estate_id=estate.id,
        detail={
            "template_id": template.id,
            "round": template.name,
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "date": day.isoformat(),
            "missed": missed,
            "expected": len(window.points),
        },
    )
    return int(created)


def keys_overdue(session: Session, now: datetime) -> int:
    """Record each key lent out and past its due back (within LOOKBACK), once per lend."""
    rows = session.execute(
        sa.select(Key.id, Key.estate_id, Key.due_back, Key.last_event_id, Key.holder_name).where(
            Key.status == "out",
            Key.active,
            Key.due_back <= now,
            Key.due_back > now - LOOKBACK,
        )
    ).all()
    new = 0
    for key_id, estate_id, due_back, lend, holder in rows:
        _event, created = events.record(
            session,
            "key_overdue",
            f"key_overdue:{key_id}:{lend}",
            occurred_at=now,
            estate_id=estate_id,
            detail={
                "key_id": key_id,
                "lend": lend,
                "due_back": due_back.isoformat(),
                "holder": holder,
            },
        )
        new += created
    return new


def findings_overdue(session: Session, now: datetime) -> int:
    """Record each finding not yet done and past its due date (within LOOKBACK), once per
    due date (a new date that passes again is a new alert)."""
    rows = session.execute(
        sa.select(
            FindingState.finding_id,
            FindingState.estate_id,
            FindingState.due_at,
            FindingState.department,
        ).where(
            FindingState.status.in_(recipients.UNDONE),
            FindingState.due_at <= now,
            FindingState.due_at > now - LOOKBACK,
        )
    ).all()
    new = 0
    for finding_id, estate_id, due_at, department in rows:
        _event, created = events.record(
            session,
            "finding_overdue",
            f"finding_overdue:{finding_id}:{_iso(due_at)}",
            occurred_at=now,
            estate_id=estate_id,
            detail={
                "finding_id": finding_id,
                "due_at": due_at.isoformat(),
                "department": department,
            },
        )
        new += created
    return new


def devices_unsynced(session: Session, now: datetime, default_hours: int) -> int:
    """Record each device that has held unsynced records since its last sync for longer than
    the smallest threshold anyone chose (each person hears at their own: fanout.py), one event
    per estate of its user (every active one for a user who sees every estate, as
    scoping.people_of counts their phones), once per last sync."""
    chosen = session.scalar(sa.select(sa.func.min(AlertPreference.unsynced_hours)))
    hours = min(default_hours, chosen or default_hours)
    homes = sa.union_all(
        sa.select(user_estate.c.user_id, user_estate.c.estate_id),
        sa.select(User.id, Estate.id)
        .select_from(sa.join(User, Estate, Estate.active))
        .where(User.all_estates),
    ).subquery()
    rows = session.execute(
        sa.select(
            Device.id,
            Device.name,
            Device.user_id,
            Device.pending_count,
            Device.last_sync_at,
            homes.c.estate_id,
        )
        .join(homes, homes.c.user_id == Device.user_id)
        .where(
            Device.revoked_at.is_(None),
            Device.pending_count > 0,
            Device.last_sync_at <= now - timedelta(hours=hours),
            Device.last_sync_at > now - LOOKBACK - timedelta(hours=hours),
        )
    ).all()
    # Each event names all the estates of its phone: a person who sees several of them hears
    # of the phone once (recipients.of), not once per estate.
    homes_of: dict[str, list[int]] = {}
    for device_id, *_rest, estate_id in rows:
        homes_of.setdefault(device_id, []).append(estate_id)
    new = 0
    for device_id, name, user_id, pending, since, estate_id in rows:
        _event, created = events.record(
            session,
            "device_unsynced",
            f"device_unsynced:{device_id}:{estate_id}:{since.isoformat()}",
            occurred_at=now,
            estate_id=estate_id,
            detail={
                "device_id": device_id,
                "name": name,
                "user_id": user_id,
                "pending": pending,
                "since": since.isoformat(),
                recipients.SAME_IN: sorted(homes_of[device_id]),
            },
        )
        new += created
    return new


def sweep(session: Session, now: datetime) -> int:
    """Submit the fan-out of every event still waiting for one (keyed: no second fan-out)."""
    keys = session.scalars(
        sa.select(AlertEvent.key).where(
            AlertEvent.dispatched_at.is_(None), AlertEvent.occurred_at < now - SWEEP_AFTER
        )
    ).all()
    return submit_fanouts(session, keys) if keys else 0


@periodic(
    "alerts.watch",
    crontab(minute="*/5"),
    title="Look for closed windows, overdue keys and findings, unsynced devices",
    retries=2,
    retry_delay=60,
    keep=KEEP,
)
def watch(ctx) -> dict:
    """Every five minutes: record what became worth an alert (fanned out as this commits)."""
    session, now = ctx.session, ctx.now()
    found = {
        "windows": windows_closed(session, now),
        "keys": keys_overdue(session, now),
        "findings": findings_overdue(session, now),
        "devices": devices_unsynced(session, now, ctx.config["ALERTS_UNSYNCED_HOURS"]),
    }
    found["swept"] = sweep(session, now)
    return found
