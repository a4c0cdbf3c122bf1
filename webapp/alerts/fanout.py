"""From an event to the people who hear of it: the fan-out and send jobs.

1. An event is recorded in the transaction that found it (``events.record``, or sync/alerts.py
   in a push), which notes its key in ``session.info``. When that transaction commits, the
   listener here submits ``alerts.fanout`` for it (a job per batch of the transaction's
   events, keyed by them): the insert is all the finding code pays.
2. ``alerts.fanout`` reads who hears of it (recipients.py) and their choices
   (preferences.py), and makes one ``AlertDelivery`` per person and chosen channel, keyed
   ``alert:<event>:<user>:<channel>``; the event is marked dispatched in the same commit. A
   bell alert due now is sent there and then; every other delivery gets an ``alerts.send``
   job with the delivery's key, due when the person's quiet hours (or their unsynced
   threshold) allow.
3. ``alerts.send`` checks the alert is still wanted and still true, renders it in the
   person's language, calls the channel, and marks the delivery sent in its own commit. A
   failed send is retried by the engine with back-off; after the last try the delivery is
   marked failed.

A key already taken is the same delivery and the same job: an event reaches a person once per
channel, whatever retries, worker restarts or second fan-outs happen.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from webapp import i18n
from webapp.alerts import channels, messages, preferences, recipients
from webapp.jobs import engine
from webapp.jobs.engine import Failed, task
from webapp.models import Estate, User
from webapp.models.alerts import AlertDelivery, delivery_key
from webapp.models.jobs import RECORDED_EVENTS, AlertEvent

KEEP = timedelta(days=2)


# Events fanned out by one job: a watch run or a push that finds many pays a job per batch.
BATCH = 50


def submit_fanouts(session: Session, keys) -> int:
    """Submit the fan-out of the events named (by key) that are stored and not yet dispatched,
    a job per batch of them, keyed by the batch's events (a second submit of the same batch is
    the same job; an event in two batches is fanned out once: the delivery keys hold it)."""
    rows = session.execute(
        sa.select(AlertEvent.id, AlertEvent.estate_id)
        .where(AlertEvent.key.in_(sorted(keys)), AlertEvent.dispatched_at.is_(None))
        .order_by(AlertEvent.id)
    ).all()
    jobs = engine.get()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        ids = [event_id for event_id, _estate in batch]
        estates = {estate for _id, estate in batch}
        jobs.submit(
            session,
            "alerts.fanout",
            {"events": ids},
            key=f"alerts.fanout:{ids[0]}-{ids[-1]}:{len(ids)}",
            title=f"alerts ({len(ids)})",
            estate_id=estates.pop() if len(estates) == 1 else None,
        )
    return len(rows)


def _before_commit(session: Session) -> None:
    # Only the outer transaction's commit (a savepoint's release fires this too), and only in
    # an app with its job engine: elsewhere the event waits for the sweep (alerts.watch).
    if session.in_nested_transaction() or not session.info.get(RECORDED_EVENTS):
        return
    if not has_app_context() or "jobs" not in current_app.extensions:
        return
    keys = session.info.pop(RECORDED_EVENTS)
    submit_fanouts(session, keys)


def _after_rollback(session: Session, previous) -> None:
    if previous.parent is None:
        session.info.pop(RECORDED_EVENTS, None)


_installed = False


def install() -> None:
    """Listen to every Session: events recorded in a transaction are fanned out as it commits."""
    global _installed
    if _installed:
        return
    sa.event.listen(Session, "before_commit", _before_commit)
    sa.event.listen(Session, "after_soft_rollback", _after_rollback)
    _installed = True


def _zone(session: Session, estate_id: int | None) -> ZoneInfo:
    tz = session.scalar(sa.select(Estate.timezone).where(Estate.id == estate_id))
    return ZoneInfo(tz or current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _since(event: AlertEvent) -> datetime | None:
    raw = (event.detail or {}).get("since")
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def fan_out(session: Session, jobs: engine.Engine, event: AlertEvent, now: datetime) -> int:
    """Make the event's deliveries (and their send jobs); how many were made."""
    people = recipients.of(session, event)
    if not people:
        return 0
    ids = [user_id for user_id, _locale in people]
    config = current_app.config
    choices = preferences.load(session, ids, config["ALERTS_UNSYNCED_HOURS"])
    zone = _zone(session, event.estate_id)
    usable = channels.ready(config)
    reach = {channel.name: channel.reachable(session, ids) for channel in usable}
    taken = set(
        session.scalars(sa.select(AlertDelivery.key).where(AlertDelivery.event_id == event.id))
    )
    since = _since(event) if event.kind == "device_unsynced" else None
    rows, later = [], []
    for user_id in ids:
        choice = choices[user_id]
        found_at = now
        if since is not None:  # each person's own threshold for an unsynced device
            found_at = max(now, since + timedelta(hours=choice.unsynced_hours))
        # Quiet hours hold what makes a sound (email, push), not the bell's silent list.
        quiet_end = choice.send_after(event.kind, found_at, zone)
        for channel in usable:
            key = delivery_key(event.id, user_id, channel.name)
            if key in taken or user_id not in reach[channel.name]:
                continue
            if not choice.wants(event.kind, channel.name):
                continue
            after = found_at if channel.immediate else quiet_end
            sent = channel.immediate and after <= now
            rows.append(
                {
                    "key": key,
                    "event_id": event.id,
                    "user_id": user_id,
                    "estate_id": event.estate_id,
                    "channel": channel.name,
                    "state": "sent" if sent else "waiting",
                    "created_at": now,
                    "send_after": after,
                    "sent_at": now if sent else None,
                    "read_at": None,
                    "message": "",
                }
            )
            if not sent:
                later.append((key, user_id, after))
    if rows:
        session.execute(sa.insert(AlertDelivery), rows)
    for key, user_id, after in later:
        jobs.submit(
            session,
            "alerts.send",
            {"key": key},
            key=key,
            title=f"alert {event.kind}",
            estate_id=event.estate_id,
            user_id=user_id,
            run_after=after,
        )
    return len(rows)


