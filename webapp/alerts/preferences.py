"""Each person's choices, with the defaults for those who made none: which kinds on which
channels, quiet hours (in the event's estate's time zone), whether urgent alerts come through
them, and after how many hours a device with unsynced records is worth an alert."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import vocab
from webapp.models.alerts import AlertPreference

# At once, to the estate's supervisors, through quiet hours unless the person turns that off.
URGENT = frozenset({"critical_finding", "major_violation"})
# A person's digests (webapp/alerts/digests.py): made only when they ask (``digest_daily``,
# ``digest_weekly``), then on the bell and by email.
DIGESTS = frozenset({"digest_daily", "digest_weekly"})
# Bell for every kind; email and push for the urgent ones (the push channel only reaches a
# person who subscribed a browser, the email channel one who gave an address); bell and email
# for the digests.
DEFAULTS: dict[str, frozenset[str]] = {
    **{kind: frozenset({"bell"}) for kind in vocab.ALERT_KINDS},
    **{kind: frozenset({"bell", "email", "push"}) for kind in URGENT},
    **{kind: frozenset({"bell", "email"}) for kind in DIGESTS},
}
DEFAULT_UNSYNCED_HOURS = 4
DEFAULT_DIGEST_HOUR = 8
# Who may ask for digests: the people the numbers are for.
DIGEST_ROLES = ("supervisor",)


def parse_hm(text: str | None) -> time | None:
    """ "22:00" → time(22, 0); None for anything else."""
    if not text or len(text) != 5 or text[2] != ":":
        return None
    try:
        return time(int(text[:2]), int(text[3:]))
    except ValueError:
        return None


@dataclass(frozen=True)
class Choices:
    """One person's choices as the fan-out reads them."""

    channels: dict[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULTS))
    quiet_start: time | None = None
    quiet_end: time | None = None
    urgent_through_quiet: bool = True
    unsynced_hours: int = DEFAULT_UNSYNCED_HOURS
    email: str | None = None
    digest_daily: bool = False
    digest_hour: int = DEFAULT_DIGEST_HOUR  # of the estate's day, 0 to 23
    digest_weekly: bool = False

    def wants(self, kind: str, channel: str) -> bool:
        if kind in DIGESTS and not getattr(self, kind):
            return False
        return channel in self.channels.get(kind, DEFAULTS.get(kind, frozenset()))

    def quiet_until(self, at: datetime, zone: ZoneInfo) -> datetime | None:
        """When the quiet hours around ``at`` end (aware), or None if ``at`` is not in them."""
        start, end = self.quiet_start, self.quiet_end
        if start is None or end is None or start == end:
            return None
        local = at.astimezone(zone)
        now = local.time().replace(tzinfo=None)
        day = local.date()
        if start < end:
            inside, ends_on = start <= now < end, day
        elif now >= start:  # 22:00–07:00, at 23:00: ends tomorrow
            inside, ends_on = True, day + timedelta(days=1)
        else:
            inside, ends_on = now < end, day
        return datetime.combine(ends_on, end, zone) if inside else None

    def send_after(self, kind: str, at: datetime, zone: ZoneInfo) -> datetime:
        """When an alert of ``kind`` found at ``at`` may reach this person (now, or when
        their quiet hours end)."""
        if kind in URGENT and self.urgent_through_quiet:
            return at
        return self.quiet_until(at, zone) or at


def of(row: AlertPreference | None, default_hours: int = DEFAULT_UNSYNCED_HOURS) -> Choices:
    """A person's choices from their row (None: the defaults)."""
    if row is None:
        return Choices(unsynced_hours=default_hours)
    saved = row.choices if isinstance(row.choices, dict) else {}
    channels = dict(DEFAULTS)
    for kind, names in saved.items():
        if kind in channels and isinstance(names, list):
            channels[kind] = frozenset(n for n in names if n in vocab.ALERT_CHANNELS)
    return Choices(
        channels=channels,
        quiet_start=parse_hm(row.quiet_start),
        quiet_end=parse_hm(row.quiet_end),
        urgent_through_quiet=row.urgent_through_quiet,
        unsynced_hours=row.unsynced_hours or default_hours,
        email=row.email or None,
        digest_daily=bool(row.digest_daily),
        digest_hour=row.digest_hour if row.digest_hour is not None else DEFAULT_DIGEST_HOUR,
        digest_weekly=bool(row.digest_weekly),
    )


def load(
    session: Session, user_ids: Iterable[int], default_hours: int = DEFAULT_UNSYNCED_HOURS
) -> dict[int, Choices]:
    """Every person's choices, in one read."""
    ids = set(user_ids)
    rows = {}
    if ids:
        rows = {
            row.user_id: row
            for row in session.scalars(
                sa.select(AlertPreference).where(AlertPreference.user_id.in_(ids))
            )
        }
    return {user_id: of(rows.get(user_id), default_hours) for user_id in ids}
