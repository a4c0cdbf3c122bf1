"""A person's digests: the daily summary and the weekly report (webapp/alerts/digests.py).

One ``AlertDigest`` per person, kind and local date, ``key`` unique
(``digest:daily:<user>:<YYYY-MM-DD>``, also the key of the job that makes it and of the alert
event that delivers it), so a digest is made once however many workers run. ``data`` holds its
numbers, language-neutral (rendered in the reader's language on each read); the PDF and the
workbook made with it are job output in the blob store (``files``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.registry import _enum
from webapp.models.types import UTCDateTime, utcnow

DIGEST_KINDS = ("daily", "weekly")


def digest_key(kind: str, user_id: int, day: date) -> str:
    """The one key of a person's digest of a kind for a local date."""
    return f"digest:{kind}:{user_id}:{day.isoformat()}"


class AlertDigest(db.Model):
    """One digest of one person: its numbers and the files made from them."""

    __tablename__ = "alert_digest"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(_enum(DIGEST_KINDS, "digest_kind"))
    # The local date it was due on (the daily digest's report is of the day before; the
    # weekly report's of the seven days before this Saturday).
    day: Mapped[date] = mapped_column(sa.Date)
    # The estate whose time zone the person's hour is read in (their first).
    estate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("estate.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # The job that made it and its files in the blob store: {"pdf": key, "xlsx": key}.
    job_id: Mapped[str | None] = mapped_column(sa.String(32))
    files: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index("ix_alert_digest_user", "user_id", "created_at"),)
