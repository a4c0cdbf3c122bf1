"""Web Push subscriptions: the browsers and installed apps a user turned notifications on in.

A row is one browser's subscription (``PushManager.subscribe``): the push service's endpoint
URL and the keys the message is encrypted to. It belongs to the user logged in when it was
posted, and to that browser's signed-in session: a browser signed out (logout, "sign out
everywhere else", a password or role change, the session's end) hears nothing more — a lost
phone stops showing the estate's alerts when its sessions are ended. The same browser posting
it again (another user, or a new session, there now) moves it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.accounts import UserSession
from webapp.models.types import UTCDateTime, utcnow

ENDPOINT_MAX = 2048  # FCM ≈ 190, Apple ≈ 250, Mozilla ≈ 300 characters


class PushSubscription(db.Model):
    """Where to send a user's Web Push messages in one browser, and how to encrypt them."""

    __tablename__ = "push_subscription"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(sa.String(ENDPOINT_MAX), unique=True)
    # The browser's P-256 public key (65 bytes) and auth secret (16 bytes), base64url.
    p256dh: Mapped[str] = mapped_column(sa.String(100))
    auth: Mapped[str] = mapped_column(sa.String(40))
    # The signed-in session that posted it: sent to only while that session is open.
    session_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("user_session.id", ondelete="CASCADE"), index=True
    )
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Posted again (each visit of the page that holds the control): the newest are kept when
    # a user has more than the cap.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def live(now: datetime | None = None):
    """The subscriptions whose browser is still signed in: its session open and unexpired."""
    now = now or utcnow()
    open_sessions = sa.select(UserSession.id).where(
        UserSession.ended_at.is_(None), UserSession.expires_at > now
    )
    return PushSubscription.session_id.in_(open_sessions)
