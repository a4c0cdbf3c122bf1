"""A patroller's day: every check one person made on one day, in the estates the reader sees,
in the order they were made — what was checked, in which round, with what result, how the item
was reached (and why, when it was not scanned), and what a supervisor should look at twice
(a clock that was off, a fix far from the checkpoint, an implausibly fast run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.models import Estate
from webapp.models.rounds import RoundTemplate
from webapp.models.sync import Check, Finding
from webapp.paper.records import day_bounds
from webapp.rounds import presence, rules


@dataclass
class DayRow:
    """One check of the day, with the flags it raised."""

    check: Check
    estate: Estate
    at: datetime  # device time in the estate's zone
    item: str
    round_name: str
    flags: list[str] = field(default_factory=list)  # "skewed", "far", "fast"


@dataclass
class Day:
    """The day's checks and what they add up to."""

    rows: list[DayRow]
    findings: list[Finding]

    @property
    def scanned(self) -> int:
        return sum(1 for r in self.rows if r.check.method == "scan")

    @property
    def share_scanned(self) -> int | None:
        """Per cent of the day's checks that were scanned, as the coverage page counts it."""
        return presence.scanned_pct(self.scanned, len(self.rows))

    @property
    def flagged(self) -> int:
        return sum(1 for r in self.rows if r.flags)


def patroller_day(session: Session, user_id: int, estates: list[Estate], day: date, labels) -> Day:
    """The day of ``user_id`` in these estates (each read in its own zone's day). ``labels``
    names items in one batch (review.queries.item_labels)."""
    rows: list[DayRow] = []
    findings: list[Finding] = []
    for estate in estates:
        zone = ZoneInfo(estate.timezone)
        lo, hi = day_bounds(day, day, zone)
        checks = session.scalars(
            sa.select(Check)
            .where(
                Check.estate_id == estate.id,
                Check.user_id == user_id,
                Check.occurred_at >= lo,
                Check.occurred_at < hi,
            )
            .order_by(Check.occurred_at, Check.id)
        ).all()
        findings += session.scalars(
            sa.select(Finding)
            .where(
                Finding.estate_id == estate.id,
                Finding.user_id == user_id,
                Finding.occurred_at >= lo,
                Finding.occurred_at < hi,
            )
            .order_by(Finding.occurred_at)
        ).all()
        if not checks:
            continue
        templates = {
            str(t.id): t.name
            for t in session.scalars(
                sa.select(RoundTemplate).where(RoundTemplate.estate_id == estate.id)
            )
        }
        learned = presence.positions(session, estate.id, {(c.item_type, c.item_id) for c in checks})
        scans = [rules.Scan(f"{c.item_type}:{c.item_id}", c.occurred_at, c.method) for c in checks]
        fast = {id(s) for pair in rules.too_fast(scans) for s in pair}
        names = labels({(c.item_type, c.item_id) for c in checks})
        for check, scan in zip(checks, scans, strict=True):
            flags = []
            if check.clock_skewed:
                flags.append("skewed")
            known = learned.get((check.item_type, check.item_id))
            if known is not None and known.far(
                check.id, check.geo_lat, check.geo_lon, check.geo_accuracy_m
            ):
                flags.append("far")
            if id(scan) in fast:
                flags.append("fast")
            rows.append(
                DayRow(
                    check=check,
                    estate=estate,
                    at=check.occurred_at.astimezone(zone),
                    item=names.get((check.item_type, check.item_id), check.code),
                    round_name=templates.get(check.round_id or "", ""),
                    flags=flags,
                )
            )
    rows.sort(key=lambda r: (r.check.occurred_at, r.check.id))
    findings.sort(key=lambda f: f.occurred_at)
    return Day(rows, findings)
