"""What the retention purge deletes, and the batched delete that does it.

Per table, a rule (a WHERE clause) says which rows are past their period at ``now``:

- ``alert_delivery``: made more than ALERT_RETENTION_DAYS ago and not held for later — except
  an unread bell alert (sent, on the list, never opened), kept until
  UNREAD_ALERT_RETENTION_DAYS;
- ``alert_event``: fanned out more than ALERT_RETENTION_DAYS ago with no delivery left (the
  deliveries go first: they point at it). Never an event still to be fanned out, nor a broken
  key chain's (the nightly check finds the same break every night; its event's key is what
  keeps it from alerting again). The finders of every other kind look back two days at most,
  so a purged event is never found again;
- ``alert_digest``: made more than DIGEST_RETENTION_DAYS ago;
- ``push_subscription``: of a session purged below, or of none and posted more than
  SESSION_RETENTION_DAYS ago (neither is ever sent to again; a browser posts its subscription
  again on the next visit of the alerts page);
- ``user_session``: ended or expired more than SESSION_RETENTION_DAYS ago.

The newest event and the newest digest always stay: SQLite gives a new row max(id) + 1, and an
event's id is in the Message-ID of its emails, a digest's in the link they carry — an id
handed out twice would be a second alert the mail client takes for the first.

Rows go in batches of at most ``batch``, each its own short transaction (``commit`` after
each), walked in (time, id) order from where the last batch ended, so no lock is held for long
and rows that stay are read once per run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.models import UserSession
from webapp.models.alerts import AlertDelivery
from webapp.models.digests import AlertDigest
from webapp.models.jobs import AlertEvent
from webapp.models.push import PushSubscription

BATCH = 1000
# Kinds whose events are never purged (see above).
KEPT_KINDS = ("key_chain_broken",)


@dataclass(frozen=True)
class Periods:
    """How long each kind of row is kept (the *_RETENTION_DAYS settings)."""

    alerts: timedelta
    unread: timedelta
    digests: timedelta
    sessions: timedelta

    @classmethod
    def from_config(cls, config) -> Periods:
        return cls(
            alerts=timedelta(days=config["ALERT_RETENTION_DAYS"]),
            unread=timedelta(days=config["UNREAD_ALERT_RETENTION_DAYS"]),
            digests=timedelta(days=config["DIGEST_RETENTION_DAYS"]),
            sessions=timedelta(days=config["SESSION_RETENTION_DAYS"]),
        )


def _deliveries(now: datetime, periods: Periods) -> tuple:
    cutoff = now - periods.alerts
    d = AlertDelivery
    unread = sa.and_(d.channel == "bell", d.state == "sent", d.read_at.is_(None))
    return (
        d.created_at < cutoff,
        d.send_after < cutoff,  # one still held for later waits for its send
        sa.or_(sa.not_(unread), d.created_at < now - periods.unread),
    )


def _events(now: datetime, periods: Periods, newest: int, *, counting: bool) -> tuple:
    e, d = AlertEvent, AlertDelivery
    left = sa.select(d.id).where(d.event_id == e.id)
    if counting:  # nothing deleted yet: the deliveries the purge keeps are the ones that hold
        left = left.where(sa.not_(sa.and_(*_deliveries(now, periods))))
    return (
        e.dispatched_at < now - periods.alerts,  # NULL (still to fan out) is never older
        e.kind.not_in(KEPT_KINDS),
        e.id < newest,
        ~sa.exists(left),
    )


def _digests(now: datetime, periods: Periods, newest: int) -> tuple:
    return (AlertDigest.created_at < now - periods.digests, AlertDigest.id < newest)


def _sessions(now: datetime, periods: Periods) -> tuple:
    cutoff = now - periods.sessions
    return (sa.or_(UserSession.ended_at < cutoff, UserSession.expires_at < cutoff),)


def _subscriptions(now: datetime, periods: Periods) -> tuple:
    p = PushSubscription
    gone = sa.select(UserSession.id).where(*_sessions(now, periods))
    return (
        sa.or_(
            p.session_id.in_(gone),
            sa.and_(p.session_id.is_(None), p.updated_at < now - periods.sessions),
        ),
    )


@dataclass(frozen=True)
class _Step:
    name: str
    model: type
    order: sa.orm.InstrumentedAttribute  # a time column, walked with the primary key
    where: tuple  # the rule: which rows are past their period


def _plan(session: Session, now: datetime, periods: Periods, *, counting: bool) -> list[_Step]:
    """The tables in the order they are purged: children before what they point at."""

    def newest(model) -> int:
        return session.scalar(sa.select(sa.func.max(model.id))) or 0

    return [
        _Step("alert_delivery", AlertDelivery, AlertDelivery.created_at,
              _deliveries(now, periods)),
        _Step("alert_event", AlertEvent, AlertEvent.dispatched_at,
              _events(now, periods, newest(AlertEvent), counting=counting)),
        _Step("alert_digest", AlertDigest, AlertDigest.created_at,
              _digests(now, periods, newest(AlertDigest))),
        _Step("push_subscription", PushSubscription, PushSubscription.updated_at,
              _subscriptions(now, periods)),
        _Step("user_session", UserSession, UserSession.expires_at, _sessions(now, periods)),
    ]  # fmt: skip


def count(session: Session, now: datetime, periods: Periods) -> dict[str, int]:
    """How many rows of each table the purge would delete now (it deletes nothing)."""
    return {
        step.name: session.scalar(
            sa.select(sa.func.count()).select_from(step.model).where(*step.where)
        )
        for step in _plan(session, now, periods, counting=True)
    }


def purge(
    session: Session,
    now: datetime,
    periods: Periods,
    *,
    batch: int = BATCH,
    commit: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Delete what is past its period, table by table, in committed batches; how many rows
    went from each table."""
    commit = commit or session.commit
    done = {}
    for step in _plan(session, now, periods, counting=False):
        done[step.name] = _in_batches(session, step, batch, commit)
    return done


def _in_batches(session: Session, step: _Step, batch: int, commit: Callable[[], None]) -> int:
    (pk,) = sa.inspect(step.model).primary_key
    gone, after = 0, None
    while True:
        query = sa.select(step.order, pk).where(*step.where).order_by(step.order, pk).limit(batch)
        if after is not None:
            query = query.where(
                sa.tuple_(step.order, pk)
                > sa.tuple_(sa.literal(after[0], step.order.type), sa.literal(after[1], pk.type))
            )
        rows = session.execute(query).all()
        if not rows:
            return gone
        # The rule again in the delete: a row that changed since it was read (an alert opened,
        # a delivery made) is judged as it stands.
        gone += session.execute(
            sa.delete(step.model)
            .where(pk.in_([row[1] for row in rows]), *step.where)
            .execution_options(synchronize_session=False)
        ).rowcount
        commit()
        if len(rows) < batch:
            return gone
        after = tuple(rows[-1])
