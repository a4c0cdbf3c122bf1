"""What the alerts send and to whom: one delivery per event, person and channel, and each
person's choices (webapp/alerts, docs/alerts.md).

An ``AlertDelivery`` is the alert as one person gets it on one channel. Its ``key``
(``alert:<event id>:<user id>:<channel>``) is unique and is also the key of the job that sends
it, so an event reaches a person once per channel, whatever retries, recoveries or repeated
fan-outs happen. The bell's deliveries are the in-app list itself (``read_at``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp import vocab
from webapp.extensions import db
from webapp.models.registry import _enum
from webapp.models.types import UTCDateTime, utcnow

CHANNELS = tuple(vocab.ALERT_CHANNELS)
DELIVERY_STATES = tuple(vocab.ALERT_DELIVERY_STATES)


def delivery_key(event_id: int, user_id: int, channel: str) -> str:
    """The one key of an event's alert to a person on a channel (the delivery's and its job's)."""
    return f"alert:{event_id}:{user_id}:{channel}"


class AlertDelivery(db.Model):
    """One alert to one person on one channel."""

    __tablename__ = "alert_delivery"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_event.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    estate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("estate.id"))
    channel: Mapped[str] = mapped_column(_enum(CHANNELS, "alert_channel"))
    state: Mapped[str] = mapped_column(_enum(DELIVERY_STATES, "alert_delivery_state"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not before (the end of the person's quiet hours, their threshold for an unsynced device).
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the bell's
    message: Mapped[str] = mapped_column(sa.String(500), default="")  # why skipped or failed

    __table_args__ = (
        # The bell: a person's unread count is one range of this index, their list another.
        sa.Index("ix_alert_delivery_inbox", "user_id", "channel", "read_at", "state"),
        sa.Index("ix_alert_delivery_list", "user_id", "channel", "created_at"),
        # The retention purge walks the old ones in (created_at, id) order, a batch at a time.
        sa.Index("ix_alert_delivery_created", "created_at", "id"),
    )


class AlertPreference(db.Model):
    """A person's choices: which kinds on which channels, quiet hours, the unsynced threshold.
    No row: the defaults (webapp/alerts/preferences.py)."""

    __tablename__ = "alert_preference"
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    # {kind: [channel, ...]} for every kind the person has chosen for; a kind missing from it
    # (one added after they saved) takes the default.
    choices: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # "HH:MM" in the estate's time zone; both set or neither. The end may be before the start
    # (22:00 to 07:00 crosses midnight).
    quiet_start: Mapped[str | None] = mapped_column(sa.String(5))
    quiet_end: Mapped[str | None] = mapped_column(sa.String(5))
    # Critical findings and major violations come through quiet hours unless turned off.
    urgent_through_quiet: Mapped[bool] = mapped_column(default=True)
    # A device counts as holding unsynced records after this many hours.
    unsynced_hours: Mapped[int] = mapped_column(default=4)
    # Where the email channel writes to (users have no address elsewhere); None: no email.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    # Digests (webapp/alerts/digests.py): the daily one at this hour of the estate's day, the
    # weekly report on Saturdays at 09:00; both off unless the person asks.
    digest_daily: Mapped[bool] = mapped_column(default=False)
    digest_hour: Mapped[int] = mapped_column(default=8)
    digest_weekly: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