@task("alerts.fanout", retries=4, retry_delay=10, keep=KEEP)
def fanout_job(ctx) -> dict:
    """Fan events out to their people (params: ``events``, their ids)."""
    made = 0
    for event_id in ctx.params.get("events", []):
        event = ctx.session.get(AlertEvent, event_id)
        if event is None or event.dispatched_at is not None:
            continue
        made += fan_out(ctx.session, ctx.engine, event, ctx.now())
        event.dispatched_at = ctx.now()
    return {"deliveries": made}


def _skip(delivery: AlertDelivery, why: str) -> dict:
    delivery.state, delivery.message = "skipped", why
    return {"skipped": why}


@task("alerts.send", retries=5, retry_delay=30, max_delay=1800, keep=KEEP)
def send_job(ctx) -> dict:
    """Send one delivery (params: ``key``), then mark it sent in the same commit."""
    session, now = ctx.session, ctx.now()
    delivery = session.scalar(
        sa.select(AlertDelivery).where(AlertDelivery.key == ctx.params.get("key"))
    )
    if delivery is None or delivery.state != "waiting":
        return {"state": delivery.state if delivery else None}
    event = session.get(AlertEvent, delivery.event_id)
    user = session.get(User, delivery.user_id)
    if not recipients.may_hear(session, event, user):
        return _skip(delivery, "no longer of the estate")
    choice = preferences.load(session, [user.id], ctx.config["ALERTS_UNSYNCED_HOURS"])[user.id]
    if not choice.wants(event.kind, delivery.channel):
        return _skip(delivery, "turned off")
    if not recipients.still_true(session, event, now):
        return _skip(delivery, "no longer true")
    channel = channels.CHANNELS.get(delivery.channel)
    if channel is None or not channel.ready(ctx.config):
        return _skip(delivery, "channel not configured")
    with messages.sending(user.locale):
        text = messages.render(session, event)
        url = current_app.config["PUBLIC_BASE_URL"] + text.path
        extra = messages.extras(session, event)
    message = channels.Message(
        key=delivery.key,
        kind=event.kind,
        event_id=event.id,
        user_id=user.id,
        estate_id=event.estate_id,
        locale=user.locale if user.locale in i18n.LOCALES else i18n.DEFAULT_LOCALE,
        title=text.title,
        body=text.body,
        path=text.path,
        url=url,
        urgent=event.kind in preferences.URGENT,
    )
    if extra:
        message = replace(message, **extra)
    try:
        channel.send(ctx, message)
    except Exception as exc:
        if not isinstance(exc, Failed) and ctx.attempt < ctx.job.max_attempts:
            raise  # the engine retries it with back-off
        # The last try, or given up: the delivery says so (the job ends done, its result too).
        delivery.state, delivery.message = "failed", (str(exc) or type(exc).__name__)[:500]
        return {"failed": delivery.message}
    delivery.state, delivery.sent_at = "sent", now
    return {"sent": delivery.channel}
